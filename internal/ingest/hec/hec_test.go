package hec

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/ingest/ingesttest"
	"github.com/yagura-soc/yagura/internal/store"
)

func serve(t *testing.T, env *ingesttest.Env) *httptest.Server {
	t.Helper()
	return ingesttest.Serve(t, New(Config{HTTPDeps: env.HTTPDeps()}).Routes())
}

// Each answer is HEC's exact status, text and code, and only accepted
// requests store anything.
func TestResponses(t *testing.T) {
	env := ingesttest.New(t, ingesttest.Options{})
	srv := serve(t, env)
	ingest := env.Token(t, "acme", auth.RoleIngest)
	analyst := env.Token(t, "acme", auth.RoleAnalyst)
	gz := func(s string) string {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write([]byte(s))
		zw.Close()
		return b.String()
	}
	cases := []struct {
		name, path, auth, body, encoding string
		status                           int
		want                             string
		stored                           int
	}{
		{"one event", "/services/collector/event", "Splunk " + ingest, `{"event":"hello one","host":"web1"}`, "", 200, `{"text":"Success","code":0}`, 1},
		{"concatenated", "/services/collector", "Splunk " + ingest, `{"event":"a"}{"event":{"k":"v"},"fields":{"env":"prod"}}` + "\n" + `{"event":"c","time":1700000000.5}`, "", 200, `{"text":"Success","code":0}`, 3},
		{"gzip", "/services/collector/event/1.0", "Splunk " + ingest, gz(`{"event":"zipped"}`), "gzip", 200, `{"text":"Success","code":0}`, 1},
		{"raw lines", "/services/collector/raw?host=fw1", "Splunk " + ingest, "line one\r\nline two\n\n", "", 200, `{"text":"Success","code":0}`, 2},
		{"basic auth", "/services/collector/event", "Basic " + b64("x:"+ingest), `{"event":"basic"}`, "", 200, `{"text":"Success","code":0}`, 1},
		{"no token", "/services/collector/event", "", `{"event":"x"}`, "", 401, `{"text":"Token is required","code":2}`, 0},
		{"query token", "/services/collector/event?token=" + ingest, "", `{"event":"x"}`, "", 400, `{"text":"Query string authorization is not enabled","code":16}`, 0},
		{"bad scheme", "/services/collector/event", "Token " + ingest, `{"event":"x"}`, "", 401, `{"text":"Invalid authorization","code":3}`, 0},
		{"unknown token", "/services/collector/event", "Splunk ygr_nope", `{"event":"x"}`, "", 403, `{"text":"Invalid token","code":4}`, 0},
		{"analyst token", "/services/collector/event", "Splunk " + analyst, `{"event":"x"}`, "", 403, `{"text":"Invalid token","code":4}`, 0},
		{"no data", "/services/collector/event", "Splunk " + ingest, "  ", "", 400, `{"text":"No data","code":5}`, 0},
		{"raw no data", "/services/collector/raw", "Splunk " + ingest, "\n\n", "", 400, `{"text":"No data","code":5}`, 0},
		{"bad json", "/services/collector/event", "Splunk " + ingest, `{"event":"ok"}{"event":`, "", 400, `{"text":"Invalid data format","code":6,"invalid-event-number":1}`, 0},
		{"no event", "/services/collector/event", "Splunk " + ingest, `{"event":"ok"}{"host":"h"}`, "", 400, `{"text":"Event field is required","code":12,"invalid-event-number":1}`, 0},
		{"blank event", "/services/collector/event", "Splunk " + ingest, `{"event":""}`, "", 400, `{"text":"Event field cannot be blank","code":13,"invalid-event-number":0}`, 0},
		{"too large", "/services/collector/raw", "Splunk " + ingest, strings.Repeat("x", 2<<20), "", 413, `{"text":"Content length is too large","code":27}`, 0},
	}
	total := 0
	for _, c := range cases {
		req, _ := http.NewRequest("POST", srv.URL+c.path, strings.NewReader(c.body))
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		if c.encoding != "" {
			req.Header.Set("Content-Encoding", c.encoding)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status || strings.TrimSpace(string(body)) != c.want {
			t.Errorf("%s: %d %s, want %d %s", c.name, resp.StatusCode, body, c.status, c.want)
		}
		total += c.stored
		if got := env.Count(t, "acme"); got != total {
			t.Errorf("%s: acme holds %d events, want %d", c.name, got, total)
		}
	}
	if n := env.Count(t, store.DefaultTenant); n != 0 {
		t.Errorf("%d events landed in the default tenant; the token's tenant is acme", n)
	}
	// Envelope metadata is kept as ECS fields.
	var web1, prod bool
	for _, ev := range env.StoredEvents(t, "acme") {
		if h, _ := ev.GetString("host.name"); h == "web1" && ev.Raw == "hello one" {
			web1 = true
		}
		if e, _ := ev.GetString("labels.env"); e == "prod" && ev.Raw == `{"k":"v"}` {
			prod = true
		}
		if ev.Raw == "c" && !ev.Timestamp.Equal(time.Unix(1700000000, 500e6)) {
			t.Errorf("event time %v, want the envelope's 1700000000.5", ev.Timestamp)
		}
	}
	if !web1 || !prod {
		t.Errorf("envelope metadata lost: host.name kept %v, fields kept %v", web1, prod)
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// With a channel, a success carries an ackId, and polling it answers true:
// the answer came only once the events were durable.
func TestIndexerAcknowledgement(t *testing.T) {
	env := ingesttest.New(t, ingesttest.Options{})
	srv := serve(t, env)
	tok := "Splunk " + env.Token(t, "acme", auth.RoleIngest)
	post := func(path, channel, body string) (int, map[string]any) {
		req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", tok)
		if channel != "" {
			req.Header.Set("X-Splunk-Request-Channel", channel)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	const ch = "0aeeac95-ac74-4aa9-b30d-6c4c0ac581ba"
	code, out := post("/services/collector/event", ch, `{"event":"acked"}`)
	id, ok := out["ackId"].(float64)
	if code != 200 || !ok || id < 1 {
		t.Fatalf("event with a channel: %d %v, want an ackId", code, out)
	}
	if _, out := post("/services/collector/event", "", `{"event":"no channel"}`); out["ackId"] != nil {
		t.Errorf("ackId without a channel: %v", out)
	}
	code, out = post("/services/collector/ack", ch, fmt.Sprintf(`{"acks":[%d, 999999]}`, int(id)))
	acks, _ := out["acks"].(map[string]any)
	if code != 200 || acks[fmt.Sprint(int(id))] != true || acks["999999"] != false {
		t.Errorf("ack poll: %d %v", code, out)
	}
	if code, out := post("/services/collector/ack", "", `{"acks":[1]}`); code != 400 || out["code"] != float64(10) {
		t.Errorf("ack without a channel: %d %v", code, out)
	}
}

func TestHealth(t *testing.T) {
	env := ingesttest.New(t, ingesttest.Options{})
	srv := serve(t, env)
	resp, err := http.Get(srv.URL + "/services/collector/health")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != `{"text":"HEC is healthy","code":17}` {
		t.Errorf("health: %d %s", resp.StatusCode, body)
	}
}

// syslog-ng's http() destination posts a tailed file to the HEC event
// endpoint in batches; every line arrives exactly once in the token's
// tenant, with the host syslog-ng named.
func TestSyslogNGHTTPDestination(t *testing.T) {
	env := ingesttest.New(t, ingesttest.Options{})
	srv := serve(t, env)
	token := env.Token(t, "branch-c", auth.RoleIngest)
	dir := t.TempDir()
	lines := make([]string, 1000)
	for i := range lines {
		lines[i] = fmt.Sprintf("syslog-ng hec line %04d with \"quotes\" and \\ backslash", i)
	}
	if err := os.WriteFile(filepath.Join(dir, "in.log"), []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ingesttest.StartSyslogNG(t, fmt.Sprintf(`@version: 3.38
options { stats_freq(0); };
source s_in { file("%s/in.log" follow-freq(0.2) flags(no-parse)); };
destination d_hec {
  http(url("%s/services/collector/event")
       method("POST")
       headers("Authorization: Splunk %s", "Content-Type: application/json")
       body("$(format-json event=$MESSAGE host=syslog-ng-test)")
       body-suffix("\n")
       batch-lines(100) batch-timeout(200));
};
log { source(s_in); destination(d_hec); };
`, dir, srv.URL, token))
	ingesttest.WaitFor(t, "1000 events from syslog-ng", func() bool { return env.Count(t, "branch-c") >= len(lines) })
	seen := map[string]int{}
	for _, ev := range env.StoredEvents(t, "branch-c") {
		seen[ev.Raw]++
		if h, _ := ev.GetString("host.name"); h != "syslog-ng-test" {
			t.Fatalf("event %q has host.name %q", ev.Raw, h)
		}
	}
	for _, l := range lines {
		if seen[l] != 1 {
			t.Errorf("%q arrived %d times", l, seen[l])
		}
	}
	if len(seen) != len(lines) {
		t.Errorf("%d distinct events stored, %d lines sent", len(seen), len(lines))
	}
}
