package eventlog

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/normalize"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// Each rendered event in testdata becomes the fields in its .json golden
// file.
func TestFieldsGolden(t *testing.T) {
	paths, _ := filepath.Glob("testdata/*.xml")
	if len(paths) == 0 {
		t.Fatal("no testdata")
	}
	for _, p := range paths {
		x, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		f, err := Fields(x)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		got, _ := json.MarshalIndent(f, "", "  ")
		golden := strings.TrimSuffix(p, ".xml") + ".json"
		if *update {
			os.WriteFile(golden, append(got, '\n'), 0o644)
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if strings.TrimSpace(string(want)) != string(got) {
			t.Errorf("%s:\n got %s\nwant %s", p, got, want)
		}
	}
}

// What the input ships, the server parses and normalizes as a Windows
// event: the same path as the EVTX input's records.
func TestShippedFieldsNormalize(t *testing.T) {
	x, _ := os.ReadFile("testdata/security_4624.xml")
	f, err := Fields(x)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(f)
	ev := &event.Event{Tenant: "default"}
	normalize.Event(ev, data, Format)
	if ev.ParseError != "" {
		t.Fatalf("parse error: %s", ev.ParseError)
	}
	for k, want := range map[string]string{"event.code": "4624", "user.name": "alice", "source.ip": "203.0.113.45",
		"host.name": "ws-07.corp.example", "event.dataset": event.WindowsDataset("Security")} {
		if got := event.String(ev.ECS[k]); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if ev.Timestamp.Format("2006-01-02T15:04:05.0000000Z") != "2026-11-20T08:15:42.1234567Z" {
		t.Errorf("@timestamp = %v", ev.Timestamp)
	}
}

func TestFieldsRefusesWhatIsNotAnEvent(t *testing.T) {
	for _, x := range []string{"", "not xml", "<Event><System></System></Event>", "<Other/>"} {
		if f, err := Fields([]byte(x)); err == nil {
			t.Errorf("Fields(%q) = %v, want an error", x, f)
		}
	}
}

// No input panics the renderer.
func FuzzFields(f *testing.F) {
	paths, _ := filepath.Glob("testdata/*.xml")
	for _, p := range paths {
		x, _ := os.ReadFile(p)
		f.Add(x)
	}
	f.Fuzz(func(t *testing.T, x []byte) {
		fields, err := Fields(x)
		if err == nil && fields["EventID"] == nil {
			t.Errorf("an event without EventID was accepted: %v", fields)
		}
	})
}
