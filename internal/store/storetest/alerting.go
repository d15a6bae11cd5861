package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/store"
)

// RunAlerting is the conformance suite of alert triage, suppressions,
// entity risk and the notification outbox.
func RunAlerting(t *testing.T, open OpenState) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	mk := func(fp string) store.Alert {
		return store.Alert{RuleID: "r", RuleTitle: "R", Severity: "high", Fingerprint: fp, FirstSeen: t0, LastSeen: t0,
			Entities: map[string]string{"host.name": "h-" + fp}}
	}

	t.Run("triage updates, KPI timestamps, comments, isolation", func(t *testing.T) {
		s := open(t, t.TempDir())
		defer s.Close()
		s.Tenants().Create(ctx, "acme")
		alerts := s.Scope("acme").Alerts()
		got, err := alerts.Upsert(ctx, []store.Alert{mk("a")}, time.Hour)
		if err != nil || !got[0].Opened || got[0].Kind != store.KindDetection {
			t.Fatalf("upsert = %+v, %v", got, err)
		}
		id := got[0].ID
		str := func(s string) *string { return &s }
		steps := []struct {
			name    string
			change  store.AlertChange
			refused bool
			status  string
		}{
			{"acknowledge", store.AlertChange{Status: str(store.StatusAcknowledged), Assignee: str("alice")}, false, store.StatusAcknowledged},
			{"close without resolution", store.AlertChange{Status: str(store.StatusClosed)}, true, ""},
			{"close", store.AlertChange{Status: str(store.StatusClosed), Resolution: str(store.ResolutionDuplicate), CaseID: str("C-1")}, false, store.StatusClosed},
			{"closed back to new", store.AlertChange{Status: str(store.StatusNew)}, true, ""},
		}
		for _, st := range steps {
			err := alerts.Tx(ctx, func(tx store.AlertTx) error {
				_, after, err := tx.Update(ctx, id, st.change)
				if err == nil && after.Status != st.status {
					t.Errorf("%s: status %s, want %s", st.name, after.Status, st.status)
				}
				return err
			})
			var refused *store.ChangeError
			if errors.As(err, &refused) != st.refused || (!st.refused && err != nil) {
				t.Errorf("%s: err %v, want refused %v", st.name, err, st.refused)
			}
		}
		a, _ := alerts.Get(ctx, id)
		if a.Status != store.StatusClosed || a.Resolution != store.ResolutionDuplicate || a.Assignee != "alice" || a.CaseID != "C-1" ||
			a.AcknowledgedAt == nil || a.ClosedAt == nil || a.ClosedAt.Before(*a.AcknowledgedAt) {
			t.Errorf("after triage: %+v", a)
		}
		// A closed alert does not absorb repeats: the next match opens a new one.
		again, _ := alerts.Upsert(ctx, []store.Alert{mk("a")}, time.Hour)
		if again[0].ID == id || !again[0].Opened {
			t.Errorf("repeat after close = %+v", again[0])
		}
		if err := alerts.Tx(ctx, func(tx store.AlertTx) error {
			_, err := tx.AddComment(ctx, store.Comment{AlertID: id, Author: "alice", Body: "dup of INC-7"})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		cs, err := alerts.Comments(ctx, id)
		if err != nil || len(cs) != 1 || cs[0].Body != "dup of INC-7" || cs[0].ID == "" {
			t.Errorf("comments = %+v, %v", cs, err)
		}
		other := s.Scope(store.DefaultTenant).Alerts()
		if _, err := other.Comments(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("cross-tenant comments: %v", err)
		}
		err = other.Tx(ctx, func(tx store.AlertTx) error {
			_, _, err := tx.Update(ctx, id, store.AlertChange{Assignee: str("mallory")})
			return err
		})
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("cross-tenant update: %v", err)
		}
	})

	t.Run("a transaction commits everything or nothing", func(t *testing.T) {
		s := open(t, t.TempDir())
		defer s.Close()
		sc := s.Scope(store.DefaultTenant)
		boom := errors.New("boom")
		err := sc.Alerts().Tx(ctx, func(tx store.AlertTx) error {
			got, err := tx.Upsert(ctx, []store.Alert{mk("x")}, time.Hour)
			if err != nil {
				return err
			}
			if err := tx.Enqueue(ctx, store.OutboxEvent{Kind: store.EventAlertOpened, Alert: got[0]}); err != nil {
				return err
			}
			if _, err := tx.Audit(ctx, store.AuditRecord{Actor: "system", Action: "alert.open"}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Tx = %v", err)
		}
		_, n, _ := sc.Alerts().List(ctx, store.AlertFilter{})
		evs, _ := sc.Notifications().Unrouted(ctx, 10)
		recs, _, _ := sc.Audit().List(ctx, store.AuditFilter{})
		if n != 0 || len(evs) != 0 || len(recs) != 0 {
			t.Errorf("after a failed Tx: %d alerts, %d outbox events, %d audit records", n, len(evs), len(recs))
		}
	})

	t.Run("suppressions", func(t *testing.T) {
		s := open(t, t.TempDir())
		defer s.Close()
		s.Tenants().Create(ctx, "acme")
		sups := s.Scope("acme").Suppressions()
		past, future := t0.Add(-time.Hour), t0.Add(time.Hour)
		a, err := sups.Create(ctx, store.Suppression{RuleID: "r", Reason: "scanner", Author: "lead",
			Conditions: []store.Condition{{Field: "source.ip", Op: "cidr", Value: "10.0.0.0/8"}}, ExpiresAt: &future})
		if err != nil || a.ID == "" {
			t.Fatal(err)
		}
		if _, err := sups.Create(ctx, store.Suppression{RuleID: "r2", Reason: "old", ExpiresAt: &past}); err != nil {
			t.Fatal(err)
		}
		if _, err := sups.Create(ctx, store.Suppression{RuleID: "r3", Reason: "forever"}); err != nil {
			t.Fatal(err)
		}
		active, _ := sups.Active(ctx, t0)
		all, _ := sups.List(ctx)
		if len(active) != 2 || len(all) != 3 {
			t.Errorf("active %d, all %d; want 2 and 3", len(active), len(all))
		}
		err = s.Scope("acme").Alerts().Tx(ctx, func(tx store.AlertTx) error {
			if err := tx.CountSuppressed(ctx, a.ID, 5, t0); err != nil {
				return err
			}
			return tx.CountSuppressed(ctx, a.ID, 2, t0.Add(-time.Minute))
		})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := sups.Get(ctx, a.ID)
		if got.Hits != 7 || got.LastHit == nil || !got.LastHit.Equal(t0) || got.Conditions[0].Op != "cidr" || got.Author != "lead" {
			t.Errorf("after hits: %+v", got)
		}
		got.Reason = "scanner subnet"
		got.ExpiresAt = nil
		if got, err = sups.Update(ctx, got); err != nil || got.Reason != "scanner subnet" || got.ExpiresAt != nil || got.Hits != 7 {
			t.Errorf("update = %+v, %v", got, err)
		}
		if _, err := s.Scope(store.DefaultTenant).Suppressions().Get(ctx, a.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("cross-tenant get: %v", err)
		}
		if err := s.Scope(store.DefaultTenant).Suppressions().Delete(ctx, a.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("cross-tenant delete: %v", err)
		}
		if err := sups.Delete(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := sups.Get(ctx, a.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("get after delete: %v", err)
		}
	})

	t.Run("entity risk", func(t *testing.T) {
		s := open(t, t.TempDir())
		defer s.Close()
		sc := s.Scope(store.DefaultTenant)
		err := sc.Alerts().Tx(ctx, func(tx store.AlertTx) error {
			if _, err := tx.EntityRisk(ctx, "host", "h1"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("unknown entity: %v", err)
			}
			for i, pts := range []float64{30, 40} {
				at := t0.Add(time.Duration(i) * time.Minute)
				if err := tx.AddEntityRisk(ctx, store.EntityRisk{Type: "host", Value: "h1", Score: pts * float64(i+1), UpdatedAt: at},
					store.RiskContribution{AlertID: "A" + string(rune('0'+i)), RuleID: "r", Points: pts, ScoreAfter: pts * float64(i+1), At: at}); err != nil {
					return err
				}
			}
			cs, err := tx.RiskContributions(ctx, "host", "h1", t0)
			if err != nil || len(cs) != 2 {
				t.Errorf("contributions in the transaction = %v, %v", cs, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		r, err := sc.EntityRisks().Get(ctx, "host", "h1")
		if err != nil || r.Score != 80 || !r.UpdatedAt.Equal(t0.Add(time.Minute)) {
			t.Errorf("risk = %+v, %v", r, err)
		}
		cs, _ := sc.EntityRisks().Contributions(ctx, "host", "h1", t0.Add(30*time.Second))
		if len(cs) != 1 || cs[0].AlertID != "A1" || cs[0].ScoreAfter != 80 {
			t.Errorf("contributions since = %+v", cs)
		}
		s.Tenants().Create(ctx, "acme")
		if _, err := s.Scope("acme").EntityRisks().Get(ctx, "host", "h1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("cross-tenant entity risk: %v", err)
		}
	})

	t.Run("channels, routes and the outbox", func(t *testing.T) {
		s := open(t, t.TempDir())
		defer s.Close()
		s.Tenants().Create(ctx, "acme")
		n := s.Scope("acme").Notifications()
		c, err := n.CreateChannel(ctx, store.Channel{Name: "hook", Kind: "webhook", Enabled: true, Config: json.RawMessage(`{"url":"https://x"}`)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.CreateChannel(ctx, store.Channel{Name: "hook", Kind: "slack"}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("duplicate channel name: %v", err)
		}
		c.RatePerMinute = 10
		if c2, err := n.UpdateChannel(ctx, c); err != nil || c2.RatePerMinute != 10 || string(c2.Config) != `{"url":"https://x"}` {
			t.Errorf("update channel = %+v, %v", c2, err)
		}
		rt, err := n.CreateRoute(ctx, store.Route{Name: "all", Enabled: true, Channels: []string{c.ID}, Hours: "08:00-18:00"})
		if err != nil {
			t.Fatal(err)
		}
		rt.DigestMinutes = 5
		if _, err := n.UpdateRoute(ctx, rt); err != nil {
			t.Fatal(err)
		}
		if got, _ := n.Route(ctx, rt.ID); got.DigestMinutes != 5 || got.Hours != "08:00-18:00" || got.Channels[0] != c.ID {
			t.Errorf("route = %+v", got)
		}
		other := s.Scope(store.DefaultTenant).Notifications()
		if _, err := other.Channel(ctx, c.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("cross-tenant channel: %v", err)
		}
		if rs, _ := other.Routes(ctx); len(rs) != 0 {
			t.Errorf("cross-tenant routes: %v", rs)
		}

		a := store.Alert{ID: "A1", Severity: "high"}
		if err := n.Enqueue(ctx, store.OutboxEvent{ID: "E1", Kind: store.EventAlertOpened, Alert: a}); err != nil {
			t.Fatal(err)
		}
		if evs, _ := other.Unrouted(ctx, 10); len(evs) != 0 {
			t.Errorf("cross-tenant outbox: %d events", len(evs))
		}
		evs, _ := n.Unrouted(ctx, 10)
		if len(evs) != 1 || evs[0].AlertID != "A1" || evs[0].Alert.Severity != "high" {
			t.Fatalf("unrouted = %+v", evs)
		}
		d := store.Delivery{EventID: "E1", Channel: c.ID, Kind: store.EventAlertOpened, AlertID: "A1", IdempotencyKey: "E1/" + c.ID,
			Events: evs, State: store.DeliveryPending, NextAttempt: t0}
		if err := n.Routed(ctx, "E1", []store.Delivery{d}); err != nil {
			t.Fatal(err)
		}
		if err := n.Routed(ctx, "E1", []store.Delivery{d}); err != nil { // routed again: a no-op
			t.Fatal(err)
		}
		due, _ := n.Due(ctx, t0, 10)
		if len(due) != 1 || len(due[0].Events) != 1 {
			t.Fatalf("due = %+v (an event must be routed exactly once)", due)
		}
		id := due[0].ID
		if err := n.Failed(ctx, id, "503", t0.Add(time.Minute), false); err != nil {
			t.Fatal(err)
		}
		if due, _ := n.Due(ctx, t0, 10); len(due) != 0 {
			t.Errorf("due before its backoff ended: %d", len(due))
		}
		if err := n.Failed(ctx, id, "503 again", t0.Add(time.Minute), true); err != nil {
			t.Fatal(err)
		}
		dead, total, _ := n.Deliveries(ctx, store.DeliveryFilter{State: store.DeliveryDead})
		if total != 1 || dead[0].Attempts != 2 || dead[0].LastError != "503 again" {
			t.Errorf("dead = %+v", dead)
		}
		if err := other.Requeue(ctx, id, t0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("cross-tenant requeue: %v", err)
		}
		if err := n.Requeue(ctx, id, t0); err != nil {
			t.Fatal(err)
		}
		if err := n.Delivered(ctx, id, t0, "SOC-1"); err != nil {
			t.Fatal(err)
		}
		if ref, err := n.Ref(ctx, c.ID, "A1"); err != nil || ref != "SOC-1" {
			t.Errorf("ref = %q, %v", ref, err)
		}
		got, _ := n.Delivery(ctx, id)
		if got.State != store.DeliveryDelivered || got.DeliveredAt == nil {
			t.Errorf("delivered = %+v", got)
		}

		// Digests fold into one delivery.
		for _, e := range []string{"E2", "E3"} {
			n.Enqueue(ctx, store.OutboxEvent{ID: e, Kind: store.EventAlertOpened, Alert: a})
			n.Routed(ctx, e, []store.Delivery{{EventID: e, Channel: c.ID, Kind: store.EventAlertOpened, IdempotencyKey: e + "/" + c.ID,
				Events: []store.OutboxEvent{{ID: e}}, State: store.DeliveryDigest, NextAttempt: t0}})
		}
		waiting, _ := n.Digests(ctx)
		if len(waiting[c.ID]) != 2 {
			t.Fatalf("digests = %+v", waiting)
		}
		if err := n.FoldDigest(ctx, []string{waiting[c.ID][0].ID, waiting[c.ID][1].ID}, store.Delivery{EventID: "E2",
			Channel: c.ID, Kind: "digest", IdempotencyKey: "digest/1", Events: []store.OutboxEvent{{ID: "E2"}, {ID: "E3"}},
			State: store.DeliveryPending, NextAttempt: t0}); err != nil {
			t.Fatal(err)
		}
		waiting, _ = n.Digests(ctx)
		due, _ = n.Due(ctx, t0, 10)
		if len(waiting) != 0 || len(due) != 1 || len(due[0].Events) != 2 {
			t.Errorf("after folding: waiting %v, due %+v", waiting, due)
		}
		if k, err := n.Prune(ctx, time.Now().Add(time.Hour)); err != nil || k == 0 {
			t.Errorf("prune = %d, %v", k, err)
		}
		if err := n.DeleteRoute(ctx, rt.ID); err != nil {
			t.Fatal(err)
		}
		if err := n.DeleteChannel(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := n.Channel(ctx, c.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("channel after delete: %v", err)
		}
	})
}
