package sigma

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/yagura-soc/yagura/internal/detect"
	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/shareddata"
)

// loadAttackSamples reads the python-evtx JSON lines of the EVTX attack
// samples into events shaped like the Windows parser's output: System
// attributes and EventData/UserData flattened under their native names.
func loadAttackSamples(tb testing.TB) []*event.Event {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(shareddata.Path(tb, "evtx-attack-samples-jsonl"), "*.jsonl"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no attack samples: %v", err)
	}
	var events []*event.Event
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			tb.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			var rec struct {
				System struct {
					Provider struct{ Name string }
					EventID  string
					Channel  string
					Computer string
				}
				EventData map[string]any
				UserData  map[string]any
			}
			if json.Unmarshal(sc.Bytes(), &rec) != nil {
				continue
			}
			fields := event.Fields{
				"EventID": rec.System.EventID, "Channel": rec.System.Channel,
				"Computer": rec.System.Computer, "Provider_Name": rec.System.Provider.Name,
			}
			for _, data := range []map[string]any{rec.EventData, rec.UserData} {
				for k, v := range data {
					if s, ok := v.(string); ok {
						fields[k] = s
					}
				}
			}
			ev := &event.Event{Tenant: "t", Fields: fields, Raw: sc.Text()}
			ev.SetECS("event.dataset", Dataset(ev))
			events = append(events, ev)
		}
		fh.Close()
	}
	return events
}

// sigmaHQSet caches the parsed SigmaHQ set across the tests of one run;
// engines are still built per test.
var sigmaHQSet struct {
	once sync.Once
	set  *RuleSet
	err  error
}

func loadSigmaHQ(tb testing.TB) *Engine {
	tb.Helper()
	var paths []string
	for _, d := range []string{"rules", "rules-emerging-threats", "rules-threat-hunting"} {
		paths = append(paths, shareddata.Path(tb, "sigma", d))
	}
	sigmaHQSet.once.Do(func() { sigmaHQSet.set, _, sigmaHQSet.err = LoadPaths(paths...) })
	if sigmaHQSet.err != nil {
		tb.Fatal(sigmaHQSet.err)
	}
	eng, err := NewEngine(sigmaHQSet.set, Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return eng
}

// TestAttackSamplesFire runs the SigmaHQ set over the EVTX attack samples:
// rules written for these techniques must fire on their samples.
func TestAttackSamplesFire(t *testing.T) {
	eng := loadSigmaHQ(t)
	events := loadAttackSamples(t)
	fired := make(map[string]int)
	total := 0
	for _, ev := range events {
		for _, m := range eng.Detect(ev, nil) {
			fired[m.RuleTitle]++
			total++
		}
	}
	t.Logf("%d events, %d matches, %d distinct rules", len(events), total, len(fired))
	for _, title := range []string{
		"Security Eventlog Cleared",
		"Potentially Suspicious AccessMask Requested From LSASS",
	} {
		if fired[title] == 0 {
			t.Errorf("rule %q did not fire on the attack samples", title)
		}
	}
	if len(fired) < 100 {
		t.Errorf("only %d distinct rules fired; expected the attack samples to trigger at least 100", len(fired))
	}
}

// BenchmarkEngineSigmaHQ measures single-core throughput with the whole
// SigmaHQ rule set over the EVTX attack samples, each event carrying its
// JSON text as Raw (as events received over HTTP do).
func BenchmarkEngineSigmaHQ(b *testing.B) {
	benchmarkEngine(b, loadAttackSamples(b))
}

// BenchmarkEngineSigmaHQNoRaw is the same without Raw, as "yagura scan"
// builds events from EVTX files: keyword rules then search field values only.
func BenchmarkEngineSigmaHQNoRaw(b *testing.B) {
	events := loadAttackSamples(b)
	for _, ev := range events {
		ev.Raw = ""
	}
	benchmarkEngine(b, events)
}

func benchmarkEngine(b *testing.B, events []*event.Event) {
	eng := loadSigmaHQ(b)
	out := make([]detect.Match, 0, 16)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0, cpuOK := threadCPUTime()
	for i := 0; i < b.N; i++ {
		out = eng.Detect(events[i%len(events)], out[:0])
	}
	cpu1, _ := threadCPUTime()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	if cpuOK && cpu1 > cpu0 {
		// Throughput per second of CPU actually used: stable on a busy host.
		b.ReportMetric(float64(b.N)/(cpu1-cpu0).Seconds(), "events/cpu-s")
	}
}
