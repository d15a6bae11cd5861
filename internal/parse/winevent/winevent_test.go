package winevent

import (
	"bytes"
	"encoding/json"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/yagura-soc/yagura/internal/event"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestFormsAgree parses the same Sysmon event exported by four tools and
// checks each yields the golden field set (TimeCreated compared to the
// microsecond, python-evtx's precision).
func TestFormsAgree(t *testing.T) {
	golden := filepath.Join("testdata", "sysmon1.golden.json")
	forms := []string{"evtx_dump.json", "python_evtx.jsonl", "winlogbeat.json", "nxlog.json"}
	var want event.Fields
	for i, name := range forms {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		rec, err := Parse(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if rec.Format != Format || rec.Time.IsZero() {
			t.Errorf("%s: format %q time %v", name, rec.Format, rec.Time)
		}
		got := rec.Fields
		got["TimeCreated"] = rec.Time.Truncate(1000).Format("2006-01-02T15:04:05.000000Z")
		if i == 0 {
			if *update {
				b, _ := json.MarshalIndent(got, "", "  ")
				if err := os.WriteFile(golden, append(b, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			b, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
		}
		if !reflect.DeepEqual(map[string]any(got), map[string]any(want)) {
			for k := range merge(got, want) {
				if !reflect.DeepEqual(got[k], want[k]) {
					t.Errorf("%s: %s = %#v, want %#v", name, k, got[k], want[k])
				}
			}
		}
	}
}

func merge(a, b event.Fields) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{``, `[]`, `{`, `{"System": {}}`, `{"foo": 1}`, `{"winlog": {}}`, `{"EventID": ""}`, `"str"`} {
		if _, err := Parse([]byte(in)); err == nil {
			t.Errorf("Parse(%q): want error", in)
		}
	}
}

func TestUserDataAndUnnamedData(t *testing.T) {
	in := `{"Event":{"System":{"EventID":1102,"Channel":"Security","Provider":{"#attributes":{"Name":"Microsoft-Windows-Eventlog"}}},` +
		`"UserData":{"LogFileCleared":{"#attributes":{"xmlns":"x"},"SubjectUserName":"admin","SubjectLogonId":"0x3e7"}}}}`
	rec, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := event.Fields{"EventID": "1102", "Channel": "Security", "Provider_Name": "Microsoft-Windows-Eventlog",
		"SubjectUserName": "admin", "SubjectLogonId": "0x3e7"}
	if !reflect.DeepEqual(rec.Fields, want) {
		t.Errorf("got %v, want %v", rec.Fields, want)
	}
	in = `{"System":{"EventID":"7036","Provider":{"Name":"Service Control Manager"}},"EventData":{"Data":[{"Name":"param1","#text":"WinRM"},{"Name":"param2","#text":"running"}]}}`
	rec, err = Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Fields["param1"] != "WinRM" || rec.Fields["param2"] != "running" {
		t.Errorf("named Data list: %v", rec.Fields)
	}
}

func TestLooks(t *testing.T) {
	for _, name := range []string{"evtx_dump.json", "python_evtx.jsonl", "winlogbeat.json", "nxlog.json"} {
		data, _ := os.ReadFile(filepath.Join("testdata", name))
		if !Looks(data) {
			t.Errorf("%s: Looks = false", name)
		}
	}
	for _, in := range []string{`<13>Jan  1 host sshd: x`, `{"message":"hi"}`, ``} {
		if Looks([]byte(in)) {
			t.Errorf("Looks(%q) = true", in)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"evtx_dump.json", "python_evtx.jsonl", "winlogbeat.json", "nxlog.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	// A member named "" inside System: no dot is dropped from the names
	// below it when System is flattened apart.
	f.Add([]byte(`{"System":{"EventID":"0","":{"":""}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := Parse(data)
		if err == nil && (rec.Format != Format || rec.Fields["EventID"] == nil) {
			t.Errorf("accepted a record without EventID: %v", rec.Fields)
		}
		Looks(data)
		// Flattening System, EventData and UserData apart is only a
		// shortcut: the whole record under dotted keys gives the same
		// fields. (Their values are not compared: when two payload
		// entries share a leaf name, "A.X" and "B.X", which one wins
		// depends on map order either way.)
		if in := bytes.TrimSpace(data); len(in) > 0 && in[0] == '{' {
			split, err1 := parseFlat(in)
			whole, err2 := parseUnsplit(in)
			if (err1 == nil) != (err2 == nil) || !split.Time.Equal(whole.Time) ||
				!slices.Equal(slices.Sorted(maps.Keys(split.Fields)), slices.Sorted(maps.Keys(whole.Fields))) {
				t.Errorf("split and whole flattening differ:\nsplit %v %v\nwhole %v %v", split, err1, whole, err2)
			}
		}
	})
}
