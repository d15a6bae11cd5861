package alert

import (
	"testing"

	"github.com/yagura-soc/yagura/internal/detect"
	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/store"
)

func TestSuppressionMatching(t *testing.T) {
	m := detect.Match{RuleID: "r1", RuleTitle: "Brute force", Events: []*event.Event{{
		ECS:    event.Fields{"host.name": "WS-01", "user.name": "svc_backup", "source.ip": "10.1.2.3", "process.executable": `C:\Tools\scan.exe`},
		Fields: event.Fields{"EventID": int64(4625)},
	}}, Fields: event.Fields{"threat.indicator.confidence": 40}}
	eq := func(f, v string) store.Condition { return store.Condition{Field: f, Value: v} }
	cases := []struct {
		name string
		sup  store.Suppression
		want bool
	}{
		{"rule only", store.Suppression{RuleID: "r1", Reason: "x"}, true},
		{"other rule", store.Suppression{RuleID: "r2", Reason: "x", Conditions: []store.Condition{eq("host.name", "ws-01")}}, false},
		{"any rule, equals ignores case", store.Suppression{Reason: "x", Conditions: []store.Condition{eq("host.name", "ws-01")}}, true},
		{"all conditions must hold", store.Suppression{Reason: "x", Conditions: []store.Condition{eq("host.name", "ws-01"), eq("user.name", "bob")}}, false},
		{"native field", store.Suppression{Reason: "x", Conditions: []store.Condition{eq("EventID", "4625")}}, true},
		{"detector fact", store.Suppression{Reason: "x", Conditions: []store.Condition{eq("threat.indicator.confidence", "40")}}, true},
		{"rule.id field", store.Suppression{Reason: "x", Conditions: []store.Condition{eq("rule.id", "r1")}}, true},
		{"missing field never equals", store.Suppression{Reason: "x", Conditions: []store.Condition{eq("url.original", "")}}, false},
		{"not_equals on missing field holds", store.Suppression{Reason: "x", Conditions: []store.Condition{{Field: "url.original", Op: "not_equals", Value: "a"}}}, true},
		{"not_equals", store.Suppression{Reason: "x", Conditions: []store.Condition{{Field: "user.name", Op: "not_equals", Value: "SVC_BACKUP"}}}, false},
		{"prefix", store.Suppression{Reason: "x", Conditions: []store.Condition{{Field: "user.name", Op: "prefix", Value: "svc_"}}}, true},
		{"suffix", store.Suppression{Reason: "x", Conditions: []store.Condition{{Field: "process.executable", Op: "suffix", Value: `\scan.exe`}}}, true},
		{"contains", store.Suppression{Reason: "x", Conditions: []store.Condition{{Field: "process.executable", Op: "contains", Value: `tools`}}}, true},
		{"in", store.Suppression{Reason: "x", Conditions: []store.Condition{{Field: "host.name", Op: "in", Any: []string{"ws-02", "ws-01"}}}}, true},
		{"cidr in", store.Suppression{Reason: "x", Conditions: []store.Condition{{Field: "source.ip", Op: "cidr", Value: "10.0.0.0/8"}}}, true},
		{"cidr out", store.Suppression{Reason: "x", Conditions: []store.Condition{{Field: "source.ip", Op: "cidr", Value: "192.168.0.0/16"}}}, false},
		{"cidr on a non-IP never matches", store.Suppression{Reason: "x", Conditions: []store.Condition{{Field: "host.name", Op: "cidr", Value: "10.0.0.0/8"}}}, false},
		{"invalid suppression suppresses nothing", store.Suppression{Reason: "", RuleID: "r1"}, false},
	}
	for _, c := range cases {
		c.sup.ID = "s1"
		got := newSuppressor([]store.Suppression{c.sup}).match(m, Entities(m)) == "s1"
		if got != c.want {
			t.Errorf("%s: suppressed %v, want %v", c.name, got, c.want)
		}
	}
}

func TestValidateSuppression(t *testing.T) {
	cases := []struct {
		name string
		sup  store.Suppression
		ok   bool
	}{
		{"reason and rule", store.Suppression{Reason: "known scanner", RuleID: "r"}, true},
		{"no reason", store.Suppression{RuleID: "r"}, false},
		{"nothing to match: would hide everything", store.Suppression{Reason: "x"}, false},
		{"empty field", store.Suppression{Reason: "x", Conditions: []store.Condition{{Value: "a"}}}, false},
		{"unknown op", store.Suppression{Reason: "x", Conditions: []store.Condition{{Field: "a", Op: "regex", Value: "a"}}}, false},
		{"bad cidr", store.Suppression{Reason: "x", Conditions: []store.Condition{{Field: "a", Op: "cidr", Value: "10.0.0.300/8"}}}, false},
		{"in without list", store.Suppression{Reason: "x", Conditions: []store.Condition{{Field: "a", Op: "in"}}}, false},
	}
	for _, c := range cases {
		if err := ValidateSuppression(c.sup); (err == nil) != c.ok {
			t.Errorf("%s: err = %v, want ok %v", c.name, err, c.ok)
		}
	}
}

func TestSuppressionFor(t *testing.T) {
	a := store.Alert{ID: "A", RuleID: "r", Entities: map[string]string{"host.name": "h", "source.ip": "1.2.3.4"}}
	sup := SuppressionFor(a, DefaultGroupBy)
	if sup.RuleID != "r" || sup.FromAlert != "A" || len(sup.Conditions) != 1 ||
		sup.Conditions[0].Field != "host.name" || sup.Conditions[0].Op != "equals" || sup.Conditions[0].Value != "h" {
		t.Errorf("SuppressionFor = %+v", sup)
	}
}
