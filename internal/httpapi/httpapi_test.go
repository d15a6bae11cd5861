package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/yagura-soc/yagura/api"
	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/casework"
	"github.com/yagura-soc/yagura/internal/detect"
	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/incident"
	"github.com/yagura-soc/yagura/internal/ingest"
	"github.com/yagura-soc/yagura/internal/ingest/intake"
	"github.com/yagura-soc/yagura/internal/metrics"
	"github.com/yagura-soc/yagura/internal/pipeline"
	"github.com/yagura-soc/yagura/internal/respond"
	"github.com/yagura-soc/yagura/internal/respond/webhook"
	"github.com/yagura-soc/yagura/internal/retention"
	"github.com/yagura-soc/yagura/internal/store"
	"github.com/yagura-soc/yagura/internal/store/embeddedtest"
	"github.com/yagura-soc/yagura/internal/store/fsblob"
)

// Every route in the router is in the OpenAPI document and vice versa.
func TestOpenAPIMatchesRouter(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(api.OpenAPI, &doc); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	var inSpec, inRouter []string
	methods := map[string]bool{"get": true, "put": true, "post": true, "delete": true, "patch": true, "head": true, "options": true}
	for path, ops := range doc.Paths {
		for key := range ops {
			if methods[key] { // other keys (parameters, summary) describe the path
				inSpec = append(inSpec, strings.ToUpper(key)+" "+path)
			}
		}
	}
	for _, rt := range routes() {
		inRouter = append(inRouter, rt.method+" "+rt.pattern)
	}
	// The shipper intakes the server mounts beside the API.
	for _, rt := range intake.Routes(ingest.HTTPDeps{}) {
		inRouter = append(inRouter, rt.Method+" "+rt.Path)
	}
	sort.Strings(inSpec)
	sort.Strings(inRouter)
	if fmt.Sprint(inSpec) != fmt.Sprint(inRouter) {
		t.Errorf("spec and router differ:\nspec:   %v\nrouter: %v", inSpec, inRouter)
	}
}

// jsonObjects reads JSON objects, takes host.name and @timestamp from them
// and rejects everything else, standing in for the real parsers.
func jsonObjects(ev *event.Event, data []byte, _ string) {
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		ev.ParseError = "no parser matched"
		return
	}
	ev.Fields = m
	ev.ECS = event.Fields{"host.name": m["host"]}
	if ts, ok := m["@timestamp"].(string); ok {
		t, err := time.Parse(time.RFC3339, ts)
		if err != nil {
			ev.ParseError = "unparseable @timestamp " + ts
			return
		}
		ev.Timestamp = t
	}
}

// hostDetector raises an alert for host "evil".
type hostDetector struct{}

func (hostDetector) Detect(ev *event.Event, out []detect.Match) []detect.Match {
	if v, _ := ev.GetString("host.name"); v == "evil" {
		out = append(out, detect.Match{Tenant: ev.Tenant, RuleID: "r-evil", RuleTitle: "Evil host", Level: "critical",
			Time: ev.Timestamp, Events: []*event.Event{ev}})
	}
	return out
}

type env struct {
	srv    *httptest.Server
	state  store.State
	tokens map[string]string // "tenant/role" → secret
}

// envOptions vary the API newEnvWith builds; the zero value is newEnv's.
type envOptions struct {
	normalize pipeline.Normalizer // default jsonObjects
	detector  detect.Detector     // default hostDetector{}
	roles     []string            // tokens minted in default and acme; default ingest and analyst
	deps      func(*Deps)         // last changes to the API's dependencies
}

func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvWith(t, envOptions{})
}

func newEnvWith(t testing.TB, o envOptions) *env {
	t.Helper()
	if o.normalize == nil {
		o.normalize = jsonObjects
	}
	if o.detector == nil {
		o.detector = hostDetector{}
	}
	if o.roles == nil {
		o.roles = []string{auth.RoleIngest, auth.RoleAnalyst}
	}
	ctx := context.Background()
	dir := t.TempDir()
	evs, st := embeddedtest.Open(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	m := metrics.New()
	p := pipeline.New(pipeline.Config{Workers: 2, DedupWindow: time.Hour}, evs, st, o.normalize, o.detector, m, log)
	firewall := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("blocked")) }))
	t.Cleanup(firewall.Close)
	pbs, err := incident.LoadPlaybooks(nil)
	if err != nil {
		t.Fatal(err)
	}
	desk := &casework.Service{State: st, Events: evs, Blobs: fsblob.New(filepath.Join(dir, "evidence")), Playbooks: pbs,
		Connectors: map[string]respond.Connector{"firewall": webhook.New(webhook.Config{Name: "firewall", URL: firewall.URL, Secret: "k"}, nil)}}
	deps := Deps{Events: evs, State: st, Pipeline: p, Metrics: m, Log: log, MaxBodyBytes: 4096,
		Logins:    auth.NewLogins(st.Users(), st.Sessions()),
		Retention: &retention.Enforcer{Events: evs, State: st, ArchiveDir: filepath.Join(dir, "archive"), Log: log},
		Cases:     desk}
	if o.deps != nil {
		o.deps(&deps)
	}
	srv := httptest.NewServer(New(deps))
	t.Cleanup(func() { srv.Close(); p.Close(ctx) }) // before the stores close
	e := &env{srv: srv, state: st, tokens: map[string]string{}}
	st.Tenants().Create(ctx, "acme")
	for _, tenant := range []string{store.DefaultTenant, "acme"} {
		for _, role := range o.roles {
			secret, _, err := auth.CreateToken(ctx, st.Tokens(), tenant, role, "", 0, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			e.tokens[tenant+"/"+role] = secret
		}
	}
	return e
}

func (e *env) do(t *testing.T, method, path, token, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: response is not a JSON object: %q", method, path, raw)
	}
	return resp.StatusCode, out
}

func TestIngest(t *testing.T) {
	e := newEnv(t)
	ingest := e.tokens["default/ingest"]
	cases := []struct {
		name         string
		body         string
		wantCode     int
		wantAccepted float64
		wantErrors   int
		wantInError  string
	}{
		{"ndjson objects and strings", `{"host":"a"}` + "\n" + `"a raw syslog line"` + "\n\n" + `{"host":"b"}`, 202, 3, 1, ""},
		{"json array", `[{"host":"c"}, "raw"]`, 202, 2, 1, ""},
		{"bad line does not sink the batch", `{"host":"d"}` + "\n" + `{"host": oops}` + "\n" + `{"host":"e"}`, 202, 3, 1, ""},
		{"unparseable timestamp is kept and reported", `{"host":"f","@timestamp":"yesterday-ish"}`, 202, 1, 1, ""},
		{"number item is kept raw", `[42]`, 202, 1, 1, ""},
		{"unterminated string line is kept raw", `"half a line` + "\n" + `"escaped \"quote\" and tab\t"`, 202, 2, 2, ""},
		{"malformed array", `[{"host":"g"},`, 400, 0, 0, "not valid JSON"},
		{"empty body", ``, 400, 0, 0, "no events"},
		{"over the body limit", `"` + strings.Repeat("x", 5000) + `"`, 413, 0, 0, "limit"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out := e.do(t, "POST", "/api/v1/events", ingest, c.body)
			if code != c.wantCode {
				t.Fatalf("code %d, want %d: %v", code, c.wantCode, out)
			}
			if c.wantInError != "" {
				if msg, _ := out["error"].(string); !strings.Contains(msg, c.wantInError) {
					t.Errorf("error %q, want it to mention %q", msg, c.wantInError)
				}
				return
			}
			errs, _ := out["errors"].([]any)
			if out["accepted"] != c.wantAccepted || len(errs) != c.wantErrors {
				t.Errorf("accepted %v errors %v", out["accepted"], out["errors"])
			}
		})
	}
	// Everything accepted is searchable, parse failures included.
	analyst := e.tokens["default/analyst"]
	code, out := e.do(t, "GET", "/api/v1/events?limit=1", analyst, "")
	if code != 200 || out["total"] != float64(12) {
		t.Errorf("search total = %v (%d), want 12", out["total"], code)
	}
	code, out = e.do(t, "GET", "/api/v1/events?q=host.name:d", analyst, "")
	if items, _ := out["items"].([]any); code != 200 || len(items) != 1 {
		t.Errorf("q=host.name:d: %d %v", code, out)
	}
	code, out = e.do(t, "GET", "/api/v1/events?q="+`"a%20raw"`, analyst, "")
	if out["total"] != float64(1) {
		t.Errorf("bare phrase: %d %v", code, out)
	}
	// A JSON string line is stored decoded; a broken one as it came.
	for phrase, raw := range map[string]string{`"quote"%20and`: "escaped \"quote\" and tab\t", "half": `"half a line`} {
		code, out = e.do(t, "GET", "/api/v1/events?q="+phrase, analyst, "")
		items, _ := out["items"].([]any)
		if code != 200 || len(items) != 1 || items[0].(map[string]any)["event.original"] != raw {
			t.Errorf("q=%s: %d %v, want one event with raw %q", phrase, code, out, raw)
		}
	}
}

func TestSearchParameterErrors(t *testing.T) {
	e := newEnv(t)
	analyst := e.tokens["default/analyst"]
	for _, q := range []string{"?from=yesterday", "?to=2026-13-01", "?limit=0", "?limit=abc", `?q="open`, "?q=:x"} {
		code, out := e.do(t, "GET", "/api/v1/events"+q, analyst, "")
		if code != 400 || out["error"] == "" {
			t.Errorf("%s: %d %v, want 400 with an error", q, code, out)
		}
	}
	for _, q := range []string{"?status=done", "?severity=urgent", "?offset=-1"} {
		code, _ := e.do(t, "GET", "/api/v1/alerts"+q, analyst, "")
		if code != 400 {
			t.Errorf("alerts%s: %d, want 400", q, code)
		}
	}
}

func TestAuthAndTenantIsolation(t *testing.T) {
	e := newEnv(t)
	// An alert in acme.
	code, _ := e.do(t, "POST", "/api/v1/events", e.tokens["acme/ingest"], `{"host":"evil"}`+"\n"+`{"host":"evil"}`)
	if code != 202 {
		t.Fatalf("ingest: %d", code)
	}
	code, out := e.do(t, "GET", "/api/v1/alerts", e.tokens["acme/analyst"], "")
	items, _ := out["items"].([]any)
	if code != 200 || len(items) != 1 {
		t.Fatalf("acme alerts: %d %v", code, out)
	}
	a := items[0].(map[string]any)
	for _, k := range []string{"id", "tenant", "rule_id", "rule_title", "severity", "risk_score", "status", "count", "entities", "first_seen", "last_seen"} {
		if _, ok := a[k]; !ok {
			t.Errorf("alert lacks %q: %v", k, a)
		}
	}
	if a["count"] != float64(2) || a["severity"] != "critical" || a["tenant"] != "acme" {
		t.Errorf("alert = %v", a)
	}
	id := a["id"].(string)

	cases := []struct {
		name, method, path, token string
		want                      int
	}{
		{"own tenant reads its alert", "GET", "/api/v1/alerts/" + id, e.tokens["acme/analyst"], 200},
		{"other tenant gets 404", "GET", "/api/v1/alerts/" + id, e.tokens["default/analyst"], 404},
		{"no token", "GET", "/api/v1/alerts", "", 401},
		{"bad token", "GET", "/api/v1/alerts", "ygr_nope", 401},
		{"ingest role cannot read", "GET", "/api/v1/alerts", e.tokens["acme/ingest"], 403},
		{"analyst cannot ingest", "POST", "/api/v1/events", e.tokens["acme/analyst"], 403},
		{"unknown route", "GET", "/api/v1/nope", e.tokens["acme/analyst"], 404},
		{"health needs no token", "GET", "/healthz", "", 200},
		{"ready", "GET", "/readyz", "", 200},
	}
	for _, c := range cases {
		code, out := e.do(t, c.method, c.path, c.token, `{"host":"x"}`)
		if code != c.want {
			t.Errorf("%s: %d, want %d (%v)", c.name, code, c.want, out)
		}
		if code >= 400 && out["error"] == "" {
			t.Errorf("%s: error body without a message", c.name)
		}
	}
	// The other tenant's list is empty.
	_, out = e.do(t, "GET", "/api/v1/alerts", e.tokens["default/analyst"], "")
	if out["total"] != float64(0) {
		t.Errorf("default tenant sees %v alerts", out["total"])
	}
}
