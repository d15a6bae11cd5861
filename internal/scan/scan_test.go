package scan

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yagura-soc/yagura/internal/detect"
	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/parse"
	"github.com/yagura-soc/yagura/internal/parse/winevent"
)

var update = flag.Bool("update", false, "rewrite golden files")

// line renders a python-evtx style event.
func line(id, recordID, ts, image string) string {
	return `{"System":{"Provider":{"Name":"Microsoft-Windows-Sysmon"},"EventID":"` + id + `","EventRecordID":"` + recordID +
		`","TimeCreated":"` + ts + `","Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"WS01.corp"},` +
		`"EventData":{"Image":"` + image + `"}}`
}

// recorder is a detector that notes the order it sees events in and fires
// one match per event at the level named by the event's image.
type recorder struct{ seen []string }

func (r *recorder) Detect(ev *event.Event, out []detect.Match) []detect.Match {
	id, _ := ev.Fields["EventRecordID"].(string)
	r.seen = append(r.seen, id)
	level, _ := ev.Fields["Image"].(string)
	return append(out, detect.Match{RuleID: "r-" + level, RuleTitle: "Rule " + level, Level: level,
		Time: ev.Timestamp, Events: []*event.Event{ev}})
}

func writeFiles(t *testing.T, files map[string]string) string {
	dir := t.TempDir()
	for name, body := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestTimelineAcrossFiles(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"a.jsonl": line("1", "1", "2024-01-01 10:00:00.000001", "low") + "\n" +
			line("1", "3", "2024-01-01 10:00:02", "high") + "\n",
		"sub/b.json": "[" + line("1", "2", "2024-01-01 10:00:01", "medium") + ",\n" +
			line("1", "4", "2024-01-01 10:00:03", "critical") + "]",
		"c.json":    "{\n  \"Event\": {\"System\": {\"EventID\": 1, \"EventRecordID\": 0, \"TimeCreated\": {\"#attributes\": {\"SystemTime\": \"2024-01-01T09:59:59Z\"}}}, \"EventData\": {\"Image\": \"informational\"}}\n}\n",
		"notes.txt": "not events\n",
	})
	rec := &recorder{}
	var got []Finding
	sum, err := Run([]string{dir}, rec, Options{MinLevel: "medium"}, func(f Finding) error {
		got = append(got, f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rec.seen, ",") != "0,1,2,3,4" {
		t.Errorf("detector saw %v, want timestamp order 0..4", rec.seen)
	}
	var levels []string
	for _, f := range got {
		levels = append(levels, f.Level+"@"+f.RecordID+"@"+filepath.Base(f.Source))
	}
	if want := "medium@2@b.json,high@3@a.jsonl,critical@4@b.json"; strings.Join(levels, ",") != want {
		t.Errorf("findings %v, want %s", levels, want)
	}
	if sum.Events != 5 || sum.Files != 4 || len(sum.Unsupported) != 1 || sum.Matches != 3 || sum.ByLevel["high"] != 1 {
		t.Errorf("summary %+v", sum)
	}
}

func TestBadRecordsAreCounted(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"x.jsonl": line("1", "1", "2024-01-01 10:00:00", "low") + "\n" + `{"foo": 1}` + "\n" + `{"System": {}}` + "\n{broken\n",
	})
	sum, err := Run([]string{dir}, &recorder{}, Options{}, func(Finding) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	// {"foo": 1} is generic JSON (an event); a Windows event without
	// EventID and the broken line are errors.
	if sum.Events != 2 || sum.Errors != 2 || len(sum.ErrorSample) != 2 {
		t.Errorf("summary %+v, want 2 events and 2 errors", sum)
	}
}

// TestTextLogs reads syslog-family files through parse/auto and skips
// W3C comment lines; a text file nothing recognises is unsupported.
func TestTextLogs(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"auth.log": "#comment\n" +
			"<38>Jan  5 10:00:00 host1 sshd[42]: Failed password for root from 10.0.0.9 port 2222 ssh2\n" +
			"<38>Jan  5 10:00:01 host1 sshd[42]: Failed password for root from 10.0.0.9 port 2223 ssh2\n",
		"prose.txt": "Just some words.\nAnd more words here.\n",
	})
	var datasets []string
	sum, err := Run([]string{dir}, detectFunc(func(ev *event.Event) {
		ds, _ := ev.ECS["event.dataset"].(string)
		datasets = append(datasets, ds)
	}), Options{}, func(Finding) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if sum.Events != 2 || len(sum.Unsupported) != 1 || filepath.Base(sum.Unsupported[0]) != "prose.txt" {
		t.Errorf("summary %+v", sum)
	}
	if strings.Join(datasets, ",") != event.DatasetLinuxAuth+","+event.DatasetLinuxAuth {
		t.Errorf("datasets %v", datasets)
	}
}

// detectFunc adapts a function to detect.Detector.
type detectFunc func(*event.Event)

func (f detectFunc) Detect(ev *event.Event, out []detect.Match) []detect.Match {
	f(ev)
	return out
}

func TestMissingInputIsAnError(t *testing.T) {
	_, err := Run([]string{filepath.Join(t.TempDir(), "nope")}, &recorder{}, Options{}, func(Finding) error { return nil })
	if err == nil {
		t.Error("want an error for a missing input")
	}
	emitErr := errors.New("stop")
	dir := writeFiles(t, map[string]string{"a.jsonl": line("1", "1", "2024-01-01 10:00:00", "low")})
	if _, err := Run([]string{dir}, &recorder{}, Options{}, func(Finding) error { return emitErr }); !errors.Is(err, emitErr) {
		t.Errorf("emit error not returned: %v", err)
	}
}

// TestWriterGolden pins the three output formats.
func TestWriterGolden(t *testing.T) {
	ev := NewEvent(mustParse(t, line("1", "7", "2024-01-01 10:00:00", `C:\\x.exe`)), "in/a.jsonl")
	f := Finding{Match: detect.Match{RuleID: "id-1", RuleTitle: "Title", Level: "high", Tags: []string{"attack.t1059"},
		Time: ev.Timestamp, Events: []*event.Event{ev}}, Source: "in/a.jsonl", RecordID: "7"}
	corr := f
	corr.Correlation = true
	corr.GroupBy = map[string]string{"Computer": "WS01.corp"}
	corr.Events = []*event.Event{ev, ev}
	for _, format := range Formats {
		var buf bytes.Buffer
		w, err := NewWriter(&buf, format)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range []Finding{f, corr} {
			if err := w.Write(x); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", "findings."+format)
		if *update {
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), want) {
			t.Errorf("%s output differs from %s:\n%s", format, path, buf.Bytes())
		}
	}
	// Every jsonl line is an object with the required keys.
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, "jsonl")
	_ = w.Write(f)
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"rule_id", "rule_title", "level", "timestamp", "source", "record_id", "event"} {
		if _, ok := m[k]; !ok {
			t.Errorf("jsonl finding lacks %q", k)
		}
	}
	if _, err := NewWriter(&buf, "xml"); err == nil {
		t.Error("unknown format accepted")
	}
}

func mustParse(t *testing.T, s string) parse.Record {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	rec, err := winevent.FromMap(m)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func TestLevelRank(t *testing.T) {
	if LevelRank("HIGH") != 3 || LevelRank("nope") != -1 || LevelRank("informational") != 0 {
		t.Error("LevelRank")
	}
}
