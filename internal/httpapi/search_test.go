package httpapi

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/store"
)

func TestSearchAPI(t *testing.T) {
	e := newEnv(t)
	body := strings.Join([]string{
		`{"@timestamp":"2026-03-10T01:00:00Z","host":"ws-01","user":"alice","bytes":100}`,
		`{"@timestamp":"2026-03-10T02:00:00Z","host":"ws-01","user":"bob","bytes":300}`,
		`{"@timestamp":"2026-03-10T03:00:00Z","host":"ws-02","user":"alice","bytes":50}`,
	}, "\n")
	if code, out := e.do(t, "POST", "/api/v1/events", e.tokens["default/ingest"], body); code != 202 {
		t.Fatalf("ingest: %d %v", code, out)
	}
	if code, out := e.do(t, "POST", "/api/v1/events", e.tokens["acme/ingest"], `{"@timestamp":"2026-03-10T01:30:00Z","host":"acme-secret","user":"alice"}`); code != 202 {
		t.Fatalf("ingest acme: %d %v", code, out)
	}
	analyst := e.tokens["default/analyst"]
	rng := `"from":"2026-03-10T00:00:00Z","to":"2026-03-11T00:00:00Z"`

	t.Run("events with histogram and fields", func(t *testing.T) {
		code, out := e.do(t, "POST", "/api/v1/search", analyst, `{"query":"user:alice",`+rng+`}`)
		if code != 200 || out["total"] != float64(2) {
			t.Fatalf("%d %v", code, out)
		}
		items := out["items"].([]any)
		if first := items[0].(map[string]any); first["ecs"].(map[string]any)["host.name"] != "ws-02" {
			t.Errorf("first item %v, want the newest (ws-02)", first)
		}
		if h, _ := out["histogram"].([]any); len(h) != 2 || out["span"] != "15m0s" {
			t.Errorf("histogram %v span %v", out["histogram"], out["span"])
		}
		if f, _ := out["fields"].([]any); len(f) != 1 || f[0].(map[string]any)["field"] != "host.name" {
			t.Errorf("fields %v", out["fields"])
		}
	})
	t.Run("stats rows in items", func(t *testing.T) {
		q := url.Values{"query": {"| stats count() as n, sum(bytes) by host.name | sort -n"},
			"from": {"2026-03-10T00:00:00Z"}, "to": {"2026-03-11T00:00:00Z"}}
		code, out := e.do(t, "GET", "/api/v1/search?"+q.Encode(), analyst, "")
		if code != 200 || out["total"] != float64(2) {
			t.Fatalf("%d %v", code, out)
		}
		row := out["items"].([]any)[0].(map[string]any)
		if row["host.name"] != "ws-01" || row["n"] != float64(2) || row["sum(bytes)"] != float64(400) {
			t.Errorf("first row %v", row)
		}
		if cols := out["columns"].([]any); len(cols) != 3 || cols[2] != "sum(bytes)" {
			t.Errorf("columns %v", cols)
		}
	})
	t.Run("tenant isolation", func(t *testing.T) {
		code, out := e.do(t, "POST", "/api/v1/search", analyst, `{"query":"acme-secret OR host.name:acme-secret",`+rng+`}`)
		if code != 200 || out["total"] != float64(0) {
			t.Errorf("default tenant sees acme: %d %v", code, out)
		}
		code, out = e.do(t, "POST", "/api/v1/search", e.tokens["acme/analyst"], `{"query":"| stats count()",`+rng+`}`)
		if code != 200 || out["items"].([]any)[0].(map[string]any)["count"] != float64(1) {
			t.Errorf("acme count: %d %v", code, out)
		}
	})
	t.Run("relative time", func(t *testing.T) {
		code, out := e.do(t, "POST", "/api/v1/search", analyst, `{"query":"user:alice","from":"-24h"}`)
		if code != 200 || out["total"] != float64(0) {
			t.Errorf("events of March are not in the last 24 hours: %d %v", code, out)
		}
	})
	errorsCases := []struct{ body, want string }{
		{`{"query":"user: alice"}`, "column 6"},
		{`{"query":"| stats median(x)"}`, "column 9"},
		{`{"query":"a","from":"yesterday"}`, "from:"},
		{`{"query":"a","from":"-1h","to":"-2h"}`, "must be before"},
		{`{"query":"a","limit":100000}`, "limit must be"},
		{`{"query":"a","bogus":1}`, "unknown field"},
	}
	for _, c := range errorsCases {
		code, out := e.do(t, "POST", "/api/v1/search", analyst, c.body)
		if msg, _ := out["error"].(string); code != 400 || !strings.Contains(msg, c.want) {
			t.Errorf("%s: %d %v, want 400 mentioning %q", c.body, code, out, c.want)
		}
	}
	if code, out := e.do(t, "POST", "/api/v1/search", analyst, `{"query":"user: alice"}`); out["column"] != float64(6) {
		t.Errorf("column = %v (%d)", out["column"], code)
	}
	if code, _ := e.do(t, "POST", "/api/v1/search", e.tokens["default/ingest"], `{"query":"a"}`); code != 403 {
		t.Errorf("ingest token may search: %d", code)
	}
}

func TestSearchExport(t *testing.T) {
	e := newEnv(t)
	body := `{"@timestamp":"2026-03-10T01:00:00Z","host":"ws-01","user":"=cmd|' /C calc'!A0"}` + "\n" +
		`{"@timestamp":"2026-03-10T02:00:00Z","host":"ws-02","user":"bob"}`
	if code, out := e.do(t, "POST", "/api/v1/events", e.tokens["default/ingest"], body); code != 202 {
		t.Fatalf("ingest: %d %v", code, out)
	}
	get := func(q url.Values) (int, http.Header, string) {
		req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/search/export?"+q.Encode(), nil)
		req.Header.Set("Authorization", "Bearer "+e.tokens["default/analyst"])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b)
	}
	rng := url.Values{"from": {"2026-03-10T00:00:00Z"}, "to": {"2026-03-11T00:00:00Z"}}
	q := url.Values{"query": {"| stats count() by host.name"}, "from": rng["from"], "to": rng["to"]}
	code, h, text := get(q)
	if code != 200 || text != "host.name,count\nws-01,1\nws-02,1\n" || !strings.Contains(h.Get("Content-Disposition"), ".csv") {
		t.Errorf("stats CSV: %d %q %v", code, text, h)
	}
	q = url.Values{"query": {"host.name:ws-01"}, "from": rng["from"], "to": rng["to"]}
	code, _, text = get(q)
	if code != 200 || !strings.Contains(text, "'=cmd|") {
		t.Errorf("events CSV must defuse formulas: %d %q", code, text)
	}
	q.Set("format", "json")
	if code, h, text = get(q); code != 200 || !strings.HasPrefix(text, "[{") || h.Get("X-Total-Count") != "1" {
		t.Errorf("JSON export: %d %q", code, text)
	}
	q.Set("format", "xml")
	if code, _, _ = get(q); code != 400 {
		t.Errorf("format xml: %d", code)
	}
	recs, _, err := e.state.Scope(store.DefaultTenant).Audit().List(context.Background(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	exports := 0
	for _, r := range recs {
		if r.Action == "search.export" {
			exports++
		}
	}
	if exports != 3 {
		t.Errorf("%d exports audited, want 3", exports)
	}
}

func TestSearchPivot(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	first := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	stored, err := e.state.Scope(store.DefaultTenant).Alerts().Upsert(ctx, []store.Alert{{Tenant: store.DefaultTenant,
		Kind: store.KindDetection, RuleID: "r1", Severity: "high", Fingerprint: "f", Status: store.StatusNew, Count: 1,
		Entities: map[string]string{"host.name": "ws-01", "user.name": `o"brien`}, FirstSeen: first, LastSeen: first.Add(time.Hour)}}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	analyst := e.tokens["default/analyst"]
	code, out := e.do(t, "GET", "/api/v1/search/pivot?alert="+stored[0].ID, analyst, "")
	if code != 200 || out["query"] != `host.name:"ws-01" user.name:"o\"brien"` ||
		out["from"] != "2026-03-10T08:00:00Z" || out["to"] != "2026-03-10T11:00:00Z" {
		t.Errorf("alert pivot: %d %v", code, out)
	}
	code, out = e.do(t, "GET", "/api/v1/search/pivot?entity=source.ip=203.0.113.5&entity=host.name=ws-07", analyst, "")
	if code != 200 || out["query"] != `host.name:"ws-07" source.ip:"203.0.113.5"` {
		t.Errorf("entity pivot: %d %v", code, out)
	}
	if code, _ := e.do(t, "GET", "/api/v1/search/pivot?alert="+stored[0].ID, e.tokens["acme/analyst"], ""); code != 404 {
		t.Errorf("acme pivots on default's alert: %d", code)
	}
	for _, bad := range []string{"", "?entity=nohost", "?entity=a%20b=c"} {
		if code, _ := e.do(t, "GET", "/api/v1/search/pivot"+bad, analyst, ""); code != 400 {
			t.Errorf("%q: %d, want 400", bad, code)
		}
	}
}
