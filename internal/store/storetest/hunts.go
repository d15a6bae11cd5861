package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/store"
)

// RunHunts runs the conformance suite of saved and scheduled hunts.
func RunHunts(t *testing.T, open OpenState) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	defer s.Close()
	for _, tn := range []string{"acme", "other"} {
		if _, err := s.Tenants().Create(ctx, tn); err != nil && !errors.Is(err, store.ErrConflict) {
			t.Fatal(err)
		}
	}
	acme, other := s.Scope("acme").Hunts(), s.Scope("other").Hunts()

	h, err := acme.Create(ctx, store.Hunt{Name: "failed logons", Query: "event.code:4625 | stats count() by user.name",
		Interval: time.Hour, Lookback: 2 * time.Hour, Threshold: 5, Severity: "medium", Enabled: true, CreatedBy: "alice"})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if h.ID == "" || h.Tenant != "acme" || h.CreatedAt.IsZero() {
		t.Fatalf("created %+v", h)
	}
	if _, err := acme.Create(ctx, store.Hunt{Name: "failed logons", Query: "x", Severity: "low"}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate name: %v, want ErrConflict", err)
	}
	if _, err := other.Create(ctx, store.Hunt{Name: "failed logons", Query: "y", Severity: "low"}); err != nil {
		t.Errorf("same name in another tenant: %v", err)
	}
	got, err := acme.Get(ctx, h.ID)
	if err != nil || got.Query != h.Query || got.Interval != time.Hour || got.Lookback != 2*time.Hour || got.Threshold != 5 || !got.Enabled {
		t.Errorf("Get = %+v, %v", got, err)
	}
	if _, err := other.Get(ctx, h.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("other tenant reads acme's hunt: %v", err)
	}

	at := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	if err := acme.RecordRun(ctx, h.ID, store.HuntRun{At: at, Total: 7, Alerts: 1}); err != nil {
		t.Fatal(err)
	}
	if err := other.RecordRun(ctx, h.ID, store.HuntRun{At: at}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("other tenant records a run: %v", err)
	}
	h.Query, h.Enabled = "event.code:4625", false
	upd, err := acme.Update(ctx, h)
	if err != nil || upd.Query != "event.code:4625" || upd.Enabled || upd.LastRun == nil || !upd.LastRun.Equal(at) || upd.LastTotal != 7 || upd.LastAlerts != 1 {
		t.Errorf("Update kept the run record? %+v, %v", upd, err)
	}
	if _, err := other.Update(ctx, h); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("other tenant updates acme's hunt: %v", err)
	}
	list, err := acme.List(ctx)
	if err != nil || len(list) != 1 {
		t.Errorf("List = %v, %v", list, err)
	}
	if err := other.Delete(ctx, h.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("other tenant deletes acme's hunt: %v", err)
	}
	if err := acme.Delete(ctx, h.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := acme.Get(ctx, h.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted hunt: %v", err)
	}
}
