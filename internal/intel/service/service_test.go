package service

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/intel"
	"github.com/yagura-soc/yagura/internal/intel/feed"
	"github.com/yagura-soc/yagura/internal/shareddata"
	"github.com/yagura-soc/yagura/internal/store"
	"github.com/yagura-soc/yagura/internal/store/duckdb"
	"github.com/yagura-soc/yagura/internal/store/embeddedtest"
	"github.com/yagura-soc/yagura/internal/store/sqlite"
)

var now = time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)

type env struct {
	svc    *Service
	state  *sqlite.Store
	events *duckdb.Store
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	evs, st := embeddedtest.Open(t)
	if _, err := st.Tenants().Create(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	return &env{svc: New(st, evs, Config{Now: func() time.Time { return now }}), state: st, events: evs}
}

func importFile(t *testing.T, e *env, tenant, path string, o ImportOptions) ImportResult {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := e.svc.Import(context.Background(), tenant, f, o)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func hits(e *env, tenant string, ecs event.Fields) int {
	return len(e.svc.Detector().Detect(&event.Event{Tenant: tenant, Timestamp: now, ECS: ecs}, nil))
}

// Import → store → matcher → exports, with dedup across formats and
// tenant isolation.
func TestImportMatchExport(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	res := importFile(t, e, "default", shareddata.Path(t, "stix", "poisonivy.json"),
		ImportOptions{Format: "stix", Feed: feed.Options{Source: "fireeye", Confidence: 80, ToBlock: true}})
	if res.Created != 44 || len(res.Rejected) != 1 {
		t.Errorf("Poison Ivy import: %+v", res)
	}
	// The same IP again from a CSV list: merged, not duplicated.
	res = importFile(t, e, "default", "../feed/csv/testdata/feodo.csv", ImportOptions{Format: "csv", Feed: feed.Options{Source: "feodo", Confidence: 95}})
	if res.Created != 2 || res.Imported != 2 {
		t.Errorf("Feodo import: %+v", res)
	}
	r2, err := e.svc.Import(ctx, "default", strings.NewReader("113.10.246.30\n8.8.8.8\n"), ImportOptions{Format: "text",
		Feed: feed.Options{Source: "manual", Confidence: 99, ToBlock: true}})
	if err != nil || r2.Created != 0 || r2.Updated != 1 || len(r2.Rejected) != 1 || !strings.Contains(r2.Rejected[0].Reason, "public-resolvers") {
		t.Errorf("text import: %+v %v", r2, err)
	}
	i, err := e.state.Scope("default").IOCs().Find(ctx, intel.IPv4, "113.10.246.30")
	if err != nil || i.Confidence != 99 || len(i.Sources) != 2 {
		t.Errorf("merged indicator: %+v %v", i, err)
	}
	if hits(e, "default", event.Fields{"destination.ip": "113.10.246.30"}) != 1 ||
		hits(e, "default", event.Fields{"dns.question.name": "x.www.webserver.dynssl.com"}) != 1 ||
		hits(e, "acme", event.Fields{"destination.ip": "113.10.246.30"}) != 0 {
		t.Error("matcher does not reflect the imports")
	}
	p, _ := e.svc.Policy(ctx, "default", "", 0)
	body, _, err := e.svc.Export(ctx, "default", "edl/ip", p)
	if err != nil {
		t.Fatal(err)
	}
	ips := body.Bytes()
	lines := strings.Split(strings.TrimSpace(string(ips)), "\n")
	// 18 Poison Ivy addresses are to_block; the Feodo ones are not.
	if len(lines) != 18 || strings.Contains(string(ips), "203.0.113.61") {
		t.Errorf("edl/ip has %d lines:\n%s", len(lines), ips)
	}
	// A consumer threshold above the feed's confidence empties the list,
	// except the manual 99 entry.
	if err := e.state.Scope("default").IOCs().SetConsumerMinConfidence(ctx, "tok-fw", 90); err != nil {
		t.Fatal(err)
	}
	p, _ = e.svc.Policy(ctx, "default", "tok-fw", 0)
	body, _, _ = e.svc.Export(ctx, "default", "edl/ip", p)
	ips = body.Bytes()
	if string(ips) != "113.10.246.30\n" {
		t.Errorf("edl/ip for a consumer at 90: %q", ips)
	}
	if p2, _ := e.svc.Policy(ctx, "default", "tok-fw", 10); p2.MinConfidence != 90 {
		t.Error("a request parameter lowered the consumer's threshold")
	}
	if _, _, err := e.svc.Export(ctx, "default", "pdf", p); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown export: %v", err)
	}
	if _, err := e.svc.Import(ctx, "default", strings.NewReader("{"), ImportOptions{Format: "stix"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("broken document: %v", err)
	}
	if _, err := e.svc.Import(ctx, "default", strings.NewReader(""), ImportOptions{Format: "docx"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown format: %v", err)
	}
}

// Edits and revocations reach the matcher, the exports and the change
// feed at once.
func TestUpdatesReachEveryOutput(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	i, _, err := e.svc.Add(ctx, "default", intel.IOC{Type: intel.Domain, Value: "c2.evil.example", Confidence: 80, ToBlock: true})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := e.svc.Policy(ctx, "default", "", 0)
	for _, f := range []string{"edl/domain", "rpz", "suricata"} {
		out, _, _ := e.svc.Export(ctx, "default", f, p)
		if !strings.Contains(string(out.Bytes()), "c2.evil.example") {
			t.Errorf("%s lacks the new indicator", f)
		}
	}
	ch, next, err := e.svc.Changes(ctx, "default", 0, 100, p)
	if err != nil || len(ch) != 1 || ch[0].Action != "add" || next != 1 {
		t.Fatalf("changes: %+v %d %v", ch, next, err)
	}
	i.ToBlock = false
	if _, err := e.svc.Update(ctx, "default", i); err != nil {
		t.Fatal(err)
	}
	if out, _, _ := e.svc.Export(ctx, "default", "edl/domain", p); out.Len() != 0 {
		t.Errorf("unblocked indicator still exported: %q", out.Bytes())
	}
	if hits(e, "default", event.Fields{"url.domain": "c2.evil.example"}) != 1 {
		t.Error("an indicator not to be blocked must still be matched")
	}
	if _, err := e.svc.Revoke(ctx, "default", i.ID); err != nil {
		t.Fatal(err)
	}
	if hits(e, "default", event.Fields{"url.domain": "c2.evil.example"}) != 0 {
		t.Error("revoked indicator still matched")
	}
	// The feed holds each indicator's latest state once (compacted): the
	// edit (seq 2) is superseded by the revocation (seq 3).
	ch, next, _ = e.svc.Changes(ctx, "default", 1, 100, p)
	if len(ch) != 1 || ch[0].Action != "remove" || ch[0].Seq != 3 || next != 3 {
		t.Errorf("changes after edit and revoke: %+v", ch)
	}
	if _, err := e.svc.Revoke(ctx, "acme", i.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoke across tenants: %v", err)
	}
	if _, _, err := e.svc.Add(ctx, "default", intel.IOC{Type: intel.IPv4, Value: "1.1.1.1"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("warning-listed manual entry: %v", err)
	}
	if _, err := e.svc.Update(ctx, "default", intel.IOC{ID: i.ID, Confidence: 101}); !errors.Is(err, ErrInvalid) {
		t.Errorf("confidence 101: %v", err)
	}
}

// A new indicator finds the stored events that named it before it was
// known, and raises one retrospective alert; events outside the window
// and of other tenants are left alone.
func TestRetroHunt(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	mk := func(tenant, id string, age time.Duration, ecs event.Fields, raw string) *event.Event {
		ts := now.Add(-age)
		return &event.Event{Tenant: tenant, ID: id, Timestamp: ts, Ingested: ts, Source: "test", Raw: raw, ECS: ecs, Fields: event.Fields{}}
	}
	evs := []*event.Event{
		mk("default", "e1", 2*time.Hour, event.Fields{"host.name": "ws-01", "destination.ip": "203.0.113.77"}, "conn ws-01 -> 203.0.113.77:443"),
		mk("default", "e2", 3*time.Hour, event.Fields{"host.name": "ws-01", "destination.ip": "203.0.113.77"}, "conn ws-01 -> 203.0.113.77:443"),
		mk("default", "e3", 4*time.Hour, event.Fields{"host.name": "ws-02", "destination.ip": "203.0.113.7"}, "conn ws-02 -> 203.0.113.7:443"), // substring, not a hit
		mk("default", "e4", 40*24*time.Hour, event.Fields{"host.name": "ws-03", "destination.ip": "203.0.113.77"}, "conn ws-03 -> 203.0.113.77:443"),
		mk("acme", "a1", 2*time.Hour, event.Fields{"host.name": "ws-01", "destination.ip": "203.0.113.77"}, "conn ws-01 -> 203.0.113.77:443"),
		mk("default", "e5", 5*time.Hour, event.Fields{"host.name": "ws-04", "dns.question.name": "cdn.update-check.example"}, "query cdn.update-check.example"),
	}
	if err := e.events.Append(ctx, evs); err != nil {
		t.Fatal(err)
	}
	res := importFile(t, e, "default", "../feed/csv/testdata/threatfox.csv", ImportOptions{Format: "csv", Feed: feed.Options{Source: "threatfox"}})
	if !strings.HasPrefix(res.RetroHunt, "started") {
		t.Fatalf("retro-hunt: %q", res.RetroHunt)
	}
	e.svc.Wait()
	alerts, _, err := e.state.Scope("default").Alerts().List(ctx, store.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]store.Alert{}
	for _, a := range alerts {
		got[a.RuleID] = a
		if !slices.Contains(a.Tags, RetroTag) || !strings.HasPrefix(a.RuleTitle, "Retro-hunt: ") {
			t.Errorf("alert not marked retrospective: %+v", a)
		}
	}
	if a := got["yagura-intel-ipv4"]; a.Count != 2 || a.Entities["host.name"] != "ws-01" || len(a.EventIDs) != 2 {
		t.Errorf("IP alert: %+v", a)
	}
	if a := got["yagura-intel-domain"]; a.Count != 1 || a.Entities["host.name"] != "ws-04" {
		t.Errorf("domain alert: %+v", a)
	}
	if len(got) != 2 {
		t.Errorf("%d alerts, want 2: %+v", len(got), alerts)
	}
	if acme, _, _ := e.state.Scope("acme").Alerts().List(ctx, store.AlertFilter{}); len(acme) != 0 {
		t.Error("retro-hunt alerted in another tenant")
	}
}

func TestSearchTerm(t *testing.T) {
	for in, want := range map[string]string{"10.1.0.0/16": "10.1.", "223.166.0.0/15": "223.", "2001:db8::/32": "2001:db8:", "0.0.0.0/4": ""} {
		tp, v, _ := intel.Canonical(intel.CIDR, in)
		got, ok := searchTerm(intel.IOC{Type: tp, Value: v})
		if got != want || ok != (want != "") {
			t.Errorf("searchTerm(%s) = %q %v, want %q", in, got, ok, want)
		}
	}
}
