package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/store"
)

func TestHuntsAPI(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ts := time.Now().UTC().Add(-30 * time.Minute).Format(time.RFC3339)
	body := fmt.Sprintf(`{"@timestamp":%q,"host":"evil-host","event.dataset":"windows.security","user":"mallory"}`+"\n"+
		`{"@timestamp":%q,"host":"evil-host","event.dataset":"windows.security","user":"mallory"}`+"\n"+
		`{"@timestamp":%q,"host":"good-host","event.dataset":"windows.security","user":"alice"}`, ts, ts, ts)
	if code, out := e.do(t, "POST", "/api/v1/events", e.tokens["default/ingest"], body); code != 202 {
		t.Fatalf("ingest: %d %v", code, out)
	}
	analyst := e.tokens["default/analyst"]
	code, out := e.do(t, "POST", "/api/v1/hunts", analyst,
		`{"name":"evil host","query":"host.name:evil-host","interval_seconds":3600,"threshold":2,"severity":"high"}`)
	if code != 201 || out["interval_seconds"] != float64(3600) || out["enabled"] != true {
		t.Fatalf("create: %d %v", code, out)
	}
	id := out["id"].(string)
	for _, c := range []struct {
		token, body string
		code        int
		want        string
	}{
		{analyst, `{"name":"bad","query":"host.name: x"}`, 400, "column 11"},
		{analyst, `{"name":"bad","query":"| stats count() | where failed"}`, 400, "bare word"},
		{analyst, `{"name":"fast","query":"a","interval_seconds":10}`, 400, "at least 60"},
		{analyst, `{"name":"sev","query":"a","severity":"urgent"}`, 400, "severity"},
		{analyst, `{"name":"evil host","query":"a"}`, 409, "exists"},
		{e.tokens["default/ingest"], `{"name":"x","query":"a"}`, 403, "may not"},
	} {
		code, out := e.do(t, "POST", "/api/v1/hunts", c.token, c.body)
		if msg, _ := out["error"].(string); code != c.code || !strings.Contains(msg, c.want) {
			t.Errorf("%s: %d %v, want %d with %q", c.body, code, out, c.code, c.want)
		}
	}
	if code, out := e.do(t, "GET", "/api/v1/hunts", analyst, ""); code != 200 || out["total"] != float64(1) {
		t.Errorf("list: %d %v", code, out)
	}
	if code, _ := e.do(t, "GET", "/api/v1/hunts/"+id, e.tokens["acme/analyst"], ""); code != 404 {
		t.Errorf("acme reads default's hunt: %d", code)
	}

	code, out = e.do(t, "POST", "/api/v1/hunts/"+id+"/run", analyst, "")
	if code != 200 || out["total"] != float64(2) || out["alert_id"] == nil {
		t.Fatalf("run: %d %v", code, out)
	}
	a, err := e.state.Scope(store.DefaultTenant).Alerts().Get(ctx, out["alert_id"].(string))
	if err != nil || a.RuleID != "hunt:"+id || a.Severity != "high" || len(a.EventIDs) != 2 {
		t.Errorf("alert %+v %v", a, err)
	}
	code, out = e.do(t, "GET", "/api/v1/hunts/"+id, analyst, "")
	if code != 200 || out["last_total"] != float64(2) || out["last_alerts"] != float64(1) {
		t.Errorf("run record: %v", out)
	}
	code, out = e.do(t, "PUT", "/api/v1/hunts/"+id, analyst, `{"name":"evil host","query":"host.name:evil-host","enabled":false}`)
	if code != 200 || out["enabled"] != false || out["last_total"] != float64(2) {
		t.Errorf("update: %d %v", code, out)
	}

	// Retro-hunt with a Sigma rule: progress lines, then the result.
	rule := "title: evil host\\nid: 0b4c3f3e-1111-4222-8333-444455556666\\nstatus: test\\nlevel: critical\\n" +
		"logsource:\\n  product: windows\\n  service: security\\ndetection:\\n  sel:\\n    host.name: evil-host\\n  condition: sel\\n"
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/retro-hunts",
		strings.NewReader(`{"rule":"`+rule+`","from":"-2h"}`))
	req.Header.Set("Authorization", "Bearer "+analyst)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var lines []map[string]any
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		lines = append(lines, m)
	}
	if resp.StatusCode != 200 || len(lines) != 2 {
		t.Fatalf("retro-hunt: %d %v", resp.StatusCode, lines)
	}
	if p := lines[0]["progress"].(map[string]any); p["scanned"] != float64(3) || p["total"] != float64(3) {
		t.Errorf("progress %v", p)
	}
	res := lines[1]["result"].(map[string]any)
	if res["matches"] != float64(2) || len(res["alert_ids"].([]any)) != 1 {
		t.Errorf("result %v", res)
	}
	if code, out := e.do(t, "POST", "/api/v1/retro-hunts", analyst, `{"from":"-2h"}`); code != 400 || !strings.Contains(out["error"].(string), "no rules") {
		t.Errorf("no rules: %d %v", code, out)
	}
	if code, _ := e.do(t, "POST", "/api/v1/retro-hunts", analyst, `{"rule":"title: x","from":"-2h"}`); code != 400 {
		t.Errorf("broken rule: %d", code)
	}

	if code, _ := e.do(t, "DELETE", "/api/v1/hunts/"+id, e.tokens["acme/analyst"], ""); code != 404 {
		t.Errorf("acme deletes default's hunt: %d", code)
	}
	req, _ = http.NewRequest("DELETE", e.srv.URL+"/api/v1/hunts/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+analyst)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 204 {
		t.Errorf("delete: %v %v", resp, err)
	}
	recs, _, _ := e.state.Scope(store.DefaultTenant).Audit().List(ctx, store.AuditFilter{})
	seen := map[string]bool{}
	for _, r := range recs {
		seen[r.Action] = true
	}
	for _, a := range []string{"hunt.create", "hunt.update", "hunt.delete", "hunt.alert", "hunt.retro"} {
		if !seen[a] {
			t.Errorf("%s not audited", a)
		}
	}
}

// A retro-hunt's progress lines are flushed as they are written, through
// the router's status recorder, not held until the hunt ends.
func TestRetroHuntFlushesProgress(t *testing.T) {
	e := newEnv(t)
	ts := time.Now().UTC().Add(-30 * time.Minute).Format(time.RFC3339)
	if code, out := e.do(t, "POST", "/api/v1/events", e.tokens["default/ingest"],
		fmt.Sprintf(`{"@timestamp":%q,"host":"evil-host","event.dataset":"windows.security"}`, ts)); code != 202 {
		t.Fatalf("ingest: %d %v", code, out)
	}
	rule := "title: evil host\\nid: 0b4c3f3e-1111-4222-8333-444455556667\\nstatus: test\\nlevel: critical\\n" +
		"logsource:\\n  product: windows\\n  service: security\\ndetection:\\n  sel:\\n    host.name: evil-host\\n  condition: sel\\n"
	req := httptest.NewRequest("POST", "/api/v1/retro-hunts", strings.NewReader(`{"rule":"`+rule+`","from":"-2h","alerts":false}`))
	req.Header.Set("Authorization", "Bearer "+e.tokens["default/analyst"])
	rec := httptest.NewRecorder()
	e.srv.Config.Handler.ServeHTTP(rec, req)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"progress"`) {
		t.Fatalf("retro-hunt: %d %s", rec.Code, rec.Body)
	}
	if !rec.Flushed {
		t.Error("the progress lines were never flushed")
	}
}
