package alert

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/yagura-soc/yagura/internal/detect"
	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/store"
	"github.com/yagura-soc/yagura/internal/store/sqlite"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func openState(t *testing.T) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newTestStage(t *testing.T, cfg Config) (*Stage, *sqlite.Store, *time.Time) {
	st := openState(t)
	s := NewStage(cfg, st, prometheus.NewRegistry(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	now := t0
	s.SetClock(func() time.Time { return now })
	return s, st, &now
}

func match(rule, level, host, user, ip string, at time.Time) detect.Match {
	return detect.Match{Tenant: store.DefaultTenant, RuleID: rule, RuleTitle: rule, Level: level, Time: at,
		Events: []*event.Event{{ID: "ev-" + host + "-" + at.Format("150405.000"),
			ECS: event.Fields{"host.name": host, "user.name": user, "source.ip": ip}}}}
}

func TestStageDedup(t *testing.T) {
	cfg := Config{DedupWindow: 10 * time.Minute, Risk: DefaultRisk(),
		GroupBy: map[string][]string{"by-ip": {"source.ip"}}}
	type step struct {
		name    string
		matches []detect.Match
		// want: rule/host → count of the open alert after the step
		wantAlerts int
		wantCount  map[string]int64
	}
	steps := []step{
		{"one rule, one host, one user: one alert", []detect.Match{
			match("r1", "high", "h1", "bob", "1.1.1.1", t0), match("r1", "high", "h1", "bob", "2.2.2.2", t0.Add(time.Second))},
			1, map[string]int64{"r1/h1/bob": 2}},
		{"another user on the host: another alert (default rule+host+user)", []detect.Match{
			match("r1", "high", "h1", "eve", "1.1.1.1", t0.Add(2*time.Second))},
			2, map[string]int64{"r1/h1/bob": 2, "r1/h1/eve": 1}},
		{"a repeat within the window updates across commits", []detect.Match{
			match("r1", "high", "h1", "bob", "1.1.1.1", t0.Add(5*time.Minute))},
			2, map[string]int64{"r1/h1/bob": 3}},
		{"per-rule grouping by source ip ignores host and user", []detect.Match{
			match("by-ip", "low", "h1", "bob", "9.9.9.9", t0.Add(6*time.Minute)),
			match("by-ip", "low", "h2", "eve", "9.9.9.9", t0.Add(6*time.Minute))},
			3, map[string]int64{"by-ip/h1/bob": 2}},
		{"after the window a new alert opens", []detect.Match{
			match("r1", "high", "h1", "bob", "1.1.1.1", t0.Add(40*time.Minute))},
			4, nil},
	}
	s, st, _ := newTestStage(t, cfg)
	ctx := context.Background()
	for _, sp := range steps {
		if _, err := s.Commit(ctx, sp.matches); err != nil {
			t.Fatalf("%s: %v", sp.name, err)
		}
		list, total, err := st.Scope(store.DefaultTenant).Alerts().List(ctx, store.AlertFilter{Sort: "created_at"})
		if err != nil {
			t.Fatal(err)
		}
		if total != sp.wantAlerts {
			t.Errorf("%s: %d alerts, want %d", sp.name, total, sp.wantAlerts)
		}
		got := map[string]int64{}
		for _, a := range list {
			key := a.RuleID + "/" + a.Entities["host.name"] + "/" + a.Entities["user.name"]
			if _, dup := got[key]; !dup { // the oldest alert of a key
				got[key] = a.Count
			}
		}
		for k, want := range sp.wantCount {
			if got[k] != want {
				t.Errorf("%s: %s count %d, want %d", sp.name, k, got[k], want)
			}
		}
	}
}

func TestStageSuppression(t *testing.T) {
	ctx := context.Background()
	expired := t0.Add(-time.Minute)
	later := t0.Add(time.Hour)
	cases := []struct {
		name          string
		sup           store.Suppression
		matches       []detect.Match
		wantAlerts    int
		wantHits      int64
		wantTotalSupp float64
	}{
		{"matching suppression counts and hides",
			store.Suppression{RuleID: "r1", Reason: "scanner", Conditions: []store.Condition{{Field: "host.name", Value: "scanner-1"}}},
			[]detect.Match{match("r1", "high", "scanner-1", "x", "1.1.1.1", t0), match("r1", "high", "scanner-1", "y", "1.1.1.1", t0),
				match("r1", "high", "ws-1", "x", "1.1.1.1", t0)}, 1, 2, 2},
		{"expired suppression suppresses nothing",
			store.Suppression{RuleID: "r1", Reason: "old", ExpiresAt: &expired},
			[]detect.Match{match("r1", "high", "ws-1", "x", "1.1.1.1", t0)}, 1, 0, 0},
		{"unexpired suppression with expiry applies",
			store.Suppression{RuleID: "r1", Reason: "maintenance", ExpiresAt: &later},
			[]detect.Match{match("r1", "high", "ws-1", "x", "1.1.1.1", t0), match("r2", "high", "ws-1", "x", "1.1.1.1", t0)}, 1, 1, 1},
		{"cidr condition on any rule",
			store.Suppression{Reason: "lab", Conditions: []store.Condition{{Field: "source.ip", Op: "cidr", Value: "10.0.0.0/8"}}},
			[]detect.Match{match("r1", "high", "a", "x", "10.2.3.4", t0), match("r2", "low", "b", "x", "11.2.3.4", t0)}, 1, 1, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, st, _ := newTestStage(t, Config{DedupWindow: time.Hour, Risk: DefaultRisk()})
			sup, err := st.Scope(store.DefaultTenant).Suppressions().Create(ctx, c.sup)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Commit(ctx, c.matches); err != nil {
				t.Fatal(err)
			}
			_, total, _ := st.Scope(store.DefaultTenant).Alerts().List(ctx, store.AlertFilter{})
			got, _ := st.Scope(store.DefaultTenant).Suppressions().Get(ctx, sup.ID)
			if total != c.wantAlerts || got.Hits != c.wantHits {
				t.Errorf("alerts %d hits %d, want %d and %d", total, got.Hits, c.wantAlerts, c.wantHits)
			}
			if c.wantHits > 0 && (got.LastHit == nil || !got.LastHit.Equal(t0)) {
				t.Errorf("last hit = %v, want %v", got.LastHit, t0)
			}
			if m := counterValue(s.suppressed.WithLabelValues(store.DefaultTenant)); m != c.wantTotalSupp {
				t.Errorf("suppressed metric = %v, want %v", m, c.wantTotalSupp)
			}
		})
	}
}

func TestStageEntityRisk(t *testing.T) {
	ctx := context.Background()
	er := EntityRiskConfig{HalfLife: time.Hour, Threshold: 100, Weight: 1, Fields: map[string]string{"host.name": "host"}}
	type step struct {
		after   time.Duration // since t0
		matches []detect.Match
	}
	cases := []struct {
		name             string
		steps            []step
		wantScore        float64 // host h1 as of the last step
		wantRiskAlerts   int
		wantContributing int
	}{
		{"one low alert stays below the threshold", []step{{0, []detect.Match{match("a", "low", "h1", "u", "", t0)}}}, 25, 0, 0},
		{"four low alerts on one host cross it", []step{{0, []detect.Match{
			match("a", "low", "h1", "u", "", t0), match("b", "low", "h1", "u", "", t0),
			match("c", "low", "h1", "u", "", t0), match("d", "low", "h1", "u", "", t0)}}}, 100, 1, 4},
		{"repeats of one alert add risk once", []step{{0, []detect.Match{
			match("a", "low", "h1", "u", "", t0), match("a", "low", "h1", "u", "", t0), match("a", "low", "h1", "u", "", t0),
			match("a", "low", "h1", "u", "", t0), match("a", "low", "h1", "u", "", t0)}}}, 25, 0, 0},
		{"decay keeps spread-out alerts below", []step{
			{0, []detect.Match{match("a", "medium", "h1", "u", "", t0)}},
			{2 * time.Hour, []detect.Match{match("b", "medium", "h1", "u", "", t0.Add(2*time.Hour))}}}, 45*0.25 + 45, 0, 0},
		{"chain within a half-life crosses, later alerts join the risk alert", []step{
			{0, []detect.Match{match("a", "high", "h1", "u", "", t0)}},
			{30 * time.Minute, []detect.Match{match("b", "medium", "h1", "u", "", t0.Add(30*time.Minute))}},
			{40 * time.Minute, []detect.Match{match("c", "low", "h1", "u", "", t0.Add(40*time.Minute))}}},
			// 65 decayed 40 min, 45 decayed 10 min, 25 fresh
			Decay(Decay(65, t0, t0.Add(30*time.Minute), time.Hour)+45, t0, t0.Add(10*time.Minute), time.Hour) + 25, 1, 3},
		{"other hosts do not add up", []step{{0, []detect.Match{
			match("a", "high", "h1", "u", "", t0), match("a", "high", "h2", "u", "", t0)}}}, 65, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, st, now := newTestStage(t, Config{DedupWindow: time.Hour, Risk: DefaultRisk(), EntityRisk: er})
			for _, sp := range c.steps {
				*now = t0.Add(sp.after)
				if _, err := s.Commit(ctx, sp.matches); err != nil {
					t.Fatal(err)
				}
			}
			scope := st.Scope(store.DefaultTenant)
			r, err := scope.EntityRisks().Get(ctx, "host", "h1")
			if err != nil {
				t.Fatal(err)
			}
			if diff := r.Score - c.wantScore; diff > 1e-6 || diff < -1e-6 {
				t.Errorf("score %v, want %v", r.Score, c.wantScore)
			}
			risk, total, _ := scope.Alerts().List(ctx, store.AlertFilter{Kind: store.KindRisk})
			if total != c.wantRiskAlerts {
				t.Fatalf("%d risk alerts, want %d", total, c.wantRiskAlerts)
			}
			if total == 1 {
				a := risk[0]
				if len(a.Contributing) != c.wantContributing || a.Entities["host.name"] != "h1" || a.RuleID != RiskAlertRule ||
					r.RiskAlertID != a.ID {
					t.Errorf("risk alert = %+v (entity risk alert id %q)", a, r.RiskAlertID)
				}
				for _, id := range a.Contributing {
					if c, err := scope.Alerts().Get(ctx, id); err != nil || c.Kind != store.KindDetection {
						t.Errorf("contributing %s: %+v %v", id, c, err)
					}
				}
			}
		})
	}
}

func counterValue(c prometheus.Counter) float64 {
	var m dto.Metric
	c.Write(&m)
	return m.GetCounter().GetValue()
}

// Every opened alert (detections and risk alerts) has its outbox event,
// written in the same transaction; updates by dedup do not notify.
func TestStageWritesOutboxEvents(t *testing.T) {
	ctx := context.Background()
	s, st, _ := newTestStage(t, Config{DedupWindow: time.Hour, Risk: DefaultRisk(),
		EntityRisk: EntityRiskConfig{HalfLife: time.Hour, Threshold: 100, Weight: 1, Fields: map[string]string{"host.name": "host"}}})
	ms := []detect.Match{match("a", "high", "h1", "u", "", t0), match("a", "high", "h1", "u", "", t0), match("b", "high", "h1", "u", "", t0)}
	if _, err := s.Commit(ctx, ms); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Commit(ctx, ms[:1]); err != nil { // a dedup update
		t.Fatal(err)
	}
	evs, err := st.Scope(store.DefaultTenant).Notifications().Unrouted(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, ev := range evs {
		if ev.Kind != store.EventAlertOpened || ev.Alert.ID == "" || ev.AlertID != ev.Alert.ID {
			t.Errorf("event = %+v", ev)
		}
		kinds[ev.Alert.Kind]++
	}
	if kinds[store.KindDetection] != 2 || kinds[store.KindRisk] != 1 {
		t.Errorf("outbox events by alert kind = %v, want 2 detections and 1 risk", kinds)
	}
}
