package alert

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/detect"
	"github.com/yagura-soc/yagura/internal/event"
)

func ev(id, host, user string) *event.Event {
	return &event.Event{ID: id, ECS: event.Fields{"host.name": host, "user.name": user, "source.ip": "203.0.113.7"}}
}

func TestSeverity(t *testing.T) {
	cases := map[string]string{"info": "informational", "informational": "informational", "LOW": "low",
		"medium": "medium", "high": "high", "critical": "critical", "": "medium", "bogus": "medium"}
	for in, want := range cases {
		if got := Severity(in); got != want {
			t.Errorf("Severity(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFromMatchesMergesByFingerprint(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	matches := []detect.Match{
		{Tenant: "a", RuleID: "r1", Level: "high", Time: t0.Add(2 * time.Second), Events: []*event.Event{ev("e1", "ws-1", "bob")}},
		{Tenant: "a", RuleID: "r1", Level: "high", Time: t0, Events: []*event.Event{ev("e2", "ws-1", "bob")}},
		{Tenant: "a", RuleID: "r1", Level: "high", Time: t0, Events: []*event.Event{ev("e3", "ws-2", "bob")}},
		{Tenant: "a", RuleID: "r2", Level: "low", Time: t0, Events: []*event.Event{ev("e4", "ws-1", "bob")}},
		{Tenant: "b", RuleID: "r1", Level: "high", Time: t0, Events: []*event.Event{ev("e5", "ws-1", "bob")}},
	}
	got := FromMatches(matches)
	if len(got["a"]) != 3 || len(got["b"]) != 1 {
		t.Fatalf("alerts per tenant: a=%d b=%d, want 3 and 1", len(got["a"]), len(got["b"]))
	}
	first := got["a"][0]
	if first.Count != 2 || len(first.EventIDs) != 2 || !first.FirstSeen.Equal(t0) || !first.LastSeen.Equal(t0.Add(2*time.Second)) {
		t.Errorf("merged alert = %+v", first)
	}
	if first.Severity != "high" || first.RiskScore != 65 || first.Entities["source.ip"] != "203.0.113.7" {
		t.Errorf("severity/risk/entities = %s %d %v", first.Severity, first.RiskScore, first.Entities)
	}
	if got["a"][0].Fingerprint == got["a"][1].Fingerprint || got["a"][0].Fingerprint != got["b"][0].Fingerprint {
		t.Error("fingerprints must differ by host and agree across tenants for the same rule and entities")
	}
}

// A Set fed one match at a time, as a retro-hunt feeds it, builds the
// same alerts as FromMatches over the whole slice.
func TestSetMergesAStream(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	set := Builder{Risk: DefaultRisk()}.NewSet()
	var all []detect.Match
	for i, host := range []string{"ws-1", "ws-2", "ws-1", "ws-1"} {
		m := detect.Match{Tenant: "a", RuleID: "r1", Level: "medium", Time: t0.Add(time.Duration(i) * time.Minute),
			Events: []*event.Event{ev(fmt.Sprint("e", i), host, "bob")}}
		all = append(all, m)
		set.Add(m)
	}
	want := FromMatches(all)["a"]
	got := set.Alerts("a")
	if set.Matches() != 4 || !reflect.DeepEqual(got, want) || len(got) != 2 || got[0].Count != 3 {
		t.Errorf("set: %d matches, alerts %+v; want %+v", set.Matches(), got, want)
	}
	if len(set.Alerts("b")) != 0 {
		t.Error("alerts of a tenant with no matches")
	}
}

func TestFingerprintIgnoresOtherEntities(t *testing.T) {
	a := Fingerprint("r", map[string]string{"host.name": "h", "user.name": "u", "source.ip": "1.2.3.4"}, DefaultGroupBy)
	b := Fingerprint("r", map[string]string{"host.name": "h", "user.name": "u", "source.ip": "5.6.7.8"}, DefaultGroupBy)
	c := Fingerprint("r", map[string]string{"host.name": "h", "user.name": "v"}, DefaultGroupBy)
	if a != b || a == c {
		t.Errorf("a=%s b=%s c=%s", a, b, c)
	}
}
