package casework

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/bundle"
	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/incident"
	"github.com/yagura-soc/yagura/internal/respond"
	"github.com/yagura-soc/yagura/internal/respond/webhook"
	"github.com/yagura-soc/yagura/internal/store"
	"github.com/yagura-soc/yagura/internal/store/embeddedtest"
	"github.com/yagura-soc/yagura/internal/store/fsblob"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

type desk struct {
	svc      *Service
	clock    *clock
	alertIDs []string
	calls    *[]respond.Request
	notes    *[]string
}

func newDesk(t *testing.T) desk {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	evs, st := embeddedtest.Open(t)
	var mu sync.Mutex
	calls := &[]respond.Request{}
	fw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req respond.Request
		json.NewDecoder(r.Body).Decode(&req)
		mu.Lock()
		*calls = append(*calls, req)
		mu.Unlock()
		w.Write([]byte("applied"))
	}))
	t.Cleanup(fw.Close)
	pbs, err := incident.LoadPlaybooks(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{time.Date(2026, 9, 1, 9, 0, 0, 0, time.UTC)}
	notes := &[]string{}
	svc := &Service{State: st, Events: evs, Blobs: fsblob.New(filepath.Join(dir, "evidence")), Playbooks: pbs,
		Connectors: map[string]respond.Connector{"firewall": webhook.New(webhook.Config{Name: "firewall", URL: fw.URL, Secret: "k"}, nil)},
		Notify:     func(_ context.Context, _, role, subject, _ string) { *notes = append(*notes, role+": "+subject) },
		Now:        c.now}
	// Two alerts on two hosts, with their events stored.
	ev := []*event.Event{
		{Tenant: "default", ID: "ev-1", Timestamp: c.t.Add(-time.Hour), Ingested: c.t, Raw: "powershell -enc ..."},
		{Tenant: "default", ID: "ev-2", Timestamp: c.t.Add(-30 * time.Minute), Ingested: c.t, Raw: "beacon"},
	}
	if err := evs.Append(ctx, ev); err != nil {
		t.Fatal(err)
	}
	stored, err := st.Scope("default").Alerts().Upsert(ctx, []store.Alert{
		{RuleID: "r1", RuleTitle: "Encoded PowerShell", Severity: "high", Fingerprint: "a", Count: 1, EventIDs: []string{"ev-1"},
			Entities: map[string]string{"host.name": "ws-01", "user.name": "alice"}, FirstSeen: c.t.Add(-time.Hour), LastSeen: c.t.Add(-time.Hour)},
		{RuleID: "r2", RuleTitle: "C2 beacon", Severity: "medium", Fingerprint: "b", Count: 3, EventIDs: []string{"ev-2"},
			Entities: map[string]string{"host.name": "ws-02"}, FirstSeen: c.t.Add(-30 * time.Minute), LastSeen: c.t},
	}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return desk{svc: svc, clock: c, alertIDs: []string{stored[0].ID, stored[1].ID}, calls: calls, notes: notes}
}

func TestPlaybookEndToEnd(t *testing.T) {
	d := newDesk(t)
	ctx := context.Background()
	monitor := Actor{Name: "mia", Role: "monitor", Remote: "192.0.2.10"}
	analyst := Actor{Name: "ana", Role: "analyst"}
	lead := Actor{Name: "leo", Role: "lead"}
	responder := Actor{Name: "rui", Role: "responder"}
	csirt := Actor{Name: "cho", Role: "csirt"}

	c, err := d.svc.Open(ctx, "default", monitor, OpenRequest{Title: "Phishing on ws-01", AlertIDs: d.alertIDs})
	if err != nil {
		t.Fatal(err)
	}
	if c.Severity != "high" || len(c.AlertIDs) != 2 || c.FirstEventAt == nil || len(c.Entities) != 3 {
		t.Fatalf("opened case = %+v", c)
	}
	// High severity escalates out of Detect at once.
	if len(c.Escalations) != 1 || c.Escalations[0].To != "analyst" || len(*d.notes) != 1 {
		t.Errorf("escalations %+v notes %v", c.Escalations, *d.notes)
	}
	v, _ := d.svc.Get(ctx, "default", monitor, c.ID)
	if len(v.Missing) != 1 || v.Missing[0].Key != "detection_time" {
		t.Fatalf("missing evidence in Detect = %+v (alert content must be attached automatically)", v.Missing)
	}
	step := func(actor Actor, files map[string]string) {
		t.Helper()
		d.clock.t = d.clock.t.Add(10 * time.Minute)
		if _, err := d.svc.Advance(ctx, "default", actor, c.ID, ""); len(files) > 0 && !errors.Is(err, incident.ErrEvidenceMissing) {
			t.Fatalf("advance without evidence: %v", err)
		}
		for key, content := range files {
			if _, err := d.svc.AddEvidence(ctx, "default", actor, c.ID, key+".txt", "text/plain", key, strings.NewReader(content)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := d.svc.Advance(ctx, "default", Actor{Name: "x", Role: "auditor"}, c.ID, ""); !errors.Is(err, incident.ErrNotOwner) {
			t.Fatalf("advance by a non-owner: %v", err)
		}
		if _, err := d.svc.Advance(ctx, "default", actor, c.ID, ""); err != nil {
			t.Fatalf("advance by %s: %v", actor.Role, err)
		}
	}
	step(monitor, map[string]string{"detection_time": "2026-09-01T08:00:00Z"})
	step(analyst, map[string]string{"log_data": "saved hunt: host.name:ws-01", "analysis_result": "initial access by phishing"})
	if _, err := d.svc.Update(ctx, "default", analyst, c.ID, Patch{Severity: ptr("critical")}); !errors.Is(err, ErrForbidden) {
		t.Errorf("analyst deciding severity: %v", err)
	}
	if _, err := d.svc.Update(ctx, "default", lead, c.ID, Patch{Severity: ptr("critical"), Facts: map[string]bool{"business_impact_expected": true}}); err != nil {
		t.Fatal(err)
	}
	step(lead, map[string]string{"rationale": "credential theft likely", "impact_assessment": "two workstations"})

	// Respond: a responder's block waits for a lead; the result becomes
	// the stage's "actions taken" evidence.
	a, err := d.svc.RequestAction(ctx, "default", responder, c.ID, ActionRequest{Type: respond.Block, Target: "203.0.113.66", Connector: "firewall", ExpiresIn: "24h"})
	if err != nil || a.Status != ActionPending || len(*d.calls) != 0 {
		t.Fatalf("request = %+v, %v, calls %d", a, err, len(*d.calls))
	}
	if _, err := d.svc.DecideAction(ctx, "default", responder, c.ID, a.ID, true); !errors.Is(err, ErrForbidden) {
		t.Errorf("responder approving: %v", err)
	}
	if _, err := d.svc.Advance(ctx, "default", responder, c.ID, ""); !errors.Is(err, incident.ErrEvidenceMissing) {
		t.Fatalf("respond stage without actions: %v", err)
	}
	a, err = d.svc.DecideAction(ctx, "default", lead, c.ID, a.ID, true)
	if err != nil || a.Status != ActionDone || len(*d.calls) != 1 || (*d.calls)[0].Target != "203.0.113.66" || a.Approved != "leo" {
		t.Fatalf("approved = %+v, %v, calls %+v", a, err, *d.calls)
	}
	if _, err := d.svc.RequestAction(ctx, "default", responder, c.ID, ActionRequest{Type: respond.Isolate, Target: "ws-01; reboot", Connector: "firewall"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("injection in a target: %v", err)
	}
	if _, err := d.svc.Advance(ctx, "default", responder, c.ID, ""); err != nil {
		t.Fatalf("respond stage with the action recorded: %v", err)
	}
	// Report: lead or CSIRT; the case went to the CSIRT in Decide.
	if got, _ := d.svc.Get(ctx, "default", csirt, c.ID); !got.CSIRT {
		t.Fatalf("case not visible to the CSIRT after the business-impact escalation")
	}
	step(csirt, map[string]string{"report_document": "report v1", "contact_record": "called IT at 10:40"})
	d.svc.Comment(ctx, "default", analyst, c.ID, "Enable attachment sandboxing for Office documents")
	step(analyst, map[string]string{"response_record": "all done", "improvement_proposals": "sandbox attachments"})

	v, err = d.svc.Get(ctx, "default", lead, c.ID)
	if err != nil || v.Status != incident.StatusClosed {
		t.Fatalf("final = %+v, %v", v.Case, err)
	}
	if _, err := d.svc.AddEvidence(ctx, "default", lead, c.ID, "late.txt", "", "", strings.NewReader("x")); !errors.Is(err, ErrInvalid) {
		t.Errorf("evidence after closing: %v", err)
	}
	for _, tm := range v.SLA {
		if tm.DoneAt == nil {
			t.Errorf("SLA timer %s not stopped", tm.Name)
		}
	}

	// The report, in both languages.
	for lang, want := range map[string][]string{
		"en": {"Incident report: Phishing on ws-01", "203.0.113.66", "Enable attachment sandboxing", "Record &amp; review"},
		"ja": {"インシデント報告書", "一般インシデント", "対処", "記録と振り返り", "203.0.113.66"},
	} {
		var b bytes.Buffer
		if err := d.svc.Report(ctx, "default", lead, c.ID, lang, time.UTC, &b); err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%s report lacks %q", lang, w)
			}
		}
	}

	// The PDF report, read back by pdftotext (poppler-utils).
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatal("pdftotext is required (Debian poppler-utils; make deps installs it)")
	}
	for lang, want := range map[string][]string{
		"en": {"Incident report: Phishing on ws-01", "203.0.113.66", "Enable attachment sandboxing", "Record & review", "host.name=ws-01"},
		"ja": {"インシデント報告書", "一般インシデント", "記録と振り返り", "203.0.113.66", "証跡"},
	} {
		path := filepath.Join(t.TempDir(), "report-"+lang+".pdf")
		f, _ := os.Create(path)
		if err := d.svc.ReportPDF(ctx, "default", lead, c.ID, lang, time.UTC, f); err != nil {
			t.Fatal(err)
		}
		f.Close()
		out, err := exec.Command(pdftotext, "-enc", "UTF-8", path, "-").Output()
		if err != nil {
			t.Fatalf("pdftotext %s: %v", lang, err)
		}
		text := strings.Join(strings.Fields(string(out)), " ")
		for _, w := range want {
			if !strings.Contains(text, strings.Join(strings.Fields(w), " ")) {
				t.Errorf("%s PDF lacks %q", lang, w)
			}
		}
	}

	// The bundle verifies, holds the events and evidence, and is audited.
	var zipped bytes.Buffer
	sum, err := d.svc.Bundle(ctx, "default", lead, c.ID, &zipped)
	if err != nil {
		t.Fatal(err)
	}
	res, err := bundle.Verify(bytes.NewReader(zipped.Bytes()), int64(zipped.Len()))
	if err != nil || len(res.Problems) != 0 || res.ManifestSHA256 != sum {
		t.Fatalf("verify = %+v, %v", res, err)
	}
	var names []string
	for _, f := range res.Manifest.Files {
		names = append(names, f.Path)
	}
	joined := strings.Join(names, " ")
	for _, want := range []string{"case.json", "alerts.json", "events.jsonl", "audit.jsonl", "evidence/", "-action-block-"} {
		if !strings.Contains(joined, want) {
			t.Errorf("bundle lacks %s: %v", want, names)
		}
	}
	trail, _, _ := d.svc.State.Scope("default").Audit().List(ctx, store.AuditFilter{Object: "case/" + c.ID, Action: "case.bundle"})
	if len(trail) != 1 || trail[0].Details["manifest_sha256"] != sum {
		t.Errorf("bundle audit = %+v", trail)
	}
	if n, err := d.svc.State.Scope("default").Audit().Verify(ctx); err != nil || n == 0 {
		t.Errorf("audit chain: %d, %v", n, err)
	}
	custody := map[string]int{}
	for _, cu := range v.Custody {
		custody[cu.Action]++
	}
	if custody["added"] == 0 {
		t.Errorf("custody = %v", custody)
	}
}

func ptr[T any](v T) *T { return &v }

func TestCSIRTSeesOnlyHandedOverCases(t *testing.T) {
	d := newDesk(t)
	ctx := context.Background()
	c, _ := d.svc.Open(ctx, "default", Actor{Name: "m", Role: "monitor"}, OpenRequest{Title: "x", Severity: "low"})
	if _, err := d.svc.Get(ctx, "default", Actor{Name: "c", Role: "csirt"}, c.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("csirt sees a case not handed over: %v", err)
	}
	if _, err := d.svc.Get(ctx, "acme", Actor{Name: "m", Role: "monitor"}, c.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another tenant sees the case: %v", err)
	}
}

// The time-driven work: SLA notices once per crossing, expired actions
// reverted.
func TestTick(t *testing.T) {
	d := newDesk(t)
	ctx := context.Background()
	lead := Actor{Name: "leo", Role: "lead"}
	c, _ := d.svc.Open(ctx, "default", lead, OpenRequest{Title: "critical one", Severity: "critical"})
	a, err := d.svc.RequestAction(ctx, "default", lead, c.ID, ActionRequest{Type: respond.Disable, Target: "alice", Connector: "firewall", ExpiresIn: "30m"})
	if err != nil || a.Status != ActionDone {
		t.Fatalf("lead's action = %+v, %v", a, err)
	}
	sla := func() []string {
		tl, _ := d.svc.State.Scope("default").Cases().Timeline(ctx, c.ID)
		var out []string
		for _, e := range tl {
			if e.Kind == "sla" {
				out = append(out, e.Data["timer"].(string)+"/"+e.Data["state"].(string))
			}
		}
		return out
	}
	steps := []struct {
		at   time.Duration
		want string
	}{
		{5 * time.Minute, ""},
		{13 * time.Minute, "acknowledge/warning"},
		{14 * time.Minute, "acknowledge/warning"},
		{16 * time.Minute, "acknowledge/warning acknowledge/breached"},
	}
	start := d.clock.t
	for _, s := range steps {
		d.clock.t = start.Add(s.at)
		if err := d.svc.Tick(ctx, "default"); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(sla(), " "); got != s.want {
			t.Errorf("at %v: %q, want %q", s.at, got, s.want)
		}
	}
	d.clock.t = start.Add(31 * time.Minute)
	d.svc.Tick(ctx, "default")
	v, _ := d.svc.Get(ctx, "default", lead, c.ID)
	if v.Actions[0].Status != ActionReverted || (*d.calls)[len(*d.calls)-1].Type != respond.Enable {
		t.Errorf("expired action = %+v, last call %+v", v.Actions[0], (*d.calls)[len(*d.calls)-1])
	}
}

// Critical and entity-risk alerts open a case on the next tick, once; the
// alerts then name their case.
func TestAutoOpen(t *testing.T) {
	d := newDesk(t)
	ctx := context.Background()
	d.svc.AutoOpen = AutoOpenPolicy{Severity: "critical", Risk: true}
	at := d.clock.t
	stored, err := d.svc.State.Scope("default").Alerts().Upsert(ctx, []store.Alert{
		{RuleID: "rc", RuleTitle: "Ransom note written", Severity: "critical", Fingerprint: "c1", Count: 1, FirstSeen: at, LastSeen: at},
		{RuleID: "rr", RuleTitle: "High accumulated risk on host ws-9", Severity: "high", Kind: store.KindRisk, Fingerprint: "r1", Count: 1, FirstSeen: at, LastSeen: at},
	}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second tick must not open more
		if err := d.svc.Tick(ctx, "default"); err != nil {
			t.Fatal(err)
		}
	}
	cases, total, _ := d.svc.State.Scope("default").Cases().List(ctx, store.CaseFilter{Stage: -1})
	titles := map[string]bool{}
	for _, c := range cases {
		titles[c.Title] = true
	}
	// newDesk's own alerts are high and medium detections: no case for them.
	if total != 2 || !titles["Ransom note written"] || !titles["High accumulated risk on host ws-9"] {
		t.Fatalf("auto-opened %d cases: %v", total, titles)
	}
	for _, a := range stored {
		got, _ := d.svc.State.Scope("default").Alerts().Get(ctx, a.ID)
		if got.CaseID == "" {
			t.Errorf("alert %s not stamped with its case", a.RuleTitle)
		}
	}
}
