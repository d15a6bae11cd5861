package notify

import (
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/store"
)

func TestRouteMatches(t *testing.T) {
	// 2026-03-02 is a Monday.
	mon10 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	mon22 := time.Date(2026, 3, 2, 22, 0, 0, 0, time.UTC)
	sun10 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	high := store.Alert{Severity: "high", Tags: []string{"attack.credential_access", "attack.t1110"}}
	low := store.Alert{Severity: "low", Tags: []string{"attack.discovery"}}
	cases := []struct {
		name  string
		route store.Route
		alert store.Alert
		at    time.Time
		want  bool
	}{
		{"empty route takes all", store.Route{Enabled: true}, low, mon10, true},
		{"disabled route takes nothing", store.Route{}, high, mon10, false},
		{"min severity passes higher", store.Route{Enabled: true, MinSeverity: "medium"}, high, mon10, true},
		{"min severity stops lower", store.Route{Enabled: true, MinSeverity: "medium"}, low, mon10, false},
		{"tag prefix", store.Route{Enabled: true, Tags: []string{"attack.credential"}}, high, mon10, true},
		{"tag missing", store.Route{Enabled: true, Tags: []string{"attack.impact"}}, high, mon10, false},
		{"office hours in", store.Route{Enabled: true, Hours: "08:00-18:00"}, high, mon10, true},
		{"office hours out", store.Route{Enabled: true, Hours: "08:00-18:00"}, high, mon22, false},
		{"night shift wraps midnight", store.Route{Enabled: true, Hours: "18:00-08:00"}, high, mon22, true},
		{"night shift not at ten", store.Route{Enabled: true, Hours: "18:00-08:00"}, high, mon10, false},
		{"time zone shifts the window", store.Route{Enabled: true, Hours: "08:00-18:00", TimeZone: "Asia/Tokyo"}, high, mon10, false}, // 19:00 JST
		{"weekdays in", store.Route{Enabled: true, Weekdays: []string{"mon", "tue"}}, high, mon10, true},
		{"weekdays out", store.Route{Enabled: true, Weekdays: []string{"mon", "tue"}}, high, sun10, false},
	}
	for _, c := range cases {
		if got := Matches(c.route, c.alert, c.at); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestValidateRoute(t *testing.T) {
	ok := store.Route{Name: "r", Channels: []string{"c"}}
	bad := []store.Route{
		{Channels: []string{"c"}},
		{Name: "r"},
		{Name: "r", Channels: []string{"c"}, MinSeverity: "severe"},
		{Name: "r", Channels: []string{"c"}, Hours: "8-18"},
		{Name: "r", Channels: []string{"c"}, TimeZone: "Mars/Olympus"},
		{Name: "r", Channels: []string{"c"}, Weekdays: []string{"monday"}},
		{Name: "r", Channels: []string{"c"}, DigestMinutes: -1},
	}
	if err := ValidateRoute(ok); err != nil {
		t.Errorf("valid route: %v", err)
	}
	for i, r := range bad {
		if ValidateRoute(r) == nil {
			t.Errorf("bad route %d accepted: %+v", i, r)
		}
	}
}

func TestPlan(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	kinds := map[string]Kind{"webhook": {Updates: true}, "slack": {}}
	channels := map[string]store.Channel{
		"hook": {ID: "hook", Kind: "webhook", Enabled: true}, "chat": {ID: "chat", Kind: "slack", Enabled: true},
		"pager": {ID: "pager", Kind: "webhook", Enabled: true}, "off": {ID: "off", Kind: "webhook"},
		"digest": {ID: "digest", Kind: "slack", Enabled: true},
	}
	routes := []store.Route{
		{Enabled: true, MinSeverity: "high", Channels: []string{"hook", "chat", "off"}, Escalation: []string{"pager", "chat"}},
		{Enabled: true, Channels: []string{"digest", "chat"}, DigestMinutes: 15},
	}
	ev := func(kind, sev string, step int) store.OutboxEvent {
		return store.OutboxEvent{ID: "E", Kind: kind, AlertID: "A", Step: step, Channel: "pager",
			Alert: store.Alert{ID: "A", Severity: sev}}
	}
	cases := []struct {
		name string
		ev   store.OutboxEvent
		want map[string]string // channel → state
	}{
		{"high alert: immediate channels; an immediate route beats a digest for the same channel; disabled channel skipped",
			ev(store.EventAlertOpened, "high", 0), map[string]string{"hook": "pending", "chat": "pending", "digest": "digest"}},
		{"low alert: only the digest route", ev(store.EventAlertOpened, "low", 0),
			map[string]string{"digest": "digest", "chat": "digest"}},
		{"update: only channels that want updates, never digested", ev(store.EventAlertUpdated, "high", 0),
			map[string]string{"hook": "pending"}},
		{"escalation step 1 goes to the first link", ev(store.EventAlertEscalated, "high", 1), map[string]string{"pager": "pending"}},
		{"escalation step 2 goes to the second link", ev(store.EventAlertEscalated, "critical", 2), map[string]string{"chat": "pending"}},
		{"escalation past the chain goes nowhere", ev(store.EventAlertEscalated, "high", 3), map[string]string{}},
		{"channel test targets its channel", ev(store.EventChannelTest, "", 0), map[string]string{"pager": "pending"}},
	}
	for _, c := range cases {
		got := map[string]string{}
		for _, d := range Plan(c.ev, routes, channels, kinds, now) {
			if d.IdempotencyKey != "E/"+d.Channel || len(d.Events) != 1 {
				t.Errorf("%s: delivery %+v", c.name, d)
			}
			if d.State == store.DeliveryDigest && !d.NextAttempt.Equal(now.Add(15*time.Minute)) {
				t.Errorf("%s: digest due %v", c.name, d.NextAttempt)
			}
			got[d.Channel] = d.State
		}
		if len(got) != len(c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
			continue
		}
		for ch, st := range c.want {
			if got[ch] != st {
				t.Errorf("%s: %v, want %v", c.name, got, c.want)
			}
		}
	}
}

func TestBackoff(t *testing.T) {
	cases := []struct {
		attempts int
		want     time.Duration
	}{{1, 5 * time.Second}, {2, 10 * time.Second}, {3, 20 * time.Second}, {5, 80 * time.Second}, {20, 10 * time.Minute}}
	for _, c := range cases {
		if got := Backoff(5*time.Second, 10*time.Minute, c.attempts); got != c.want {
			t.Errorf("after %d attempts: %v, want %v", c.attempts, got, c.want)
		}
	}
}
