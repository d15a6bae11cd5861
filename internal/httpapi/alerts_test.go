package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/store"
)

// seedAlerts stores alerts directly, as the alert stage would.
func seedAlerts(t *testing.T, e *env, tenant string, alerts ...store.Alert) []store.Alert {
	t.Helper()
	got, err := e.state.Scope(tenant).Alerts().Upsert(context.Background(), alerts, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func roleToken(t testing.TB, e *env, tenant, role string) string {
	t.Helper()
	secret, _, err := auth.CreateToken(context.Background(), e.state.Tokens(), tenant, role, "", 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

func sample(rule, sev, host, user string, risk int, at time.Time) store.Alert {
	return store.Alert{RuleID: rule, RuleTitle: "Rule " + rule, Severity: sev, RiskScore: risk, Fingerprint: rule + host + user,
		Entities: map[string]string{"host.name": host, "user.name": user}, FirstSeen: at, LastSeen: at, Count: 1}
}

func TestTriageTransitions(t *testing.T) {
	e := newEnv(t)
	monitor := roleToken(t, e, store.DefaultTenant, auth.RoleMonitor)
	t0 := time.Now().UTC().Truncate(time.Second)
	a := seedAlerts(t, e, store.DefaultTenant, sample("r1", "high", "ws-1", "bob", 70, t0))[0]
	path := "/api/v1/alerts/" + a.ID
	steps := []struct {
		name   string
		body   string
		code   int
		status string
	}{
		{"nothing to change", `{}`, 400, ""},
		{"unknown status", `{"status":"done"}`, 400, ""},
		{"close without a resolution", `{"status":"closed"}`, 409, ""},
		{"resolution while open", `{"resolution":"true_positive"}`, 409, ""},
		{"acknowledge and assign", `{"status":"acknowledged","assignee":"alice"}`, 200, "acknowledged"},
		{"back to new is not allowed", `{"status":"new"}`, 409, ""},
		{"work on it", `{"status":"in_progress"}`, 200, "in_progress"},
		{"close as true positive", `{"status":"closed","resolution":"true_positive"}`, 200, "closed"},
		{"closed cannot be acknowledged", `{"status":"acknowledged"}`, 409, ""},
		{"reopen clears the resolution", `{"status":"in_progress"}`, 200, "in_progress"},
		{"unknown field", `{"stat":"closed"}`, 400, ""},
	}
	for _, s := range steps {
		code, body := e.do(t, "PATCH", path, monitor, s.body)
		if code != s.code {
			t.Fatalf("%s: %d %v, want %d", s.name, code, body, s.code)
		}
		if s.status != "" && body["status"] != s.status {
			t.Errorf("%s: status %v, want %s", s.name, body["status"], s.status)
		}
	}
	got, _ := e.state.Scope(store.DefaultTenant).Alerts().Get(context.Background(), a.ID)
	if got.Assignee != "alice" || got.Resolution != "" || got.AcknowledgedAt == nil || got.ClosedAt != nil {
		t.Errorf("alert after triage = %+v", got)
	}
	// Every accepted change is in the audit trail, with who did it.
	recs, _, _ := e.state.Scope(store.DefaultTenant).Audit().List(context.Background(), store.AuditFilter{Action: "alert.update"})
	if len(recs) != 4 || recs[0].Role != auth.RoleMonitor || recs[0].Object != "alert/"+a.ID ||
		recs[3].Details["resolution"] == nil {
		t.Errorf("audit = %+v", recs)
	}
	// The auditor reads but does not triage.
	if code, _ := e.do(t, "PATCH", path, roleToken(t, e, store.DefaultTenant, auth.RoleAuditor), `{"status":"closed"}`); code != 403 {
		t.Errorf("auditor PATCH = %d, want 403", code)
	}
	// Each change notified ticketing receivers through the outbox.
	evs, _ := e.state.Scope(store.DefaultTenant).Notifications().Unrouted(context.Background(), 100)
	if len(evs) != 4 || evs[0].Kind != store.EventAlertUpdated || evs[0].Actor == "" {
		t.Errorf("outbox = %d events", len(evs))
	}
}

func TestBulkIsAllOrNothing(t *testing.T) {
	e := newEnv(t)
	monitor := roleToken(t, e, store.DefaultTenant, auth.RoleMonitor)
	t0 := time.Now().UTC()
	as := seedAlerts(t, e, store.DefaultTenant, sample("r1", "low", "a", "u", 20, t0), sample("r1", "low", "b", "u", 20, t0))
	other := seedAlerts(t, e, "acme", sample("r1", "low", "c", "u", 20, t0))[0]
	body := func(ids ...string) string {
		ids2, _ := json.Marshal(ids)
		return fmt.Sprintf(`{"ids":%s,"status":"closed","resolution":"benign_positive","assignee":"bob"}`, ids2)
	}
	// One id of another tenant: nothing changes.
	if code, _ := e.do(t, "POST", "/api/v1/alerts/bulk", monitor, body(as[0].ID, other.ID)); code != 404 {
		t.Fatalf("bulk with a foreign id = %d, want 404", code)
	}
	if a, _ := e.state.Scope(store.DefaultTenant).Alerts().Get(context.Background(), as[0].ID); a.Status != store.StatusNew {
		t.Errorf("a failed bulk changed %s to %s", a.ID, a.Status)
	}
	code, out := e.do(t, "POST", "/api/v1/alerts/bulk", monitor, body(as[0].ID, as[1].ID))
	if code != 200 || out["total"] != float64(2) {
		t.Fatalf("bulk = %d %v", code, out)
	}
	_, total, _ := e.state.Scope(store.DefaultTenant).Alerts().List(context.Background(),
		store.AlertFilter{Status: store.StatusClosed, Assignee: "bob"})
	if total != 2 {
		t.Errorf("%d alerts closed and assigned, want 2", total)
	}
	if code, _ := e.do(t, "POST", "/api/v1/alerts/bulk", monitor, `{"ids":[],"status":"closed"}`); code != 400 {
		t.Errorf("empty bulk = %d", code)
	}
}

func TestCommentsAndListFilters(t *testing.T) {
	e := newEnv(t)
	monitor := roleToken(t, e, store.DefaultTenant, auth.RoleMonitor)
	t0 := time.Now().UTC().Add(-time.Hour)
	as := seedAlerts(t, e, store.DefaultTenant,
		sample("brute", "high", "ws-1", "bob", 80, t0), sample("brute", "high", "ws-2", "eve", 60, t0.Add(time.Minute)),
		sample("scan", "low", "ws-1", "svc_50%", 20, t0.Add(2*time.Minute)))
	code, c := e.do(t, "POST", "/api/v1/alerts/"+as[0].ID+"/comments", monitor, `{"body":"looks like a pentest"}`)
	if code != 201 || c["author"] == "" {
		t.Fatalf("comment = %d %v", code, c)
	}
	code, list := e.do(t, "GET", "/api/v1/alerts/"+as[0].ID+"/comments", monitor, "")
	if code != 200 || list["total"] != float64(1) {
		t.Errorf("comments = %d %v", code, list)
	}
	if code, _ := e.do(t, "POST", "/api/v1/alerts/nope/comments", monitor, `{"body":"x"}`); code != 404 {
		t.Errorf("comment on a missing alert = %d", code)
	}
	cases := []struct {
		query string
		want  []string // rule/host in order
	}{
		{"", []string{"scan/ws-1", "brute/ws-2", "brute/ws-1"}},
		{"?severity=high", []string{"brute/ws-2", "brute/ws-1"}},
		{"?rule_id=scan", []string{"scan/ws-1"}},
		{"?entity=ws-1", []string{"scan/ws-1", "brute/ws-1"}},
		{"?entity=host:ws-2", []string{"brute/ws-2"}},
		{"?entity=user.name:bob", []string{"brute/ws-1"}},
		{"?q=50%25", []string{"scan/ws-1"}}, // a literal %, not a wildcard
		{"?q=Rule%20br", []string{"brute/ws-2", "brute/ws-1"}},
		{"?sort=-risk_score", []string{"brute/ws-1", "brute/ws-2", "scan/ws-1"}},
		{"?sort=risk_score&limit=1", []string{"scan/ws-1"}},
		{"?sort=first_seen&offset=1", []string{"brute/ws-2", "scan/ws-1"}},
	}
	for _, c := range cases {
		code, body := e.do(t, "GET", "/api/v1/alerts"+c.query, monitor, "")
		if code != 200 {
			t.Errorf("%s: %d %v", c.query, code, body)
			continue
		}
		var got []string
		for _, it := range body["items"].([]any) {
			a := it.(map[string]any)
			got = append(got, a["rule_id"].(string)+"/"+a["entities"].(map[string]any)["host.name"].(string))
		}
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: %v, want %v", c.query, got, c.want)
		}
	}
	for _, bad := range []string{"?sort=name", "?status=open", "?kind=x", "?severity=urgent"} {
		if code, _ := e.do(t, "GET", "/api/v1/alerts"+bad, monitor, ""); code != 400 {
			t.Errorf("%s = %d, want 400", bad, code)
		}
	}
}

func TestCloseAsFalsePositiveAndSuppress(t *testing.T) {
	e := newEnv(t)
	lead := roleToken(t, e, store.DefaultTenant, auth.RoleLead)
	monitor := roleToken(t, e, store.DefaultTenant, auth.RoleMonitor)
	a := seedAlerts(t, e, store.DefaultTenant, sample("scan", "low", "scanner-1", "svc", 20, time.Now().UTC()))[0]
	path := "/api/v1/alerts/" + a.ID + "/suppress"
	if code, _ := e.do(t, "POST", path, monitor, `{"reason":"x"}`); code != 403 {
		t.Errorf("monitor suppress = %d, want 403 (leads manage suppressions)", code)
	}
	if code, _ := e.do(t, "POST", path, lead, `{"reason":""}`); code != 400 {
		t.Errorf("suppress without reason = %d", code)
	}
	if code, _ := e.do(t, "POST", path, lead, `{"reason":"x","expires_in":"-1h"}`); code != 400 {
		t.Errorf("suppress with past expiry = %d", code)
	}
	code, out := e.do(t, "POST", path, lead, `{"reason":"the weekly vulnerability scan","expires_in":"720h"}`)
	if code != 201 {
		t.Fatalf("suppress = %d %v", code, out)
	}
	al := out["alert"].(map[string]any)
	sup := out["suppression"].(map[string]any)
	conds := sup["conditions"].([]any)
	if al["status"] != "closed" || al["resolution"] != "false_positive" || sup["rule_id"] != "scan" || len(conds) != 2 ||
		sup["expires_at"] == nil || sup["author"] == "" || sup["from_alert"] != a.ID {
		t.Errorf("alert %v suppression %v", al, sup)
	}
	acts := map[string]bool{}
	recs, _, _ := e.state.Scope(store.DefaultTenant).Audit().List(context.Background(), store.AuditFilter{})
	for _, r := range recs {
		acts[r.Action] = true
	}
	if !acts["suppression.create"] || !acts["alert.update"] {
		t.Errorf("audit actions = %v", acts)
	}
	// CRUD.
	id := sup["id"].(string)
	if code, got := e.do(t, "GET", "/api/v1/suppressions/"+id, monitor, ""); code != 200 || got["reason"] != "the weekly vulnerability scan" {
		t.Errorf("get = %d %v", code, got)
	}
	if code, _ := e.do(t, "PUT", "/api/v1/suppressions/"+id, lead,
		`{"rule_id":"scan","conditions":[{"field":"source.ip","op":"cidr","value":"10.0.0.0/8"}],"reason":"scanner subnet"}`); code != 200 {
		t.Errorf("put = %d", code)
	}
	if code, _ := e.do(t, "POST", "/api/v1/suppressions", lead, `{"reason":"everything"}`); code != 400 {
		t.Errorf("a suppression of everything = %d, want 400", code)
	}
	if code, _ := e.do(t, "POST", "/api/v1/suppressions", lead, `{"reason":"bad","conditions":[{"field":"a","op":"regex","value":"x"}]}`); code != 400 {
		t.Errorf("unknown op = %d", code)
	}
	if code, list := e.do(t, "GET", "/api/v1/suppressions", monitor, ""); code != 200 || list["total"] != float64(1) {
		t.Errorf("list = %d %v", code, list)
	}
	if code := request(t, http.DefaultClient, "DELETE", e.srv.URL+"/api/v1/suppressions/"+id, lead, nil, ""); code != http.StatusNoContent {
		t.Errorf("delete = %d", code)
	}
	if code, _ := e.do(t, "GET", "/api/v1/suppressions/"+id, monitor, ""); code != 404 {
		t.Errorf("get after delete = %d", code)
	}
}

func TestChannelsRoutesAndDeadLetters(t *testing.T) {
	e := newEnv(t)
	lead := roleToken(t, e, store.DefaultTenant, auth.RoleLead)
	code, ch := e.do(t, "POST", "/api/v1/channels", lead,
		`{"name":"soc hook","kind":"webhook","config":{"url":"https://hooks.example.org/T1/secretpath","secret":"s3cr3t"},"rate_per_minute":30}`)
	if code != 201 {
		t.Fatalf("create channel = %d %v", code, ch)
	}
	cfg := ch["config"].(map[string]any)
	if cfg["secret"] != "********" || cfg["url"] != "********" {
		t.Errorf("secrets shown: %v", cfg)
	}
	id := ch["id"].(string)
	// Sending the redacted values back keeps the stored secrets.
	if code, _ := e.do(t, "PUT", "/api/v1/channels/"+id, lead,
		`{"name":"soc hook","kind":"webhook","config":{"url":"********","secret":"********"},"enabled":true}`); code != 200 {
		t.Fatalf("update = %d", code)
	}
	stored, _ := e.state.Scope(store.DefaultTenant).Notifications().Channel(context.Background(), id)
	if string(stored.Config) != `{"secret":"s3cr3t","url":"https://hooks.example.org/T1/secretpath"}` {
		t.Errorf("stored config = %s", stored.Config)
	}
	for _, bad := range []string{
		`{"name":"x","kind":"pager","config":{}}`,
		`{"name":"x","kind":"webhook","config":{"url":"ftp://x"}}`,
		`{"name":"x","kind":"email","config":{"host":"smtp"}}`,
		`{"name":"","kind":"webhook","config":{"url":"https://x"}}`,
	} {
		if code, _ := e.do(t, "POST", "/api/v1/channels", lead, bad); code != 400 {
			t.Errorf("%s = %d, want 400", bad, code)
		}
	}
	if code, _ := e.do(t, "POST", "/api/v1/routes", lead, `{"name":"all","channels":["nope"]}`); code != 400 {
		t.Errorf("route to a missing channel = %d", code)
	}
	code, rt := e.do(t, "POST", "/api/v1/routes", lead,
		`{"name":"office","min_severity":"high","hours":"08:00-18:00","time_zone":"Europe/Berlin","channels":["`+id+`"],"escalation":["`+id+`"]}`)
	if code != 201 || rt["enabled"] != true {
		t.Fatalf("create route = %d %v", code, rt)
	}
	if code, _ := e.do(t, "POST", "/api/v1/routes", lead, `{"name":"bad","channels":["`+id+`"],"hours":"nine to five"}`); code != 400 {
		t.Errorf("bad hours = %d", code)
	}
	if code, _ := e.do(t, "POST", "/api/v1/channels/"+id+"/test", lead, ""); code != 202 {
		t.Errorf("test = %d", code)
	}
	evs, _ := e.state.Scope(store.DefaultTenant).Notifications().Unrouted(context.Background(), 10)
	if len(evs) != 1 || evs[0].Kind != store.EventChannelTest || evs[0].Channel != id {
		t.Errorf("test event = %+v", evs)
	}
	analyst := e.tokens[store.DefaultTenant+"/"+auth.RoleAnalyst]
	if code, _ := e.do(t, "GET", "/api/v1/channels", analyst, ""); code != 403 {
		t.Errorf("analyst reads channel config = %d, want 403", code)
	}
	if code, list := e.do(t, "GET", "/api/v1/notifications/dead-letters", analyst, ""); code != 200 || list["total"] != float64(0) {
		t.Errorf("dead letters = %d %v", code, list)
	}
	if code, _ := e.do(t, "POST", "/api/v1/notifications/nope/retry", lead, ""); code != 404 {
		t.Errorf("retry missing = %d", code)
	}
	if code := request(t, http.DefaultClient, "DELETE", e.srv.URL+"/api/v1/routes/"+rt["id"].(string), lead, nil, ""); code != 204 {
		t.Errorf("delete route = %d", code)
	}
	if code := request(t, http.DefaultClient, "DELETE", e.srv.URL+"/api/v1/channels/"+id, lead, nil, ""); code != 204 {
		t.Errorf("delete channel = %d", code)
	}
}

func TestEntityView(t *testing.T) {
	e := newEnv(t)
	analyst := e.tokens[store.DefaultTenant+"/"+auth.RoleAnalyst]
	a := seedAlerts(t, e, store.DefaultTenant, sample("r", "high", "ws-9", "bob", 70, time.Now().UTC()))[0]
	now := time.Now().UTC()
	err := e.state.Scope(store.DefaultTenant).Alerts().Tx(context.Background(), func(tx store.AlertTx) error {
		return tx.AddEntityRisk(context.Background(), store.EntityRisk{Type: "host", Value: "ws-9", Score: 70, UpdatedAt: now},
			store.RiskContribution{AlertID: a.ID, RuleID: "r", Points: 70, ScoreAfter: 70, At: now})
	})
	if err != nil {
		t.Fatal(err)
	}
	code, v := e.do(t, "GET", "/api/v1/entities/host/ws-9", analyst, "")
	if code != 200 || v["field"] != "host.name" || v["score"].(float64) > 70 || v["score"].(float64) < 69 ||
		len(v["history"].([]any)) != 1 || len(v["alerts"].([]any)) != 1 || v["threshold"] != float64(100) {
		t.Errorf("entity = %d %v", code, v)
	}
	if code, _ := e.do(t, "GET", "/api/v1/entities/planet/earth", analyst, ""); code != 400 {
		t.Errorf("unknown type = %d", code)
	}
	if code, v := e.do(t, "GET", "/api/v1/entities/user/nobody", analyst, ""); code != 200 || v["score"] != float64(0) {
		t.Errorf("unknown entity = %d %v", code, v)
	}
}
