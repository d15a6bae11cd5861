package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/store"
)

// OpenState opens (or reopens) a state store kept in dir.
type OpenState func(t *testing.T, dir string) store.State

// RunState runs the state store conformance suite.
func RunState(t *testing.T, open OpenState) {
	ctx := context.Background()

	t.Run("default tenant exists and tenants are unique", func(t *testing.T) {
		s := open(t, t.TempDir())
		defer s.Close()
		if _, err := s.Tenants().Get(ctx, store.DefaultTenant); err != nil {
			t.Fatalf("default tenant: %v", err)
		}
		if _, err := s.Tenants().Create(ctx, "acme"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Tenants().Create(ctx, "acme"); !errors.Is(err, store.ErrConflict) {
			t.Errorf("duplicate tenant: %v, want ErrConflict", err)
		}
		if _, err := s.Tenants().Get(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("missing tenant: %v, want ErrNotFound", err)
		}
		list, err := s.Tenants().List(ctx)
		if err != nil || len(list) != 2 || list[0].Name != "acme" || list[1].Name != "default" {
			t.Errorf("List = %v, %v", list, err)
		}
	})

	t.Run("tokens", func(t *testing.T) {
		dir := t.TempDir()
		s := open(t, dir)
		exp := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
		tok := store.Token{ID: "t1", Tenant: store.DefaultTenant, Role: "admin", Hash: []byte{1, 2, 3},
			CreatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), ExpiresAt: &exp}
		if err := s.Tokens().Create(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if err := s.Tokens().Create(ctx, tok); !errors.Is(err, store.ErrConflict) {
			t.Errorf("duplicate token: %v, want ErrConflict", err)
		}
		bad := tok
		bad.ID, bad.Hash, bad.Tenant = "t2", []byte{9}, "nobody"
		if err := s.Tokens().Create(ctx, bad); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("token for unknown tenant: %v, want ErrNotFound", err)
		}
		s.Close()
		s = open(t, dir) // survives a reopen; migrations are not re-applied
		defer s.Close()
		got, err := s.Tokens().ByHash(ctx, []byte{1, 2, 3})
		if err != nil || got.ID != "t1" || got.Role != "admin" || got.ExpiresAt == nil || !got.ExpiresAt.Equal(exp) {
			t.Fatalf("ByHash = %+v, %v", got, err)
		}
		if _, err := s.Tokens().ByHash(ctx, []byte{4}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown hash: %v", err)
		}
		used := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
		if err := s.Tokens().Touch(ctx, "t1", used); err != nil {
			t.Fatal(err)
		}
		if err := s.Tokens().Revoke(ctx, "acme", "t1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("revoke from another tenant: %v, want ErrNotFound", err)
		}
		if err := s.Tokens().Revoke(ctx, store.DefaultTenant, "t1"); err != nil {
			t.Fatal(err)
		}
		list, _ := s.Tokens().List(ctx, store.DefaultTenant)
		if len(list) != 1 || !list[0].Revoked || list[0].LastUsed == nil || !list[0].LastUsed.Equal(used) {
			t.Errorf("List = %+v", list)
		}
	})

	t.Run("alert dedup", func(t *testing.T) {
		s := open(t, t.TempDir())
		defer s.Close()
		if _, err := s.Tenants().Create(ctx, "acme"); err != nil {
			t.Fatal(err)
		}
		alerts := s.Scope("acme").Alerts()
		base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		mk := func(fp string, at time.Time, ev string) store.Alert {
			return store.Alert{RuleID: "r1", RuleTitle: "Rule one", Severity: "high", RiskScore: 70,
				Fingerprint: fp, Count: 1, EventIDs: []string{ev}, FirstSeen: at, LastSeen: at,
				Entities: map[string]string{"host.name": "ws-01"}, Tags: []string{"attack.t1110"}}
		}
		window := 10 * time.Minute
		steps := []struct {
			name      string
			alert     store.Alert
			wantCount int64
			wantNew   bool
		}{
			{"first opens", mk("fp-a", base, "e1"), 1, true},
			{"same fingerprint within window updates", mk("fp-a", base.Add(5*time.Minute), "e2"), 2, false},
			{"other fingerprint opens", mk("fp-b", base.Add(6*time.Minute), "e3"), 1, true},
			{"after window opens anew", mk("fp-a", base.Add(30*time.Minute), "e4"), 1, true},
		}
		var firstID string
		seen := map[string]bool{}
		for _, st := range steps {
			got, err := alerts.Upsert(ctx, []store.Alert{st.alert}, window)
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			a := got[0]
			if a.Count != st.wantCount || seen[a.ID] == st.wantNew {
				t.Errorf("%s: count %d new %v, want %d new %v", st.name, a.Count, !seen[a.ID], st.wantCount, st.wantNew)
			}
			if firstID == "" {
				firstID = a.ID
			}
			seen[a.ID] = true
		}
		a, err := alerts.Get(ctx, firstID)
		if err != nil {
			t.Fatal(err)
		}
		if a.Count != 2 || !a.LastSeen.Equal(base.Add(5*time.Minute)) || !a.FirstSeen.Equal(base) ||
			len(a.EventIDs) != 2 || a.Status != store.StatusNew || a.Entities["host.name"] != "ws-01" || a.Tenant != "acme" {
			t.Errorf("deduplicated alert = %+v", a)
		}
		list, total, err := alerts.List(ctx, store.AlertFilter{})
		if err != nil || total != 3 || len(list) != 3 {
			t.Fatalf("List = %d items, total %d, %v", len(list), total, err)
		}
		if !list[0].LastSeen.After(list[1].LastSeen) {
			t.Errorf("List not newest first: %v, %v", list[0].LastSeen, list[1].LastSeen)
		}
		_, total, _ = alerts.List(ctx, store.AlertFilter{Severity: "low"})
		if total != 0 {
			t.Errorf("severity filter total = %d", total)
		}
		// Isolation: another tenant sees none of it, not even by id.
		other := s.Scope(store.DefaultTenant).Alerts()
		if _, err := other.Get(ctx, firstID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("cross-tenant Get: %v, want ErrNotFound", err)
		}
		if _, total, _ := other.List(ctx, store.AlertFilter{}); total != 0 {
			t.Errorf("cross-tenant List total = %d", total)
		}
		// The same fingerprint in another tenant opens its own alert.
		got, err := other.Upsert(ctx, []store.Alert{mk("fp-a", base.Add(time.Minute), "x1")}, window)
		if err != nil || got[0].ID == firstID || got[0].Count != 1 {
			t.Errorf("other tenant upsert = %+v, %v", got, err)
		}
	})

	t.Run("event ids are bounded", func(t *testing.T) {
		s := open(t, t.TempDir())
		defer s.Close()
		alerts := s.Scope(store.DefaultTenant).Alerts()
		at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		batch := make([]store.Alert, store.MaxAlertEventIDs+20)
		for i := range batch {
			batch[i] = store.Alert{RuleID: "r", RuleTitle: "r", Severity: "low", Fingerprint: "fp", Count: 1,
				EventIDs: []string{string(rune('a'+i%26)) + "x"}, FirstSeen: at, LastSeen: at}
		}
		got, err := alerts.Upsert(ctx, batch, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		last := got[len(got)-1]
		if last.Count != int64(len(batch)) || len(last.EventIDs) != store.MaxAlertEventIDs {
			t.Errorf("count %d ids %d", last.Count, len(last.EventIDs))
		}
	})
}
