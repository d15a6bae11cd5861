package sigma

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/shareddata"
)

// regressionEvents reads the one or more JSON records of a sample file.
func regressionEvents(data []byte) ([]*event.Event, error) {
	dec := json.NewDecoder(strings.NewReader(string(data)))
	var out []*event.Event
	for dec.More() {
		var rec json.RawMessage
		if err := dec.Decode(&rec); err != nil {
			return nil, err
		}
		ev, err := regressionEvent(rec)
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, nil
}

// regressionEvent flattens one evtx_dump JSON record the way the Windows
// parser does: System attributes under their Sigma names, EventData and
// UserData fields under their own.
func regressionEvent(data []byte) (*event.Event, error) {
	var doc struct {
		Event struct {
			System    map[string]any `json:"System"`
			EventData any            `json:"EventData"`
			UserData  any            `json:"UserData"`
		} `json:"Event"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	f := event.Fields{}
	sys := doc.Event.System
	f["EventID"] = jsonScalar(sys["EventID"])
	if m, ok := sys["EventID"].(map[string]any); ok {
		f["EventID"] = jsonScalar(m["#text"])
	}
	f["Channel"] = jsonScalar(sys["Channel"])
	f["Computer"] = jsonScalar(sys["Computer"])
	if p, ok := sys["Provider"].(map[string]any); ok {
		if a, ok := p["#attributes"].(map[string]any); ok {
			f["Provider_Name"] = jsonScalar(a["Name"])
		}
	}
	if s, ok := sys["Security"].(map[string]any); ok {
		if a, ok := s["#attributes"].(map[string]any); ok {
			f["Security_UserID"] = jsonScalar(a["UserID"])
		}
	}
	// EventData and UserData nest their fields one level or more; the leaf
	// names are the field names, "#text" carries the value of its parent.
	var flatten func(name string, v any)
	flatten = func(name string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, sub := range x {
				switch k {
				case "#attributes":
				case "#text":
					flatten(name, sub)
				default:
					flatten(k, sub)
				}
			}
		default:
			if name != "" {
				f[name] = jsonScalar(x)
			}
		}
	}
	flatten("", doc.Event.EventData)
	flatten("", doc.Event.UserData)
	ev := &event.Event{Fields: f, Raw: string(data)}
	ev.SetECS("event.dataset", Dataset(ev))
	return ev, nil
}

func jsonScalar(v any) any {
	switch x := v.(type) {
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x)
		}
		return x
	case []any:
		out := make([]any, len(x))
		for i, item := range x {
			out[i] = jsonScalar(item)
		}
		return out
	}
	return v
}

// TestRegressionSamples checks the engine alone (not the EVTX parser)
// against SigmaHQ's regression samples: the rule each sample was written
// for must fire on it, as many times as info.yml says.
func TestRegressionSamples(t *testing.T) {
	eng := loadSigmaHQ(t)
	root := shareddata.Path(t, "sigma", "regression_data")
	infos, err := filepath.Glob(filepath.Join(root, "*", "*", "*", "*", "info.yml"))
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob(filepath.Join(root, "*", "*", "*", "*", "*", "*", "info.yml"))
	infos = append(infos, more...)
	more, _ = filepath.Glob(filepath.Join(root, "*", "*", "*", "*", "*", "info.yml"))
	infos = append(infos, more...)
	passed, total := 0, 0
	for _, info := range infos {
		raw, err := os.ReadFile(info)
		if err != nil {
			t.Fatal(err)
		}
		var meta struct {
			RuleMetadata []struct{ ID string } `yaml:"rule_metadata"`
			Tests        []struct {
				MatchCount *int `yaml:"match_count"`
			} `yaml:"regression_tests_info"`
		}
		if err := yaml.Unmarshal(raw, &meta); err != nil || len(meta.RuleMetadata) == 0 {
			t.Errorf("%s: unreadable info.yml: %v", info, err)
			continue
		}
		jsons, _ := filepath.Glob(filepath.Join(filepath.Dir(info), "*.json"))
		for _, js := range jsons {
			total++
			data, err := os.ReadFile(js)
			if err != nil {
				t.Fatal(err)
			}
			events, err := regressionEvents(data)
			if err != nil || len(events) == 0 {
				t.Errorf("%s: %d events, %v", js, len(events), err)
				continue
			}
			ev := events[0]
			want := meta.RuleMetadata[0].ID
			count := 0
			var fired []string
			for _, ev := range events {
				for _, m := range eng.Detect(ev, nil) {
					fired = append(fired, m.RuleID)
					if m.RuleID == want {
						count++
					}
				}
			}
			// match_count, where set, is exact; otherwise the rule must fire.
			wantCount, exact := 1, false
			if len(meta.Tests) > 0 && meta.Tests[0].MatchCount != nil {
				wantCount, exact = *meta.Tests[0].MatchCount, true
			}
			if (exact && count != wantCount) || (!exact && count == 0) {
				rel, _ := filepath.Rel(root, js)
				t.Errorf("%s: rule %s fired %d times, want %d (dataset %q, EventID %v; fired %s)",
					rel, want, count, wantCount, Dataset(ev), ev.Fields["EventID"], strings.Join(fired, " "))
				continue
			}
			passed++
		}
	}
	t.Logf("regression samples: %d of %d pass", passed, total)
	if total < 100 {
		t.Errorf("only %d samples found; expected the 107 of the data set", total)
	}
}
