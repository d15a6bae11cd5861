package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/store"
)

// RunRetention runs the retention settings conformance suite.
func RunRetention(t *testing.T, open OpenState) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	defer s.Close()
	s.Tenants().Create(ctx, "acme")
	r := s.Scope("acme").Retention()

	p, err := r.Policy(ctx)
	if err != nil || p != store.DefaultRetention("acme") {
		t.Fatalf("default policy = %+v, %v", p, err)
	}
	at := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	if err := r.SetPolicy(ctx, store.RetentionPolicy{HotDays: 7, DeleteAfterDays: 30, AlertDays: 60, CaseDays: 400, UpdatedAt: at}); err != nil {
		t.Fatal(err)
	}
	p, _ = r.Policy(ctx)
	if p.HotDays != 7 || p.DeleteAfterDays != 30 || p.AlertDays != 60 || p.CaseDays != 400 || p.Tenant != "acme" || !p.UpdatedAt.Equal(at) {
		t.Errorf("policy = %+v", p)
	}
	if other, _ := s.Scope(store.DefaultTenant).Retention().Policy(ctx); other.HotDays != store.DefaultRetention("").HotDays {
		t.Errorf("another tenant's policy changed: %+v", other)
	}

	day := time.Date(2026, 4, 10, 0, 0, 0, 0, time.UTC)
	h, err := r.AddHold(ctx, store.LegalHold{Reason: "case 7", CaseID: "c7", From: day.Add(6 * time.Hour), To: day.Add(30 * time.Hour), CreatedBy: "lead"})
	if err != nil || h.ID == "" {
		t.Fatalf("AddHold = %+v, %v", h, err)
	}
	cover := []struct {
		day  time.Time
		want bool
	}{{day.Add(-24 * time.Hour), false}, {day, true}, {day.Add(24 * time.Hour), true}, {day.Add(48 * time.Hour), false}}
	for _, c := range cover {
		if got := h.Covers(c.day); got != c.want {
			t.Errorf("hold covers %s = %v, want %v", c.day.Format("2006-01-02"), got, c.want)
		}
	}
	if err := s.Scope(store.DefaultTenant).Retention().ReleaseHold(ctx, h.ID, at); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("release from another tenant: %v", err)
	}
	if err := r.ReleaseHold(ctx, h.ID, at); err != nil {
		t.Fatal(err)
	}
	holds, _ := r.Holds(ctx)
	if len(holds) != 1 || holds[0].ReleasedAt == nil || holds[0].Covers(day) {
		t.Errorf("released hold = %+v", holds)
	}

	a := store.Archive{Day: day, Path: "/x/2026-04-10.parquet", SHA256: "abc", Events: 5, Bytes: 100, ArchivedAt: at}
	if err := r.RecordArchive(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := r.MarkArchiveDeleted(ctx, day, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := r.MarkArchiveDeleted(ctx, day.Add(24*time.Hour), at); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("mark unknown archive: %v", err)
	}
	arcs, _ := r.Archives(ctx)
	if len(arcs) != 1 || arcs[0].SHA256 != "abc" || arcs[0].DeletedAt == nil || !arcs[0].Day.Equal(day) {
		t.Errorf("archives = %+v", arcs)
	}

	// Closed alerts age out; open ones never do.
	al := s.Scope("acme").Alerts()
	old := day.Add(-100 * 24 * time.Hour)
	stored, err := al.Upsert(ctx, []store.Alert{
		{RuleID: "r", RuleTitle: "r", Severity: "low", Fingerprint: "a", FirstSeen: old, LastSeen: old, Status: store.StatusClosed},
		{RuleID: "r", RuleTitle: "r", Severity: "low", Fingerprint: "b", FirstSeen: old, LastSeen: old},
	}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	n, err := al.DeleteClosedBefore(ctx, day)
	if err != nil || n != 1 {
		t.Errorf("DeleteClosedBefore = %d, %v", n, err)
	}
	if _, err := al.Get(ctx, stored[1].ID); err != nil {
		t.Errorf("open alert deleted: %v", err)
	}
}
