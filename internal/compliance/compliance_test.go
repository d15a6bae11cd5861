package compliance

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

	"github.com/yagura-soc/yagura/internal/config"
	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/retention"
	"github.com/yagura-soc/yagura/internal/store"
	"github.com/yagura-soc/yagura/internal/store/duckdb"
	"github.com/yagura-soc/yagura/internal/store/embeddedtest"
	"github.com/yagura-soc/yagura/internal/store/sqlite"
)

var d0 = time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)

func dayN(n int) time.Time { return d0.Add(time.Duration(n) * 24 * time.Hour) }

type fixture struct {
	events *duckdb.Store
	state  *sqlite.Store
	dir    string
}

// newFixture: source "syslog" on days 0..9 except 4 and 5 (a gap), source
// "http" on days 8 and 9 only.
func newFixture(t *testing.T) fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	evs, st := embeddedtest.Open(t)
	var batch []*event.Event
	for d := range 10 {
		if d != 4 && d != 5 {
			batch = append(batch, &event.Event{Tenant: store.DefaultTenant, ID: fmt.Sprint("s", d), Timestamp: dayN(d), Ingested: dayN(d), Source: "syslog", Raw: "x",
				ECS: event.Fields{"event.dataset": "linux.auth"}})
		}
		if d >= 8 {
			batch = append(batch, &event.Event{Tenant: store.DefaultTenant, ID: fmt.Sprint("h", d), Timestamp: dayN(d), Ingested: dayN(d), Source: "http", Raw: "y"})
		}
	}
	if err := evs.Append(ctx, batch); err != nil {
		t.Fatal(err)
	}
	return fixture{evs, st, dir}
}

func status(r Report) map[string]string {
	out := map[string]string{}
	for _, c := range r.Checks {
		out[c.ID] = c.Status
	}
	return out
}

func TestComplianceAnswers(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tmpl := filepath.Join(f.dir, "incident.md")
	os.WriteFile(tmpl, []byte("# Incident report"), 0o600)
	good := config.Reporting{RequiredRetentionDays: 365,
		CSIRT:              config.Contact{Name: "CSIRT", Email: "csirt@example.com"},
		EscalationContacts: []config.Contact{{Name: "Lead", Email: "lead@example.com"}},
		ReportTemplates:    []string{tmpl}}

	rep, err := Build(ctx, f.events, f.state, good, store.DefaultTenant, dayN(10))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"retention.policy": Pass, "retention.coverage": Warn, "evidence.audit_chain": Pass, "evidence.archives": Pass,
		"evidence.legal_holds": Pass, "reporting.csirt": Pass, "reporting.escalation": Pass, "reporting.templates": Pass,
	}
	if got := status(rep); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("checks = %v\nwant     %v", got, want)
	}
	if len(rep.Coverage) != 2 {
		t.Fatalf("coverage = %+v", rep.Coverage)
	}
	sys := rep.Coverage[1]
	if sys.Source != "syslog" || sys.Days != 8 || len(sys.GapDays) != 2 || !sys.GapDays[0].Equal(dayN(4)) || !sys.GapDays[1].Equal(dayN(5)) {
		t.Errorf("syslog coverage = %+v", sys)
	}
	if http := rep.Coverage[0]; http.Days != 2 || len(http.GapDays) != 0 {
		t.Errorf("http coverage = %+v", http)
	}

	// Archive days 0..3 (hot 4 days), then the same days still count as
	// covered; a tampered archive fails the evidence check.
	f.state.Scope(store.DefaultTenant).Retention().SetPolicy(ctx, store.RetentionPolicy{HotDays: 6, DeleteAfterDays: 30, AlertDays: 30})
	enf := &retention.Enforcer{Events: f.events, State: f.state, ArchiveDir: filepath.Join(f.dir, "archive"), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if _, err := enf.RunTenant(ctx, store.DefaultTenant, dayN(10)); err != nil {
		t.Fatal(err)
	}
	rep, _ = Build(ctx, f.events, f.state, good, store.DefaultTenant, dayN(10))
	if s := status(rep); s["evidence.archives"] != Pass || s["retention.policy"] != Fail {
		t.Errorf("after archiving with a 30-day policy: %v", s)
	}
	if len(rep.Archives) != 4 {
		t.Errorf("archives = %d, want 4", len(rep.Archives))
	}
	os.WriteFile(rep.Archives[0].Path, []byte("changed"), 0o600)
	rep, _ = Build(ctx, f.events, f.state, good, store.DefaultTenant, dayN(10))
	if s := status(rep); s["evidence.archives"] != Fail {
		t.Errorf("tampered archive: %v", s)
	}

	// Nothing configured: the reporting flow fails, naming what to set.
	rep, _ = Build(ctx, f.events, f.state, config.Reporting{RequiredRetentionDays: 365, ReportTemplates: []string{"/nope.md"}}, store.DefaultTenant, dayN(10))
	for _, id := range []string{"reporting.csirt", "reporting.escalation", "reporting.templates"} {
		if status(rep)[id] != Fail {
			t.Errorf("%s = %s, want fail", id, status(rep)[id])
		}
	}
	// An empty tenant has nothing collected.
	f.state.Tenants().Create(ctx, "empty")
	rep, _ = Build(ctx, f.events, f.state, good, "empty", dayN(10))
	if status(rep)["retention.coverage"] != Fail {
		t.Errorf("empty tenant coverage = %s", status(rep)["retention.coverage"])
	}
}

func TestHTMLReport(t *testing.T) {
	f := newFixture(t)
	rep, err := Build(context.Background(), f.events, f.state, config.Reporting{RequiredRetentionDays: 365,
		CSIRT: config.Contact{Name: "CSIRT <team>", Email: "csirt@example.com"}}, store.DefaultTenant, dayN(10))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := rep.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	for _, want := range []string{"Compliance report — tenant default", "Is the audit trail intact?", "2026-02-05 2026-02-06", "CSIRT &lt;team&gt;", `class="fail"`} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(html, "<script") {
		t.Error("the report must not carry scripts")
	}
}
