package httpapi

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/bundle"
)

// The default playbook end to end through the API: an event raises an
// alert, a case is opened from it, every stage refuses to close without its
// evidence and closes with it, a response action runs after approval, and
// the report and the evidence bundle come out verified.
func TestCaseEndToEndThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	token := map[string]string{}
	for _, role := range []string{auth.RoleMonitor, auth.RoleAnalyst, auth.RoleLead, auth.RoleResponder, auth.RoleCSIRT} {
		secret := roleToken(t, e, "acme", role)
		token[role] = secret
	}
	if code, _ := e.do(t, "POST", "/api/v1/events", e.tokens["acme/ingest"], `{"host":"evil"}`); code != 202 {
		t.Fatal("ingest failed")
	}
	_, out := e.do(t, "GET", "/api/v1/alerts", token["monitor"], "")
	alertID := out["items"].([]any)[0].(map[string]any)["id"].(string)

	code, out := e.do(t, "POST", "/api/v1/cases", token["monitor"], `{"title":"Evil host","alert_ids":["`+alertID+`"]}`)
	if code != 201 || out["id"] == nil {
		t.Fatalf("open case: %d %v", code, out)
	}
	id := out["id"].(string)
	if code, _ := e.do(t, "POST", "/api/v1/cases", token["monitor"], `{"title":"x","alert_ids":["nope"]}`); code != 400 {
		t.Errorf("case from an unknown alert: %d", code)
	}
	upload := func(role, key string) {
		t.Helper()
		req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/cases/"+id+"/evidence?name="+key+".txt&requirement="+key, strings.NewReader("evidence for "+key))
		req.Header.Set("Authorization", "Bearer "+token[role])
		req.Header.Set("Content-Type", "text/plain")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 201 {
			t.Fatalf("upload %s: %v %v", key, resp.StatusCode, err)
		}
		resp.Body.Close()
	}
	stages := []struct {
		owner string
		keys  []string
	}{
		{"monitor", []string{"detection_time"}}, // alert content is attached when the case opens
		{"analyst", []string{"log_data", "analysis_result"}},
		{"lead", []string{"rationale", "impact_assessment"}},
		{"responder", nil}, // actions taken come from the action below
		{"lead", []string{"report_document", "contact_record"}},
		{"analyst", []string{"response_record", "improvement_proposals"}},
	}
	for i, st := range stages {
		if code, out := e.do(t, "POST", "/api/v1/cases/"+id+"/advance", token[st.owner], ""); code != 409 {
			t.Fatalf("stage %d without evidence: %d %v", i, code, out)
		}
		if st.owner == "responder" {
			code, out := e.do(t, "POST", "/api/v1/cases/"+id+"/actions", token["responder"], `{"type":"block","target":"203.0.113.9","connector":"firewall"}`)
			if code != 201 || out["status"] != "pending_approval" {
				t.Fatalf("request action: %d %v", code, out)
			}
			aid := out["id"].(string)
			if code, _ := e.do(t, "POST", "/api/v1/cases/"+id+"/actions/"+aid+"/approve", token["responder"], ""); code != 403 {
				t.Errorf("responder approving: %d", code)
			}
			if code, out := e.do(t, "POST", "/api/v1/cases/"+id+"/actions/"+aid+"/approve", token["lead"], ""); code != 200 || out["status"] != "done" {
				t.Fatalf("approve: %d %v", code, out)
			}
		}
		for _, k := range st.keys {
			upload(st.owner, k)
		}
		if code, _ := e.do(t, "POST", "/api/v1/cases/"+id+"/advance", token["auditor-less"], ""); code != 401 {
			t.Fatalf("advance without a token: %d", code)
		}
		if code, out := e.do(t, "POST", "/api/v1/cases/"+id+"/advance", token[st.owner], ""); code != 200 {
			t.Fatalf("stage %d by %s: %d %v", i, st.owner, code, out)
		}
	}
	code, out = e.do(t, "GET", "/api/v1/cases/"+id, token["lead"], "")
	if code != 200 || out["status"] != "closed" {
		t.Fatalf("final case: %d %v", code, out["status"])
	}
	for _, lang := range []string{"en", "ja"} {
		req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/cases/"+id+"/report?lang="+lang+"&tz=Asia/Tokyo", nil)
		req.Header.Set("Authorization", "Bearer "+token["lead"])
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("report %s: %v", lang, err)
		}
		html, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(html), "203.0.113.9") || !strings.Contains(string(html), "JST") {
			t.Errorf("%s report lacks the action or the time zone", lang)
		}
	}
	req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/cases/"+id+"/bundle", nil)
	req.Header.Set("Authorization", "Bearer "+token["lead"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("bundle: %v %v", resp.StatusCode, err)
	}
	zipped, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	res, err := bundle.Verify(bytes.NewReader(zipped), int64(len(zipped)))
	if err != nil || len(res.Problems) != 0 || res.ManifestSHA256 != resp.Header.Get("X-Manifest-SHA256") || res.Files < 12 {
		t.Fatalf("bundle verify: %+v, %v", res, err)
	}
	// Another tenant cannot see the case.
	if code, _ := e.do(t, "GET", "/api/v1/cases/"+id, e.tokens["default/analyst"], ""); code != 404 {
		t.Errorf("cross-tenant case: %d", code)
	}
}
