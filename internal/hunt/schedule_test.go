package hunt_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/hunt"
	"github.com/yagura-soc/yagura/internal/store"
	"github.com/yagura-soc/yagura/internal/store/sqlite"
)

func TestScheduledHunts(t *testing.T) {
	ctx := context.Background()
	events := openSeeded(t)
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, tn := range []string{"acme", "victim"} {
		if _, err := st.Tenants().Create(ctx, tn); err != nil {
			t.Fatal(err)
		}
	}
	hunts := st.Scope("acme").Hunts()
	mk := func(name, query string, threshold int64) store.Hunt {
		h, err := hunts.Create(ctx, store.Hunt{Name: name, Query: query, Interval: time.Hour, Lookback: 24 * time.Hour,
			Threshold: threshold, Severity: "high", Enabled: true, CreatedBy: "test"})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	hit := mk("user1 logons", "user.name:user1", 2)
	quiet := mk("too rare", "user.name:user1", 10)
	broken := mk("broken", "user.name:", 1)
	if _, err := hunts.Create(ctx, store.Hunt{Name: "saved only", Query: "user.name:user1", Severity: "low"}); err != nil {
		t.Fatal(err)
	}

	now := day.Add(24 * time.Hour)
	s := &hunt.Scheduler{Events: events, State: st, Now: func() time.Time { return now }}
	ran, err := s.RunDue(ctx)
	if err != nil || ran != 3 {
		t.Fatalf("RunDue ran %d, %v; want the 3 scheduled hunts", ran, err)
	}
	// The window [day, day+24h) holds acme events 0..7; user1 is every third: 1, 4, 7.
	list, _, err := st.Scope("acme").Alerts().List(ctx, store.AlertFilter{})
	if err != nil || len(list) != 1 {
		t.Fatalf("alerts: %v %v", list, err)
	}
	a := list[0]
	if a.RuleID != hunt.RulePrefix+hit.ID || a.Severity != "high" || a.Count != 3 || strings.Join(a.EventIDs, ",") != "a07,a04,a01" ||
		a.Entities["user.name"] != "user1" || !a.FirstSeen.Equal(day.Add(3*time.Hour)) {
		t.Errorf("alert %+v", a)
	}
	comments, err := st.Scope("acme").Alerts().Comments(ctx, a.ID)
	if err != nil || len(comments) != 1 || !strings.Contains(comments[0].Body, "Query: user.name:user1") ||
		!strings.Contains(comments[0].Body, "found 3 results (threshold 2)") || !strings.Contains(comments[0].Body, "a04") {
		t.Errorf("evidence %v %v", comments, err)
	}
	for _, c := range []struct {
		h           store.Hunt
		total, alts int64
		errText     string
	}{{hit, 3, 1, ""}, {quiet, 3, 0, ""}, {broken, 0, 0, "has no value"}} {
		got, err := hunts.Get(ctx, c.h.ID)
		if err != nil || got.LastRun == nil || !got.LastRun.Equal(now) || got.LastTotal != c.total || got.LastAlerts != c.alts ||
			!strings.Contains(got.LastError, c.errText) || (c.errText == "" && got.LastError != "") {
			t.Errorf("%s: run record %+v %v", c.h.Name, got, err)
		}
	}
	if n, _, _ := st.Scope("victim").Alerts().List(ctx, store.AlertFilter{}); len(n) != 0 {
		t.Errorf("victim got %d alerts from acme's hunts", len(n))
	}
	// Not due again within the interval.
	if ran, _ := s.RunDue(ctx); ran != 0 {
		t.Errorf("ran %d hunts again at once", ran)
	}
	// An hour later the same finding updates the same open alert.
	now = now.Add(time.Hour)
	if ran, _ := s.RunDue(ctx); ran != 3 {
		t.Errorf("ran %d after the interval", ran)
	}
	list, _, _ = st.Scope("acme").Alerts().List(ctx, store.AlertFilter{})
	if len(list) != 1 || list[0].ID != a.ID || list[0].Count != 6 {
		t.Errorf("second run: %d alerts, count %d", len(list), list[0].Count)
	}
	if comments, _ := st.Scope("acme").Alerts().Comments(ctx, a.ID); len(comments) != 2 {
		t.Errorf("%d evidence comments after two runs", len(comments))
	}
	recs, _, err := st.Scope("acme").Audit().List(ctx, store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	audited := 0
	for _, r := range recs {
		if r.Action == "hunt.alert" {
			audited++
		}
	}
	if audited != 2 {
		t.Errorf("%d hunt alerts audited, want 2", audited)
	}
}

// The evidence cuts a long raw line at a character boundary, so the
// comment stays valid UTF-8 (a split character would be mojibake).
func TestEvidenceCutsRawAtCharacter(t *testing.T) {
	raw := strings.Repeat("a", 299) + "日本語のログ"
	o := hunt.Outcome{Result: hunt.Result{Events: []*event.Event{{ID: "e1", Raw: raw}}}}
	got := hunt.Evidence(store.Hunt{Name: "long"}, o)
	if !utf8.ValidString(got) {
		t.Fatalf("evidence is not valid UTF-8: %q", got)
	}
	if !strings.Contains(got, strings.Repeat("a", 299)+"…") {
		t.Errorf("evidence does not end the raw line before the split character: %q", got)
	}
}
