package builtin

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/detect"
	"github.com/yagura-soc/yagura/internal/detect/sigma"
	"github.com/yagura-soc/yagura/internal/event"
)

// testC2 is the value the tests give the %c2_ips% placeholder.
const testC2 = "192.0.2.200"

// fixtureCase is one case of a testdata file (see testdata/README.md).
type fixtureCase struct {
	Name   string         `json:"name"`
	Rule   string         `json:"rule"`
	Match  bool           `json:"match"`
	Events []fixtureEvent `json:"events"`
}

type fixtureEvent struct {
	At     string            `json:"at"`
	Repeat int               `json:"repeat"`
	Every  string            `json:"every"`
	Vary   map[string]string `json:"vary"`
	Fields map[string]any    `json:"fields"`
	ECS    map[string]any    `json:"ecs"`
}

// loadFixtures reads every testdata file, keyed by file name.
func loadFixtures(t *testing.T) map[string][]fixtureCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	out := map[string][]fixtureCase{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var cases []fixtureCase
		if err := json.Unmarshal(data, &cases); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[filepath.Base(f)] = cases
	}
	return out
}

// events expands a case into events, one second apart unless "at" or
// "every" say otherwise, starting at base.
func (c fixtureCase) events(t *testing.T, base time.Time) []*event.Event {
	t.Helper()
	var out []*event.Event
	next := base
	for _, fe := range c.Events {
		at := next
		if fe.At != "" {
			d, err := time.ParseDuration(fe.At)
			if err != nil {
				t.Fatalf("case %q: at: %v", c.Name, err)
			}
			at = base.Add(d)
		}
		every := time.Second
		if fe.Every != "" {
			d, err := time.ParseDuration(fe.Every)
			if err != nil {
				t.Fatalf("case %q: every: %v", c.Name, err)
			}
			every = d
		}
		n := max(fe.Repeat, 1)
		for i := 0; i < n; i++ {
			ev := &event.Event{
				Tenant:    "t1",
				ID:        fmt.Sprintf("%s-%d-%d", c.Name, len(out), i),
				Timestamp: at.Add(time.Duration(i) * every),
				Source:    "fixture",
				Fields:    fixtureFields(fe.Fields),
				ECS:       fixtureFields(fe.ECS),
			}
			for name, format := range fe.Vary {
				// Dotted names are ECS, the others native, as in the fixtures.
				if strings.Contains(name, ".") {
					ev.ECS[name] = fmt.Sprintf(format, i)
				} else {
					ev.Fields[name] = fmt.Sprintf(format, i)
				}
			}
			out = append(out, ev)
		}
		next = at.Add(time.Duration(n) * every)
	}
	return out
}

// fixtureFields converts decoded JSON to the value types event.Fields
// allows: whole numbers become int64, as parsers produce them.
func fixtureFields(m map[string]any) event.Fields {
	out := make(event.Fields, len(m))
	for k, v := range m {
		if f, ok := v.(float64); ok && f == float64(int64(f)) {
			v = int64(f)
		}
		out[k] = v
	}
	return out
}

// newEngine compiles the pack. generateAll makes the rules that only feed
// correlations report their own matches too, so tests can check them.
func newEngine(t *testing.T, generateAll bool) (*sigma.Engine, *sigma.RuleSet) {
	t.Helper()
	set, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	eng, err := sigma.NewEngine(set, sigma.Options{
		Placeholders: map[string][]string{PlaceholderC2: {testC2}},
		GenerateAll:  generateAll,
	})
	if err != nil {
		t.Fatal(err)
	}
	return eng, set
}

// ruleIndex finds rules by id and by name.
type ruleIndex map[string]*sigma.Rule

func indexRules(set *sigma.RuleSet) ruleIndex {
	idx := ruleIndex{}
	for _, group := range [][]*sigma.Rule{set.Rules, set.Correlations} {
		for _, r := range group {
			idx[r.ID] = r
			if r.Name != "" {
				idx[r.Name] = r
			}
		}
	}
	return idx
}

func TestRuleFixtures(t *testing.T) {
	_, set := newEngine(t, true)
	idx := indexRules(set)
	base := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	for file, cases := range loadFixtures(t) {
		for _, c := range cases {
			t.Run(strings.TrimSuffix(file, ".json")+"/"+c.Name, func(t *testing.T) {
				r := idx[c.Rule]
				if r == nil {
					t.Fatalf("no rule %s in the pack", c.Rule)
				}
				// A fresh engine per case: correlation state must not
				// leak from one case into the next.
				eng, _ := newEngine(t, true)
				fired := map[string]int{}
				var out []detect.Match
				for _, ev := range c.events(t, base) {
					out = eng.Detect(ev, out[:0])
					for _, m := range out {
						fired[m.RuleID]++
					}
				}
				if got := fired[r.ID] > 0; got != c.Match {
					t.Fatalf("rule %q fired = %v, want %v (fired: %v)", r.Title, got, c.Match, fired)
				}
			})
		}
	}
}

// Every rule has a case that fires it and a case that does not, and every
// rule file has its fixture file.
func TestEveryRuleHasFixtures(t *testing.T) {
	set, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	cases := loadFixtures(t)
	pos, neg := map[string]int{}, map[string]int{}
	for _, cs := range cases {
		for _, c := range cs {
			if c.Match {
				pos[c.Rule]++
			} else {
				neg[c.Rule]++
			}
		}
	}
	for _, group := range [][]*sigma.Rule{set.Rules, set.Correlations} {
		for _, r := range group {
			if pos[r.ID] == 0 || neg[r.ID] == 0 {
				t.Errorf("%s (%s): %d matching and %d non-matching fixture cases, want at least one of each", r.Title, r.ID, pos[r.ID], neg[r.ID])
			}
		}
	}
	ruleFiles, err := fs.Glob(FS(), "*.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range ruleFiles {
		if _, ok := cases[strings.TrimSuffix(f, ".yml")+".json"]; !ok {
			t.Errorf("rule file %s has no testdata/%s.json", f, strings.TrimSuffix(f, ".yml"))
		}
	}
}

var (
	reUUID      = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	reTechnique = regexp.MustCompile(`^attack\.t\d{4}(\.\d{3})?$`)
	levels      = map[string]bool{"informational": true, "low": true, "medium": true, "high": true, "critical": true}
)

// The pack's rules carry everything an analyst needs to act on an alert.
func TestRuleMetadata(t *testing.T) {
	set, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	idx := indexRules(set)
	var titles []string
	for _, group := range [][]*sigma.Rule{set.Rules, set.Correlations} {
		for _, r := range group {
			titles = append(titles, r.Title)
			t.Run(r.Title, func(t *testing.T) {
				if !reUUID.MatchString(r.ID) {
					t.Errorf("id %q is not a random UUID", r.ID)
				}
				if r.Author != "Yagura" {
					t.Errorf("author %q, want Yagura", r.Author)
				}
				if len(r.Description) < 40 {
					t.Errorf("description too short to help an analyst: %q", r.Description)
				}
				if !levels[r.Level] {
					t.Errorf("level %q", r.Level)
				}
				if len(r.FalsePositives) == 0 {
					t.Error("no falsepositives")
				}
				technique := false
				for _, tag := range r.Tags {
					technique = technique || reTechnique.MatchString(tag)
				}
				if !technique {
					t.Errorf("no ATT&CK technique tag in %v", r.Tags)
				}
				if r.Kind == sigma.KindCorrelation {
					for _, ref := range r.Correlation.Rules {
						if idx[ref] == nil {
							t.Errorf("correlation refers to unknown rule %q", ref)
						}
					}
					return
				}
				if r.Logsource.Product == "" && r.Logsource.Category == "" && r.Logsource.Service == "" {
					t.Error("no logsource")
				}
			})
		}
	}
	sort.Strings(titles)
	for i := 1; i < len(titles); i++ {
		if titles[i] == titles[i-1] {
			t.Errorf("two rules titled %q", titles[i])
		}
	}
}

// Every rule's logsource maps to events under the engine's default mapping:
// a rule the engine never evaluates is dead weight.
func TestRulesAreMapped(t *testing.T) {
	eng, _ := newEngine(t, false)
	st := eng.Stats()
	if st.Unmapped != 0 {
		t.Errorf("%d rules with unmapped logsources: %v", st.Unmapped, st.UnmappedLogsources)
	}
	if len(st.UnresolvedPlaceholders) != 0 {
		t.Errorf("unresolved placeholders with %%c2_ips%% set: %v", st.UnresolvedPlaceholders)
	}
}
