package httpapi

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/agent/wire"
	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/store"
)

// post sends body with a bearer secret and decodes the JSON answer.
func post(t *testing.T, e *env, path, secret string, body []byte, gz bool) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", e.srv.URL+path, bytes.NewReader(body))
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	if gz {
		req.Header.Set("Content-Encoding", "gzip")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s: not JSON: %q", path, raw)
	}
	return resp.StatusCode, out
}

func batchBody(t *testing.T, seq uint64, lines ...string) []byte {
	t.Helper()
	b := wire.NewBuilder()
	for _, l := range lines {
		b.Add("/var/log/app.log", "", []byte(l))
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := b.Encode(zw, seq); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	return buf.Bytes()
}

func TestEnrollmentTokens(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	now := time.Now()
	good, _, _ := auth.CreateToken(ctx, e.state.Tokens(), store.DefaultTenant, auth.RoleEnroll, "", 0, now)
	expired, _, _ := auth.CreateToken(ctx, e.state.Tokens(), store.DefaultTenant, auth.RoleEnroll, "", time.Millisecond, now.Add(-time.Hour))
	revoked, revokedTok, _ := auth.CreateToken(ctx, e.state.Tokens(), store.DefaultTenant, auth.RoleEnroll, "", 0, now)
	if err := e.state.Tokens().Revoke(ctx, store.DefaultTenant, revokedTok.ID); err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"hostname":"web-1","os":"linux","arch":"amd64","version":"test"}`)
	cases := []struct {
		name, token string
		code        int
		want        string
	}{
		{"no token", "", 401, "enrollment needs"},
		{"unknown", "ygr_nope", 401, "unknown"},
		{"revoked", revoked, 401, "was revoked"},
		{"expired", expired, 401, "expired at"},
		{"wrong role", e.tokens["default/analyst"], 403, "may not enroll"},
		{"good", good, 201, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out := post(t, e, wire.PathEnroll, c.token, body, false)
			if code != c.code {
				t.Fatalf("code %d, want %d: %v", code, c.code, out)
			}
			if c.want != "" && !strings.Contains(out["error"].(string), c.want) {
				t.Errorf("error %q, want it to say %q", out["error"], c.want)
			}
			if c.code == 201 && !strings.HasPrefix(out["secret"].(string), wire.SecretPrefix) {
				t.Errorf("no agent secret in %v", out)
			}
		})
	}
}

// enroll returns an agent secret of the default tenant.
func enroll(t *testing.T, e *env, host string) string {
	t.Helper()
	tok := roleToken(t, e, store.DefaultTenant, auth.RoleEnroll)
	code, out := post(t, e, wire.PathEnroll, tok, []byte(`{"hostname":"`+host+`"}`), false)
	if code != 201 {
		t.Fatalf("enroll: %d %v", code, out)
	}
	return out["secret"].(string)
}

func TestAgentBatchIsStoredOnce(t *testing.T) {
	e := newEnv(t)
	secret := enroll(t, e, "web-1")
	analyst := e.tokens["default/analyst"]
	steps := []struct {
		name      string
		seq       uint64
		lines     []string
		duplicate bool
	}{
		{"first", 1, []string{`{"n":1}`, `{"n":2}`}, false},
		{"retry of first", 1, []string{`{"n":1}`, `{"n":2}`}, true},
		{"next", 2, []string{`{"n":3}`}, false},
		{"old one again", 1, []string{`{"n":1}`}, true},
	}
	for _, s := range steps {
		code, out := post(t, e, wire.PathBatch, secret, batchBody(t, s.seq, s.lines...), true)
		if code != 200 {
			t.Fatalf("%s: %d %v", s.name, code, out)
		}
		if dup, _ := out["duplicate"].(bool); dup != s.duplicate {
			t.Errorf("%s: duplicate=%v, want %v", s.name, dup, s.duplicate)
		}
	}
	_, out := e.do(t, "GET", "/api/v1/events?q=agent.id:*&limit=100", analyst, "")
	if got := int(out["total"].(float64)); got != 3 {
		t.Errorf("%d events stored, want 3 (each line once): %v", got, out)
	}
	// A wrong secret is refused; a garbled body is refused with a reason.
	if code, _ := post(t, e, wire.PathBatch, "yga_wrong", batchBody(t, 3, "x"), true); code != 401 {
		t.Errorf("wrong agent secret: %d, want 401", code)
	}
	if code, out := post(t, e, wire.PathBatch, secret, []byte("garbage"), false); code != 400 || !strings.Contains(out["error"].(string), "magic") {
		t.Errorf("garbage batch: %d %v, want 400 naming the problem", code, out)
	}
	// An API token is not an agent secret.
	if code, _ := post(t, e, wire.PathBatch, e.tokens["default/ingest"], batchBody(t, 3, "x"), true); code != 401 {
		t.Errorf("API token on the agent endpoint: %d, want 401", code)
	}
}

// After a crash between storing and recording a batch, the retry stores
// only the chunks the event store does not hold yet.
func TestAgentBatchRetryAfterCrashStoresMissingChunks(t *testing.T) {
	e := newEnv(t)
	tok := roleToken(t, e, store.DefaultTenant, auth.RoleEnroll)
	code, out := post(t, e, wire.PathEnroll, tok, []byte(`{"hostname":"web-2"}`), false)
	if code != 201 {
		t.Fatal(out)
	}
	id, secret := out["agent_id"].(string), out["secret"].(string)
	// The crashed attempt of batch 7: begun, its first chunk stored.
	if err := e.state.Scope(store.DefaultTenant).Agents().BeginBatch(context.Background(), id, 7); err != nil {
		t.Fatal(err)
	}
	if code, out := e.do(t, "POST", "/api/v1/events", e.tokens["default/ingest"], `{"labels.agent_batch":"`+id+`/7/0","first":"chunk"}`); code != 202 {
		t.Fatalf("seeding the first chunk: %d %v", code, out)
	}
	lines := make([]string, agentChunk+500)
	for i := range lines {
		lines[i] = fmt.Sprintf(`{"n":%d}`, i)
	}
	code, out = post(t, e, wire.PathBatch, secret, batchBody(t, 7, lines...), true)
	if code != 200 {
		t.Fatalf("retry: %d %v", code, out)
	}
	_, got := e.do(t, "GET", "/api/v1/events?q=agent.id:"+id+"&limit=1", e.tokens["default/analyst"], "")
	if n := int(got["total"].(float64)); n != 500 {
		t.Errorf("%d events stored by the retry, want 500 (the second chunk only)", n)
	}
	// Now recorded: the next retry is a duplicate.
	if _, out := post(t, e, wire.PathBatch, secret, batchBody(t, 7, lines...), true); out["duplicate"] != true {
		t.Errorf("second retry: %v, want duplicate", out)
	}
}

func TestAgentHeartbeatListAndConfig(t *testing.T) {
	e := newEnv(t)
	secret := enroll(t, e, "db-1")
	code, out := post(t, e, wire.PathHeartbeat, secret, []byte(`{"version":"1.2.3","uptime_seconds":5,"events_per_second":12.5,"buffer_batches":2,"buffer_full":true}`), false)
	if code != 200 {
		t.Fatalf("heartbeat: %d %v", code, out)
	}
	if v := out["config"].(map[string]any)["version"].(float64); v != 0 {
		t.Errorf("config version %v before any config, want 0", v)
	}
	_, list := e.do(t, "GET", "/api/v1/agents", e.tokens["default/analyst"], "")
	items := list["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("agents: %v", list)
	}
	a := items[0].(map[string]any)
	if a["hostname"] != "db-1" || a["status"] != "healthy" || a["last_seen"] == nil || a["id"] == "" {
		t.Errorf("agent row: %v", a)
	}
	if hb := a["heartbeat"].(map[string]any); hb["version"] != "1.2.3" || hb["events_per_second"].(float64) != 12.5 {
		t.Errorf("heartbeat facts: %v", hb)
	}
	// buffer_full raised an alert.
	_, alerts := e.do(t, "GET", "/api/v1/alerts", e.tokens["default/analyst"], "")
	if !strings.Contains(mustJSON(alerts), "yagura-agent-buffer-full") {
		t.Errorf("no buffer-full alert: %v", alerts)
	}
	// Another tenant does not see it.
	acme := roleToken(t, e, "acme", auth.RoleAdmin)
	if _, l := e.do(t, "GET", "/api/v1/agents", acme, ""); l["total"].(float64) != 0 {
		t.Errorf("acme sees default's agents: %v", l)
	}

	// Central configuration: a lead sets it, the next heartbeat carries it.
	lead := roleToken(t, e, store.DefaultTenant, auth.RoleLead)
	bad := []string{`{"files":[{"glob":""}]}`, `{"files":[{"glob":"/x/*.log","multiline":"("}]}`, `{"files":[{"glob":"/x/[.log"}]}`,
		`{"eventlog":["Security",""]}`, `{"eventlog":["Sec*"]}`}
	for _, b := range bad {
		if code, _ := e.do(t, "PUT", "/api/v1/agents/config", lead, b); code != 400 {
			t.Errorf("config %s: %d, want 400", b, code)
		}
	}
	if code, out := e.do(t, "PUT", "/api/v1/agents/config", lead, `{"files":[{"glob":"/var/log/*.log","multiline":"^\\d{4}-"}],"journald":true,"eventlog":["Security","Microsoft-Windows-Sysmon/Operational"]}`); code != 200 || out["version"].(float64) != 1 {
		t.Fatalf("set config: %d %v", code, out)
	}
	_, out = post(t, e, wire.PathHeartbeat, secret, []byte(`{"version":"1.2.3"}`), false)
	cfg := out["config"].(map[string]any)
	if cfg["version"].(float64) != 1 || cfg["journald"] != true || len(cfg["files"].([]any)) != 1 ||
		mustJSON(cfg["eventlog"]) != `["Security","Microsoft-Windows-Sysmon/Operational"]` {
		t.Errorf("heartbeat answer config: %v", cfg)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// A responder queues a command; the agent's heartbeat brings it signed by
// the key the agent got at enrollment; the agent's report is recorded and
// audited.
func TestAgentCommandRoundTrip(t *testing.T) {
	e := newEnv(t)
	tok := roleToken(t, e, store.DefaultTenant, auth.RoleEnroll)
	code, out := post(t, e, wire.PathEnroll, tok, []byte(`{"hostname":"pc-7"}`), false)
	if code != 201 {
		t.Fatal(out)
	}
	id, secret := out["agent_id"].(string), out["secret"].(string)
	var enrolled wire.EnrollResponse
	json.Unmarshal([]byte(mustJSON(out)), &enrolled)
	responder := roleToken(t, e, store.DefaultTenant, auth.RoleResponder)
	auditor := roleToken(t, e, store.DefaultTenant, auth.RoleAuditor)

	bad := []string{`{"action":"format-disk"}`, `{"action":"block-ip","targets":["not-an-ip"],"ttl_seconds":60}`, `{"action":"block-ip","targets":["192.0.2.1"]}`}
	for _, b := range bad {
		if code, _ := e.do(t, "POST", "/api/v1/agents/"+id+"/commands", responder, b); code != 400 {
			t.Errorf("command %s: %d, want 400", b, code)
		}
	}
	if code, _ := e.do(t, "POST", "/api/v1/agents/nope/commands", responder, `{"action":"isolate"}`); code != 404 {
		t.Errorf("unknown agent: %d, want 404", code)
	}
	code, queued := e.do(t, "POST", "/api/v1/agents/"+id+"/commands", responder, `{"action":"block-ip","targets":["192.0.2.7","198.51.100.0/24"],"ttl_seconds":600}`)
	if code != 202 {
		t.Fatalf("queue: %d %v", code, queued)
	}
	// Decoded as the agent does: the signed bytes must arrive untouched.
	req, _ := http.NewRequest("POST", e.srv.URL+wire.PathHeartbeat, strings.NewReader(`{"version":"t"}`))
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var hb wire.HeartbeatResponse
	err = json.NewDecoder(resp.Body).Decode(&hb)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("heartbeat: %d %v", resp.StatusCode, err)
	}
	if len(hb.Commands) != 1 {
		t.Fatalf("heartbeat carries %d commands, want 1", len(hb.Commands))
	}
	cmd, err := wire.Verify(enrolled.CommandKey, hb.Commands[0], id, time.Now())
	if err != nil {
		t.Fatalf("the agent would refuse the command: %v", err)
	}
	if cmd.Action != wire.ActionBlockIP || fmt.Sprint(cmd.Targets) != "[192.0.2.7 198.51.100.0/24]" || cmd.TTLSeconds != 600 {
		t.Errorf("command: %+v", cmd)
	}
	// The agent reports; the command is done and no longer sent.
	report := fmt.Sprintf(`{"version":"t","results":[{"id":%q,"ok":false,"error":"nft: permission denied"}]}`, cmd.ID)
	if code, out = post(t, e, wire.PathHeartbeat, secret, []byte(report), false); code != 200 || out["commands"] != nil {
		t.Fatalf("heartbeat with the result: %d %v", code, out)
	}
	_, list := e.do(t, "GET", "/api/v1/agents/"+id+"/commands", e.tokens["default/analyst"], "")
	item := list["items"].([]any)[0].(map[string]any)
	if item["done_at"] == nil || item["ok"] != false || item["error"] != "nft: permission denied" {
		t.Errorf("command after the report: %v", item)
	}
	_, audit := e.do(t, "GET", "/api/v1/audit", auditor, "")
	for _, action := range []string{"agent.enroll", "agent.command", "agent.command.result"} {
		if !strings.Contains(mustJSON(audit), `"action":"`+action+`"`) {
			t.Errorf("audit log lacks %s", action)
		}
	}
}
