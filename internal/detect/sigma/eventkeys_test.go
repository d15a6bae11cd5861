package sigma

import (
	"slices"
	"testing"

	"github.com/yagura-soc/yagura/internal/event"
)

// project keeps only the given keys of an event's fields and drops its raw
// text, as a retro-hunt's store read does.
func project(ev *event.Event, keys []string) *event.Event {
	out := *ev
	out.Raw = ""
	out.Fields, out.ECS = event.Fields{}, event.Fields{}
	for _, k := range keys {
		if v, ok := ev.Fields[k]; ok {
			out.Fields[k] = v
		}
		if v, ok := ev.ECS[k]; ok {
			out.ECS[k] = v
		}
	}
	return &out
}

func usesKeywords(r *Rule) bool {
	for _, sel := range r.Detection.Selections {
		for _, branch := range sel.Branches {
			for _, item := range branch {
				if item.Keyword {
					return true
				}
			}
		}
	}
	return false
}

// An event cut down to EventKeys gets exactly the matches of the whole
// event: the SigmaHQ rules without keyword searches over the EVTX attack
// samples, two engines side by side so correlations see the same stream.
func TestEventKeysSuffice(t *testing.T) {
	loadSigmaHQ(t)
	set := &RuleSet{}
	keywordRules := 0
	for _, r := range sigmaHQSet.set.Rules {
		if usesKeywords(r) {
			keywordRules++
			continue
		}
		set.Add(r)
	}
	set.Add(sigmaHQSet.set.Correlations...)
	set.Add(sigmaHQSet.set.Filters...)
	whole, err := NewEngine(set, Options{})
	if err != nil {
		t.Fatal(err)
	}
	cut, err := NewEngine(set, Options{})
	if err != nil {
		t.Fatal(err)
	}
	keys, all := cut.EventKeys()
	if all || len(keys) < 100 || keywordRules == 0 {
		t.Fatalf("EventKeys: %d keys, all=%v (keyword rules left out: %d)", len(keys), all, keywordRules)
	}
	events := loadAttackSamples(t)
	matches, dropped := 0, 0
	for i, ev := range events {
		small := project(ev, keys)
		dropped += len(ev.Fields) + len(ev.ECS) - len(small.Fields) - len(small.ECS)
		var want, got []string
		for _, m := range whole.Detect(ev, nil) {
			want = append(want, m.RuleID)
		}
		for _, m := range cut.Detect(small, nil) {
			got = append(got, m.RuleID)
		}
		if !slices.Equal(got, want) {
			t.Errorf("event %d (%s): cut to its keys it matched %v, whole %v", i, Dataset(ev), got, want)
		}
		matches += len(want)
	}
	if matches < 100 || dropped == 0 {
		t.Errorf("%d matches, %d fields dropped over %d events: the comparison proves nothing", matches, dropped, len(events))
	}
}

// A keyword search, or a rule on the raw text, needs the whole event.
func TestEventKeysWholeEvent(t *testing.T) {
	for name, detection := range map[string]string{
		"keyword":        "  keywords:\n    - mimikatz\n  condition: keywords\n",
		"event.original": "  sel:\n    event.original|contains: mimikatz\n  condition: sel\n",
		"fields only":    "  sel:\n    Image|endswith: \\mimikatz.exe\n  condition: sel\n",
	} {
		rules, rejected := ParseRules(name, []byte("title: t\nid: 5f1d7c1e-0000-4000-8000-0000000000aa\nlogsource:\n  product: windows\n  category: process_creation\ndetection:\n"+detection))
		if len(rejected) > 0 {
			t.Fatal(rejected)
		}
		set := &RuleSet{}
		set.Add(rules...)
		eng, err := NewEngine(set, Options{})
		if err != nil {
			t.Fatal(err)
		}
		keys, all := eng.EventKeys()
		if want := name != "fields only"; all != want {
			t.Errorf("%s: all = %v, want %v (keys %v)", name, all, want, keys)
		}
		if name == "fields only" && (!slices.Contains(keys, "Image") || !slices.Contains(keys, "EventID")) {
			t.Errorf("%s: keys %v", name, keys)
		}
	}
}
