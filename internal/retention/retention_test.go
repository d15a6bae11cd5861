package retention

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/incident"
	"github.com/yagura-soc/yagura/internal/store"
	"github.com/yagura-soc/yagura/internal/store/embeddedtest"
	"github.com/yagura-soc/yagura/internal/store/fsblob"
	"github.com/yagura-soc/yagura/internal/store/sqlite"
)

var d0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) // day 0

func dayN(n int) time.Time { return d0.Add(time.Duration(n) * day) }

type fixture struct {
	e     *Enforcer
	state *sqlite.Store
}

// newFixture stores 3 events a day for days 0..9 in tenant acme and one
// event on day 0 in default.
func newFixture(t *testing.T) fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	evs, st := embeddedtest.Open(t)
	st.Tenants().Create(ctx, "acme")
	var batch []*event.Event
	for d := range 10 {
		for i := range 3 {
			batch = append(batch, &event.Event{Tenant: "acme", ID: fmt.Sprintf("a%d-%d", d, i), Timestamp: dayN(d).Add(time.Duration(i) * time.Hour), Ingested: dayN(d), Raw: "x"})
		}
	}
	batch = append(batch, &event.Event{Tenant: store.DefaultTenant, ID: "o", Timestamp: d0, Ingested: d0, Raw: "y"})
	if err := evs.Append(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if err := st.Scope("acme").Retention().SetPolicy(ctx, store.RetentionPolicy{HotDays: 3, DeleteAfterDays: 6, AlertDays: 5}); err != nil {
		t.Fatal(err)
	}
	return fixture{&Enforcer{Events: evs, State: st, ArchiveDir: filepath.Join(dir, "archive"),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, st}
}

func days(ts []time.Time) []int {
	out := []int{}
	for _, t := range ts {
		out = append(out, int(t.Sub(d0)/day))
	}
	return out
}

func archiveDays(as []store.Archive) []int {
	ts := make([]time.Time, len(as))
	for i, a := range as {
		ts[i] = a.Day
	}
	return days(ts)
}

func partitionDays(t *testing.T, f fixture) []int {
	ps, err := f.e.Events.Partitions(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	ts := make([]time.Time, len(ps))
	for i, p := range ps {
		ts[i] = p.Day
	}
	return days(ts)
}

func TestRetentionOverTime(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ret := f.state.Scope("acme").Retention()
	// A legal hold over day 4 (a case spanning part of it).
	hold, err := ret.AddHold(ctx, store.LegalHold{Reason: "case 42", From: dayN(4).Add(10 * time.Hour), To: dayN(4).Add(11 * time.Hour), CreatedBy: "lead"})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name         string
		now          time.Time
		release      bool
		wantArchived []int
		wantDropped  []int
		wantDeleted  []int
		wantHeld     []int
		wantHot      []int
	}{
		// Day 10: hot = days 7..9; 4..6 are older than 3 days and younger
		// than 6 → archived, except held day 4; 0..3 are past 6 days →
		// dropped without archive.
		{"day 10", dayN(10), false, []int{5, 6}, []int{0, 1, 2, 3}, []int{}, []int{4}, []int{4, 7, 8, 9}},
		// Day 12: 7 and 8 archive; 5 is past the deletion limit → deleted;
		// 4 stays held.
		{"day 12", dayN(12), false, []int{7, 8}, []int{}, []int{5}, []int{4}, []int{4, 9}},
		// Hold released: day 4 is past the deletion limit and goes.
		{"day 12 after release", dayN(12), true, []int{}, []int{4}, []int{}, []int{}, []int{9}},
	}
	for _, s := range steps {
		if s.release {
			if err := ret.ReleaseHold(ctx, hold.ID, s.now); err != nil {
				t.Fatal(err)
			}
		}
		rep, err := f.e.RunTenant(ctx, "acme", s.now)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		check := func(what string, got, want []int) {
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s: %s = %v, want %v", s.name, what, got, want)
			}
		}
		check("archived", archiveDays(rep.Archived), s.wantArchived)
		check("dropped", days(rep.Dropped), s.wantDropped)
		check("deleted", archiveDays(rep.Deleted), s.wantDeleted)
		check("held", days(rep.Held), s.wantHeld)
		check("hot partitions", partitionDays(t, f), s.wantHot)
	}
	// The other tenant keeps the default policy (90 days): untouched.
	if ps, _ := f.e.Events.Partitions(ctx, store.DefaultTenant); len(ps) != 1 {
		t.Errorf("default tenant partitions = %v", ps)
	}
}

// The archive on disk is what the audit trail says it is.
func TestArchiveHashIsAudited(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rep, err := f.e.RunTenant(ctx, "acme", dayN(10))
	if err != nil {
		t.Fatal(err)
	}
	recs, _, _ := f.state.Scope("acme").Audit().List(ctx, store.AuditFilter{Action: "retention.archive"})
	if len(recs) != len(rep.Archived) || len(recs) == 0 {
		t.Fatalf("%d archive audit records for %d archives", len(recs), len(rep.Archived))
	}
	for i, a := range rep.Archived {
		sum, _, err := fileSHA256(a.Path)
		if err != nil {
			t.Fatal(err)
		}
		if recs[i].Details["sha256"] != sum || a.Events != 3 {
			t.Errorf("archive %s: audit says %v, file hashes to %s (%d events)", a.Path, recs[i].Details["sha256"], sum, a.Events)
		}
	}
	// Tampering with an archive is visible against the audit record.
	os.WriteFile(rep.Archived[0].Path, []byte("tampered"), 0o600)
	if sum, _, _ := fileSHA256(rep.Archived[0].Path); sum == recs[0].Details["sha256"] {
		t.Error("a changed archive still matches its recorded hash")
	}
	if n, err := f.state.Scope("acme").Audit().Verify(ctx); err != nil || n == 0 {
		t.Errorf("audit chain after retention: %d, %v", n, err)
	}
}

func TestClosedAlertsAgeOutButNotIntoAHold(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	al := f.state.Scope("acme").Alerts()
	mk := func(fp string, d int, status string) store.Alert {
		return store.Alert{RuleID: "r", RuleTitle: "r", Severity: "low", Fingerprint: fp, FirstSeen: dayN(d), LastSeen: dayN(d), Status: status}
	}
	al.Upsert(ctx, []store.Alert{mk("a", 1, store.StatusClosed), mk("b", 3, store.StatusClosed), mk("c", 1, store.StatusNew)}, time.Minute)
	f.state.Scope("acme").Retention().AddHold(ctx, store.LegalHold{Reason: "r", From: dayN(2), To: dayN(3), CreatedBy: "x"})
	rep, err := f.e.RunTenant(ctx, "acme", dayN(10)) // alert limit 5 days → day 5, but the hold starts at day 2
	if err != nil {
		t.Fatal(err)
	}
	if rep.AlertsDeleted != 1 {
		t.Errorf("deleted %d alerts, want 1 (closed, before the hold)", rep.AlertsDeleted)
	}
	if _, total, _ := al.List(ctx, store.AlertFilter{}); total != 2 {
		t.Errorf("%d alerts left, want 2", total)
	}
}

// Closed cases leave after CaseDays with their evidence files; open cases
// and cases under a legal hold stay.
func TestCaseRetention(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	blobs := fsblob.New(t.TempDir())
	f.e.Blobs = blobs
	ret := f.state.Scope("acme").Retention()
	ret.SetPolicy(ctx, store.RetentionPolicy{HotDays: 30, DeleteAfterDays: 60, AlertDays: 60, CaseDays: 5})
	pbs, _ := incident.LoadPlaybooks(nil)
	cs := f.state.Scope("acme").Cases()
	mk := func(id string, d int, closed bool) {
		c := incident.NewCase(pbs["default"], id, "acme", id, "high", dayN(d))
		if closed {
			at := dayN(d)
			c.Status, c.ClosedAt = incident.StatusClosed, &at
		}
		if err := cs.Create(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	mk("old-closed", 1, true)
	mk("old-open", 1, false)
	mk("old-held", 2, true)
	mk("recent-closed", 8, true)
	sha, _, _ := blobs.Put(ctx, "acme", strings.NewReader("a packet capture"))
	cs.AddEvidence(ctx, store.Evidence{ID: "e1", CaseID: "old-closed", Stage: "detect", Name: "pcap", ContentType: "x", SHA256: sha, Size: 16, AddedBy: "x", AddedAt: dayN(1)})
	ret.AddHold(ctx, store.LegalHold{Reason: "litigation", CaseID: "old-held", From: dayN(20), To: dayN(21), CreatedBy: "lead"})

	rep, err := f.e.RunTenant(ctx, "acme", dayN(10)) // cutoff: day 5
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(rep.CasesDeleted) != "[old-closed]" {
		t.Fatalf("deleted %v, want [old-closed]", rep.CasesDeleted)
	}
	if _, err := blobs.Open(ctx, "acme", sha); err == nil {
		t.Error("the deleted case's evidence file is still there")
	}
	for _, id := range []string{"old-open", "old-held", "recent-closed"} {
		if _, err := cs.Get(ctx, id); err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
	recs, _, _ := f.state.Scope("acme").Audit().List(ctx, store.AuditFilter{Action: "retention.delete_case"})
	if len(recs) != 1 || recs[0].Object != "case/old-closed" {
		t.Errorf("audit = %+v", recs)
	}
}
