package server

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/store"
	"github.com/yagura-soc/yagura/internal/store/sqlite"
)

// An agent that stops reporting raises one alert, not one per check; a
// heartbeat re-arms it.
func TestSilentAgentRaisesOneAlert(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := &Server{State: st, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	agents := st.Scope(store.DefaultTenant).Agents()
	if err := agents.Create(ctx, store.Agent{ID: "a1", Hostname: "web-1", SecretHash: []byte("h"), EnrolledAt: t0, LastSeen: &t0}); err != nil {
		t.Fatal(err)
	}
	alerts := func() []store.Alert {
		t.Helper()
		l, _, err := st.Scope(store.DefaultTenant).Alerts().List(ctx, store.AlertFilter{RuleID: "yagura-agent-silent"})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	steps := []struct {
		name       string
		at         time.Duration
		heartbeat  bool
		wantAlerts int
		wantCount  int64
	}{
		{"healthy", 10 * time.Second, false, 0, 0},
		{"silent", store.AgentSilentAfter + time.Second, false, 1, 1},
		{"still silent: no second alert", store.AgentSilentAfter + time.Minute, false, 1, 1},
		{"back", 2 * time.Minute, true, 1, 1},
		{"silent again", 2*time.Minute + store.AgentSilentAfter + time.Second, false, 1, 2},
	}
	for _, step := range steps {
		now := t0.Add(step.at)
		if step.heartbeat {
			if err := agents.Heartbeat(ctx, "a1", now, store.AgentHeartbeat{}); err != nil {
				t.Fatal(err)
			}
		}
		s.raiseSilentAgents(ctx, now)
		got := alerts()
		if len(got) != step.wantAlerts {
			t.Fatalf("%s: %d alerts, want %d", step.name, len(got), step.wantAlerts)
		}
		if len(got) > 0 && (got[0].Count != step.wantCount || got[0].Entities["host.name"] != "web-1") {
			t.Errorf("%s: alert %+v, want count %d on web-1", step.name, got[0], step.wantCount)
		}
	}
}
