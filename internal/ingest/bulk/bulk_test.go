package bulk

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/ingest/ingesttest"
)

func serve(t *testing.T, env *ingesttest.Env) *httptest.Server {
	t.Helper()
	return ingesttest.Serve(t, New(Config{HTTPDeps: env.HTTPDeps()}).Routes())
}

func do(t *testing.T, method, url, authz, body string) (int, http.Header, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func basic(token string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte("filebeat:"+token))
}

// The per-item results follow Elasticsearch: one entry per action, in
// order, keyed by the action's verb, 201 for stored documents, an error
// for update and delete, and "errors" true when any item failed.
func TestBulkItems(t *testing.T) {
	env := ingesttest.New(t, ingesttest.Options{})
	srv := serve(t, env)
	tok := env.Token(t, "acme", auth.RoleIngest)
	body := `{"create":{"_index":"filebeat-8"}}
{"@timestamp":"2026-01-01T00:00:00Z","message":"one","host":{"name":"h1"}}
{"index":{"_id":"given"}}
{"message":"two"}

{"update":{"_index":"x","_id":"1"}}
{"doc":{"a":1}}
{"delete":{"_index":"x","_id":"2"}}
{"index":{}}
this is not json
`
	status, hdr, b := do(t, "POST", srv.URL+"/logs-app/_bulk", basic(tok), body)
	if status != 200 || hdr.Get("X-Elastic-Product") != "Elasticsearch" {
		t.Fatalf("bulk: %d %s", status, b)
	}
	var resp struct {
		Errors bool                        `json:"errors"`
		Items  []map[string]map[string]any `json:"items"`
	}
	if err := json.Unmarshal(b, &resp); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		verb, index string
		status      float64
	}{
		{"create", "filebeat-8", 201}, {"index", "logs-app", 201}, {"update", "x", 400}, {"delete", "x", 400}, {"index", "logs-app", 201},
	}
	if !resp.Errors || len(resp.Items) != len(want) {
		t.Fatalf("errors=%v items=%d: %s", resp.Errors, len(resp.Items), b)
	}
	for i, w := range want {
		r, ok := resp.Items[i][w.verb]
		if !ok || r["_index"] != w.index || r["status"] != w.status || r["_id"] == "" {
			t.Errorf("item %d = %v, want %s on %s with %v", i, resp.Items[i], w.verb, w.index, w.status)
		}
	}
	if resp.Items[1]["index"]["_id"] != "given" || resp.Items[0]["create"]["result"] != "created" {
		t.Errorf("ids/results: %s", b)
	}
	if n := env.Count(t, "acme"); n != 3 {
		t.Fatalf("stored %d documents, want 3 (the non-JSON one kept raw)", n)
	}
	for _, ev := range env.StoredEvents(t, "acme") {
		if ev.Raw == "this is not json" && ev.ParseError == "" {
			t.Error("the non-JSON document was stored without a parse error")
		}
	}
}

// Whole-request errors and authentication use Elasticsearch's error body.
func TestBulkRequestErrors(t *testing.T) {
	env := ingesttest.New(t, ingesttest.Options{})
	srv := serve(t, env)
	tok := env.Token(t, "acme", auth.RoleIngest)
	analyst := env.Token(t, "acme", auth.RoleAnalyst)
	apiKey := "ApiKey " + base64.StdEncoding.EncodeToString([]byte("id1:"+tok))
	cases := []struct {
		name, authz, body string
		status            int
		errType           string
	}{
		{"no credentials", "", `{"index":{}}` + "\n{}\n", 401, "security_exception"},
		{"bad token", basic("ygr_wrong"), `{"index":{}}` + "\n{}\n", 401, "security_exception"},
		{"analyst token", basic(analyst), `{"index":{}}` + "\n{}\n", 403, "security_exception"},
		{"malformed action", apiKey, "[1,2]\n{}\n", 400, "illegal_argument_exception"},
		{"unknown verb", apiKey, `{"upsert":{}}` + "\n{}\n", 400, "illegal_argument_exception"},
		{"document missing", apiKey, `{"index":{}}` + "\n", 400, "illegal_argument_exception"},
		{"empty", "Bearer " + tok, "\n\n", 400, "action_request_validation_exception"},
	}
	for _, c := range cases {
		status, _, b := do(t, "POST", srv.URL+"/_bulk", c.authz, c.body)
		var e esError
		json.Unmarshal(b, &e)
		if status != c.status || e.Status != c.status || e.Error.Type != c.errType || len(e.Error.RootCause) != 1 {
			t.Errorf("%s: %d %s, want %d %s", c.name, status, b, c.status, c.errType)
		}
	}
	if n := env.Count(t, "acme"); n != 0 {
		t.Errorf("rejected requests stored %d events", n)
	}
}

// The start-up probes of Beats, Logstash and Vector get answers that let
// them proceed: a version, an active license, existing templates.
func TestStartupProbes(t *testing.T) {
	env := ingesttest.New(t, ingesttest.Options{})
	srv := serve(t, env)
	authz := basic(env.Token(t, "acme", auth.RoleIngest))
	cases := []struct {
		method, path string
		check        func(m map[string]any) bool
	}{
		{"GET", "/", func(m map[string]any) bool {
			v, _ := m["version"].(map[string]any)
			return v["number"] == DefaultVersion && m["tagline"] == "You Know, for Search"
		}},
		{"GET", "/_license", func(m map[string]any) bool {
			l, _ := m["license"].(map[string]any)
			return l["status"] == "active"
		}},
		{"GET", "/_xpack", func(m map[string]any) bool { return m["license"] != nil && m["features"] != nil }},
		{"GET", "/_cluster/health", func(m map[string]any) bool { return m["status"] == "green" }},
		{"GET", "/_index_template/filebeat-8.17.0", func(m map[string]any) bool { return m["index_templates"] != nil }},
		{"GET", "/_template/logstash", func(m map[string]any) bool { return m["logstash"] != nil }},
		{"GET", "/_ilm/policy/filebeat", func(m map[string]any) bool { return m["filebeat"] != nil }},
		{"PUT", "/_index_template/filebeat-8.17.0", func(m map[string]any) bool { return m["acknowledged"] == true }},
		{"PUT", "/_ilm/policy/filebeat", func(m map[string]any) bool { return m["acknowledged"] == true }},
		{"HEAD", "/", nil},
		{"HEAD", "/_index_template/filebeat-8.17.0", nil},
	}
	for _, c := range cases {
		status, hdr, b := do(t, c.method, srv.URL+c.path, authz, "{}")
		if status != 200 || hdr.Get("X-Elastic-Product") != "Elasticsearch" {
			t.Errorf("%s %s: %d %s", c.method, c.path, status, b)
			continue
		}
		if c.check == nil {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil || !c.check(m) {
			t.Errorf("%s %s: unexpected body %s", c.method, c.path, b)
		}
	}
	if status, _, _ := do(t, "GET", srv.URL+"/", "", ""); status != 401 {
		t.Errorf("GET / without credentials: %d, want 401", status)
	}
}
