package kpi_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/incident"
	"github.com/yagura-soc/yagura/internal/kpi"
	"github.com/yagura-soc/yagura/internal/store"
	"github.com/yagura-soc/yagura/internal/store/embeddedtest"
)

// TestLoad reads a tenant's alerts and cases from the real state store:
// more alerts than one page, none last seen before the previous period,
// nothing of another tenant.
func TestLoad(t *testing.T) {
	ctx := context.Background()
	_, st := embeddedtest.Open(t)
	for _, tenant := range []string{"acme", "other"} {
		if _, err := st.Tenants().Create(ctx, tenant); err != nil {
			t.Fatal(err)
		}
	}
	to := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	from := to.AddDate(0, 0, -30) // the previous period starts 60 days before to
	alert := func(i int, seen time.Time) store.Alert {
		return store.Alert{RuleID: "r1", RuleTitle: "Rule", Severity: "high", Fingerprint: fmt.Sprint("fp", i),
			Count: 1, FirstSeen: seen, LastSeen: seen}
	}
	var batch []store.Alert
	const inWindow = 5003 // one full page of 5000 and a short one
	for i := range inWindow {
		batch = append(batch, alert(i, from.Add(-20*24*time.Hour)))
	}
	batch = append(batch, alert(-1, from.Add(-61*24*time.Hour)), alert(-2, from.Add(-90*24*time.Hour)))
	acme := st.Scope("acme")
	if _, err := acme.Alerts().Upsert(ctx, batch, time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Scope("other").Alerts().Upsert(ctx, []store.Alert{alert(0, from)}, time.Minute); err != nil {
		t.Fatal(err)
	}
	pbs, err := incident.LoadPlaybooks(nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		c := incident.NewCase(pbs[incident.DefaultPlaybook], fmt.Sprint("case-", i), "acme", "Incident", "high", from)
		if err := acme.Cases().Create(ctx, c); err != nil {
			t.Fatal(err)
		}
	}

	alerts, cases, err := kpi.Load(ctx, acme, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if len(alerts) != inWindow || len(cases) != 3 {
		t.Errorf("Load: %d alerts, %d cases; want %d and 3", len(alerts), len(cases), inWindow)
	}
	for _, a := range alerts {
		if a.Tenant != "acme" || a.LastSeen.Before(from.Add(-to.Sub(from))) {
			t.Fatalf("alert %s of %s last seen %s does not belong in the report", a.ID, a.Tenant, a.LastSeen)
		}
	}
}
