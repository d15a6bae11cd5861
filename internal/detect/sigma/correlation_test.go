package sigma

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/detect"
	"github.com/yagura-soc/yagura/internal/event"
)

const failedLogonRule = `title: Failed logon
id: cccccccc-0000-0000-0000-000000000001
name: failed_logon
logsource: {product: windows, service: security}
detection:
  sel: {EventID: 4625}
  condition: sel
level: low
`

const successLogonRule = `title: Successful logon
id: cccccccc-0000-0000-0000-000000000002
name: successful_logon
logsource: {product: windows, service: security}
detection:
  sel: {EventID: 4624}
  condition: sel
level: informational
`

// threeFailures fires on the third failed logon of a user within 5 minutes.
const threeFailures = `title: Three failures
id: cccccccc-0000-0000-0000-000000000020
correlation:
  type: event_count
  rules: [failed_logon]
  group-by: [TargetUserName]
  timespan: 5m
  condition: {gte: 3}
`

func logon(id int64, user string, at time.Duration) *event.Event {
	return &event.Event{Tenant: "t1", Timestamp: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(at),
		Fields: event.Fields{"EventID": id, "TargetUserName": user}, ECS: event.Fields{"event.dataset": event.DatasetWindowsSecurity}}
}

func titles(ms []detect.Match) string {
	var out []string
	for _, m := range ms {
		out = append(out, m.RuleTitle)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

func TestCorrelationInEngine(t *testing.T) {
	bruteForce := `title: Brute force then success
id: cccccccc-0000-0000-0000-000000000010
name: brute_then_success
correlation:
  type: temporal_ordered
  rules: [many_failures, successful_logon]
  group-by: [TargetUserName]
  timespan: 10m
level: high
---
title: Many failures
id: cccccccc-0000-0000-0000-000000000011
name: many_failures
correlation:
  type: event_count
  rules: [failed_logon]
  group-by: [TargetUserName]
  timespan: 5m
  condition: {gte: 3}
`
	tests := []struct {
		name   string
		extra  string
		opts   Options
		events []*event.Event
		want   string
	}{
		{"chain fires, base and intermediate silent", "", Options{},
			[]*event.Event{logon(4625, "bob", 0), logon(4625, "bob", time.Minute), logon(4625, "bob", 2*time.Minute), logon(4624, "bob", 3*time.Minute)},
			"Brute force then success"},
		{"other user breaks the group", "", Options{},
			[]*event.Event{logon(4625, "bob", 0), logon(4625, "bob", time.Minute), logon(4625, "bob", 2*time.Minute), logon(4624, "eve", 3*time.Minute)},
			""},
		{"success before failures", "", Options{},
			[]*event.Event{logon(4624, "bob", 0), logon(4625, "bob", time.Minute), logon(4625, "bob", 2*time.Minute), logon(4625, "bob", 3*time.Minute)},
			""},
		{"GenerateAll emits everything", "", Options{GenerateAll: true},
			[]*event.Event{logon(4625, "bob", 0), logon(4625, "bob", time.Minute), logon(4625, "bob", 2*time.Minute), logon(4624, "bob", 3*time.Minute)},
			"Brute force then success,Failed logon,Failed logon,Failed logon,Many failures,Successful logon"},
		{"generate true at top level", "\n---\ntitle: Count successes\nid: cccccccc-0000-0000-0000-000000000012\ngenerate: true\ncorrelation:\n  type: event_count\n  rules: [cccccccc-0000-0000-0000-000000000002]\n  group-by: [TargetUserName]\n  timespan: 1m\n  condition: {gte: 5}\n",
			Options{}, []*event.Event{logon(4624, "bob", 0)}, "Successful logon"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng := engineFromDocs(t, tt.opts, failedLogonRule, successLogonRule, bruteForce+tt.extra)
			var all []detect.Match
			for _, ev := range tt.events {
				all = eng.Detect(ev, all)
			}
			if got := titles(all); got != tt.want {
				t.Errorf("fired %q, want %q", got, tt.want)
			}
			for _, m := range all {
				if m.Correlation && (m.GroupBy["TargetUserName"] != "bob" || len(m.Events) == 0) {
					t.Errorf("correlation match %+v lacks group-by or events", m)
				}
			}
		})
	}
}

func TestCorrelationECSGroupBy(t *testing.T) {
	// Group-by uses the same field resolution as rules: TargetUserName
	// falls back to user.target.name on normalized events.
	eng := engineFromDocs(t, Options{}, failedLogonRule, threeFailures)
	var all []detect.Match
	for i := 0; i < 3; i++ {
		ev := &event.Event{Tenant: "t1", Timestamp: time.Date(2024, 1, 1, 0, i, 0, 0, time.UTC),
			ECS: event.Fields{"event.dataset": event.DatasetWindowsSecurity, "event.code": "4625", "user.target.name": "bob"}}
		all = eng.Detect(ev, all)
	}
	if len(all) != 1 || all[0].GroupBy["TargetUserName"] != "bob" {
		t.Fatalf("matches = %+v", all)
	}
	if st := eng.CorrelationStats(); st.Fired != 1 {
		t.Errorf("stats = %+v", st)
	}
}

func TestCorrelationUnknownReferenceRejected(t *testing.T) {
	rules, rej := ParseRules("c.yml", []byte(`title: Orphan
id: cccccccc-0000-0000-0000-000000000030
correlation:
  type: event_count
  rules: [no_such_rule]
  group-by: [User]
  timespan: 5m
  condition: {gte: 3}
`))
	set := &RuleSet{}
	set.Add(rules...)
	rej = append(rej, set.validate()...)
	if len(rej) != 1 || !strings.Contains(rej[0].Reason, `unknown rule "no_such_rule"`) {
		t.Fatalf("rejections = %v", rej)
	}
}

func TestCorrelationParseErrors(t *testing.T) {
	tests := []struct{ doc, want string }{
		{"title: x\ncorrelation:\n  type: bogus\n  rules: [a]\n  timespan: 1m\n  condition: {gte: 1}\n", `unsupported correlation type "bogus"`},
		{"title: x\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 1m\n", "condition"},
		{"title: x\ncorrelation:\n  type: value_count\n  rules: [a]\n  timespan: 1m\n  condition: {gte: 1}\n", "needs a field"},
		{"title: x\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: soon\n  condition: {gte: 1}\n", "invalid timespan"},
		{"title: x\ncorrelation:\n  type: value_percentile\n  rules: [a]\n  timespan: 1m\n  condition: {field: x, gte: 1}\n", "percentile"},
		{"title: x\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 1m\n  condition: {about: 1}\n", "unknown condition operator"},
	}
	for _, tt := range tests {
		_, rej := ParseRules("c.yml", []byte(tt.doc))
		if len(rej) != 1 || !strings.Contains(rej[0].Reason, tt.want) {
			t.Errorf("%q: rejections %v, want %q", tt.doc, rej, tt.want)
		}
	}
}

func TestMergedDuplicatesDoNotBreakCompilation(t *testing.T) {
	rules, rej := ParseRules("a.yml", []byte(failedLogonRule+"---\n"+threeFailures))
	if len(rej) != 0 {
		t.Fatal(rej)
	}
	set := &RuleSet{}
	set.Add(rules...)
	set.Add(rules...) // the same pack merged twice
	eng, err := NewEngine(set, Options{})
	if err != nil {
		t.Fatalf("NewEngine: %v", err)
	}
	if st := eng.Stats(); st.Duplicates != 2 || st.Rules != 1 {
		t.Errorf("stats = %+v, want 2 duplicates and 1 rule", st)
	}
}

func TestRuleLookup(t *testing.T) {
	eng := engineFromDocs(t, Options{}, failedLogonRule)
	if r := eng.Rule("cccccccc-0000-0000-0000-000000000001"); r == nil || r.Title != "Failed logon" {
		t.Errorf("Rule() = %+v", r)
	}
	if eng.Rule("nope") != nil {
		t.Error("unknown id must give nil")
	}
}
