package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/incident"
	"github.com/yagura-soc/yagura/internal/store"
)

// RunCases runs the cases conformance suite.
func RunCases(t *testing.T, open OpenState) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	defer s.Close()
	s.Tenants().Create(ctx, "acme")
	pbs, err := incident.LoadPlaybooks(nil)
	if err != nil {
		t.Fatal(err)
	}
	p := pbs[incident.DefaultPlaybook]
	cs := s.Scope("acme").Cases()
	t0 := time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)
	for i := range 5 {
		c := incident.NewCase(p, fmt.Sprint("case-", i), "acme", fmt.Sprint("Phishing wave ", i), []string{"low", "high"}[i%2], t0.Add(time.Duration(i)*time.Minute))
		c.Entities = []string{fmt.Sprint("host.name=ws-", i%2)}
		if err := cs.Create(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := cs.Create(ctx, incident.NewCase(p, "case-0", "acme", "dup", "low", t0)); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate id: %v", err)
	}
	c, err := cs.Get(ctx, "case-3")
	if err != nil || c.Title != "Phishing wave 3" || c.Tenant != "acme" || len(c.Stages) != 6 {
		t.Fatalf("Get = %+v, %v", c, err)
	}
	c.Stage, c.Assignee, c.UpdatedAt = 2, "bob", t0.Add(time.Hour)
	c.Entities = []string{"host.name=ws-9"}
	if err := cs.Update(ctx, c); err != nil {
		t.Fatal(err)
	}
	filters := []struct {
		name string
		f    store.CaseFilter
		want string
	}{
		{"all, recently updated first", store.CaseFilter{Stage: -1}, "[case-3 case-4 case-2 case-1 case-0]"},
		{"severity", store.CaseFilter{Stage: -1, Severity: "high"}, "[case-3 case-1]"},
		{"stage", store.CaseFilter{Stage: 2}, "[case-3]"},
		{"assignee", store.CaseFilter{Stage: -1, Assignee: "bob"}, "[case-3]"},
		{"title text", store.CaseFilter{Stage: -1, Text: "wave 4"}, "[case-4]"},
		{"like is literal", store.CaseFilter{Stage: -1, Text: "%"}, "[]"},
		{"entity", store.CaseFilter{Stage: -1, Entity: "host.name=ws-0"}, "[case-4 case-2 case-0]"},
		{"updated entity", store.CaseFilter{Stage: -1, Entity: "host.name=ws-9"}, "[case-3]"},
		{"page", store.CaseFilter{Stage: -1, Limit: 2, Offset: 1}, "[case-4 case-2]"},
	}
	for _, f := range filters {
		got, total, err := cs.List(ctx, f.f)
		if err != nil {
			t.Fatal(err)
		}
		ids := []string{}
		for _, c := range got {
			ids = append(ids, c.ID)
		}
		if fmt.Sprint(ids) != f.want {
			t.Errorf("%s: %v, want %s", f.name, ids, f.want)
		}
		if f.name == "page" && total != 5 {
			t.Errorf("page total = %d", total)
		}
	}
	// Isolation.
	other := s.Scope(store.DefaultTenant).Cases()
	if _, err := other.Get(ctx, "case-1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("cross-tenant Get: %v", err)
	}
	if err := other.Update(ctx, c); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("cross-tenant Update: %v", err)
	}
	if _, total, _ := other.List(ctx, store.CaseFilter{Stage: -1}); total != 0 {
		t.Errorf("cross-tenant List: %d", total)
	}

	// Timeline, evidence, custody, tasks, actions.
	cs.AddTimeline(ctx, store.TimelineEntry{CaseID: "case-1", At: t0.Add(2 * time.Minute), Kind: "comment", Actor: "ann", Text: "second"})
	cs.AddTimeline(ctx, store.TimelineEntry{CaseID: "case-1", At: t0.Add(time.Minute), Kind: "alert", Actor: "system", Text: "first", Data: map[string]any{"alert": "a1"}})
	tl, _ := cs.Timeline(ctx, "case-1")
	if len(tl) != 2 || tl[0].Text != "first" || tl[0].Data["alert"] != "a1" {
		t.Errorf("timeline = %+v", tl)
	}
	ev := store.Evidence{ID: "ev1", CaseID: "case-1", Stage: "detect", Requirement: "alert_content", Name: "alert.json",
		ContentType: "application/json", SHA256: "abc", Size: 3, AddedBy: "ann", AddedAt: t0}
	if err := cs.AddEvidence(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if err := cs.AddCustody(ctx, store.Custody{EvidenceID: "ev1", Action: "viewed", Actor: "bob", At: t0.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if err := other.AddCustody(ctx, store.Custody{EvidenceID: "ev1", Action: "viewed", Actor: "eve", At: t0}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("custody across tenants: %v", err)
	}
	evs, _ := cs.Evidence(ctx, "case-1")
	cus, _ := cs.Custody(ctx, "case-1")
	if len(evs) != 1 || evs[0] != ev || len(cus) != 1 || cus[0].Actor != "bob" {
		t.Errorf("evidence %+v custody %+v", evs, cus)
	}
	task := store.Task{ID: "t1", CaseID: "case-1", Stage: "detect", Title: "Check", CreatedAt: t0}
	cs.SaveTask(ctx, task)
	task.Done = true
	cs.SaveTask(ctx, task)
	if ts, _ := cs.Tasks(ctx, "case-1"); len(ts) != 1 || !ts[0].Done {
		t.Errorf("tasks = %+v", ts)
	}
	act := store.Action{ID: "a1", CaseID: "case-1", Type: "block", Target: "203.0.113.7", Status: "pending_approval", CreatedAt: t0}
	cs.SaveAction(ctx, act)
	act.Status = "done"
	cs.SaveAction(ctx, act)
	if err := other.SaveAction(ctx, store.Action{ID: "a1", CaseID: "case-1", Status: "hijacked"}); err == nil {
		if as, _ := cs.Actions(ctx, "case-1"); as[0].Status != "done" {
			t.Errorf("another tenant overwrote an action: %+v", as)
		}
	}
	if as, _ := cs.Actions(ctx, "case-1"); len(as) != 1 || as[0].Status != "done" {
		t.Errorf("actions = %+v", as)
	}
	// No records on another tenant's case: they would leak into it and
	// block its deletion below.
	if err := other.AddTimeline(ctx, store.TimelineEntry{CaseID: "case-1", At: t0, Kind: "comment", Actor: "eve", Text: "x"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("timeline on another tenant's case: %v", err)
	}
	if err := other.AddEvidence(ctx, store.Evidence{ID: "ev-eve", CaseID: "case-1", Stage: "detect", Name: "x", ContentType: "x", SHA256: "eee", AddedBy: "eve", AddedAt: t0}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("evidence on another tenant's case: %v", err)
	}
	if err := other.SaveTask(ctx, store.Task{ID: "t-eve", CaseID: "case-1", Title: "x", CreatedAt: t0}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("task on another tenant's case: %v", err)
	}
	if err := other.SaveAction(ctx, store.Action{ID: "a-eve", CaseID: "case-1", Status: "pending_approval", CreatedAt: t0}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("action on another tenant's case: %v", err)
	}
	if err := cs.AddTimeline(ctx, store.TimelineEntry{CaseID: "no-such-case", At: t0, Kind: "comment", Actor: "ann", Text: "x"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("timeline on a missing case: %v", err)
	}

	// Retention: cases changed before a time, and deletion with evidence.
	old, _, _ := cs.List(ctx, store.CaseFilter{Stage: -1, UpdatedBefore: t0.Add(150 * time.Second)})
	if len(old) != 3 { // case-0, case-1, case-2 (case-3 was updated later)
		t.Errorf("UpdatedBefore = %d cases", len(old))
	}
	shared := store.Evidence{ID: "ev2", CaseID: "case-2", Stage: "detect", Name: "same.json", ContentType: "x", SHA256: "abc", Size: 3, AddedBy: "ann", AddedAt: t0}
	cs.AddEvidence(ctx, shared)
	cs.AddEvidence(ctx, store.Evidence{ID: "ev3", CaseID: "case-1", Stage: "detect", Name: "own.txt", ContentType: "x", SHA256: "def", Size: 3, AddedBy: "ann", AddedAt: t0})
	if _, err := other.Delete(ctx, "case-1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("cross-tenant Delete: %v", err)
	}
	gone, err := cs.Delete(ctx, "case-1")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(gone) != "[def]" { // abc is still used by case-2
		t.Errorf("unreferenced evidence = %v, want [def]", gone)
	}
	if _, err := cs.Get(ctx, "case-1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted case still there: %v", err)
	}
	if tl, _ := cs.Timeline(ctx, "case-1"); len(tl) != 0 {
		t.Errorf("timeline of a deleted case: %d entries", len(tl))
	}
	if evs, _ := cs.Evidence(ctx, "case-1"); len(evs) != 0 {
		t.Errorf("evidence of a deleted case: %d", len(evs))
	}
	if _, err := cs.Delete(ctx, "case-1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second Delete: %v", err)
	}
}
