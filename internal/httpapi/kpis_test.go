package httpapi

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/store"
)

func TestKPIsAPI(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	now := time.Now().UTC()
	alerts := e.state.Scope(store.DefaultTenant).Alerts()
	stored, err := alerts.Upsert(ctx, []store.Alert{
		{Tenant: store.DefaultTenant, Kind: store.KindDetection, RuleID: "r1", RuleTitle: "Scanner", Severity: "low",
			Fingerprint: "f1", FirstSeen: now.Add(-time.Minute), LastSeen: now, Status: store.StatusNew, Count: 1},
		{Tenant: store.DefaultTenant, Kind: store.KindDetection, RuleID: "hunt:h1", RuleTitle: "Hunt", Severity: "high",
			Fingerprint: "f2", FirstSeen: now.Add(-time.Minute), LastSeen: now, Status: store.StatusNew, Count: 1},
	}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	closed, fp := store.StatusClosed, store.ResolutionFalsePositive
	if err := alerts.Tx(ctx, func(tx store.AlertTx) error {
		_, _, err := tx.Update(ctx, stored[0].ID, store.AlertChange{Status: &closed, Resolution: &fp})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.state.Scope("acme").Alerts().Upsert(ctx, []store.Alert{{Tenant: "acme", Kind: store.KindDetection, RuleID: "r9",
		Severity: "critical", Fingerprint: "f9", FirstSeen: now, LastSeen: now, Status: store.StatusNew, Count: 1}}, time.Hour); err != nil {
		t.Fatal(err)
	}
	analyst := e.tokens["default/analyst"]
	code, out := e.do(t, "GET", "/api/v1/kpis", analyst, "")
	if code != 200 {
		t.Fatalf("%d %v", code, out)
	}
	for _, k := range []string{"mttd_seconds", "mttr_seconds", "alerts_by_severity", "false_positive_rate", "sla_compliance"} {
		if _, ok := out[k]; !ok {
			t.Errorf("response lacks %s", k)
		}
	}
	if out["alerts"] != float64(2) || out["false_positive_rate"] != float64(1) || out["tenant"] != "default" {
		t.Errorf("alerts %v fp %v tenant %v", out["alerts"], out["false_positive_rate"], out["tenant"])
	}
	if by := out["alerts_by_severity"].(map[string]any); by["low"] != float64(1) || by["high"] != float64(1) || by["critical"] != nil {
		t.Errorf("by severity %v (acme's critical alert must not count)", by)
	}
	if by := out["alerts_by_source"].(map[string]any); by["hunt"] != float64(1) {
		t.Errorf("by source %v", by)
	}
	days := out["alerts_by_day"].([]any)
	if last := days[len(days)-1].(map[string]any); len(days) < 30 || last["count"] != float64(2) {
		t.Errorf("alerts by day: %d days, last %v", len(days), last)
	}
	if code, _ := e.do(t, "GET", "/api/v1/kpis?tenant=acme", analyst, ""); code != 403 {
		t.Errorf("analyst reads another tenant's KPIs: %d", code)
	}
	if code, _ := e.do(t, "GET", "/api/v1/kpis?from=yesterday", analyst, ""); code != 400 {
		t.Errorf("bad from: %d", code)
	}
	// The provider's lead sees every tenant.
	lead := roleToken(t, e, store.DefaultTenant, auth.RoleLead)
	code, out = e.do(t, "GET", "/api/v1/kpis?tenant=*", lead, "")
	if code != 200 || out["alerts"] != float64(3) || out["tenant"] != "*" {
		t.Errorf("all tenants: %d alerts %v", code, out["alerts"])
	}
	if tn := out["tenants"].(map[string]any); len(tn) != 2 {
		t.Errorf("per-tenant summaries %v", tn)
	}

	get := func(path string) (int, string, http.Header) {
		req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+analyst)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	code, text, _ := get("/api/v1/kpis?format=csv")
	if code != 200 || !strings.Contains(text, "false_positive_rate,,rate,1\n") || !strings.Contains(text, "alerts_by_severity,high,count,1\n") {
		t.Errorf("CSV: %d %q", code, text)
	}
	recs, _, err := e.state.Scope(store.DefaultTenant).Audit().List(ctx, store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	audited := false
	for _, r := range recs {
		audited = audited || r.Action == "kpis.export"
	}
	if !audited {
		t.Error("CSV export not audited")
	}
	month := now.Format("2006-01")
	code, text, h := get("/api/v1/kpis/report?lang=ja&month=" + month)
	if code != 200 || !strings.Contains(text, "SOC 月次レポート") || !strings.Contains(text, "<svg") || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Errorf("report: %d %.200q", code, text)
	}
	if code, _, _ := get("/api/v1/kpis/report?lang=fr"); code != 400 {
		t.Errorf("lang fr: %d", code)
	}
}
