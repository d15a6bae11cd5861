package httpapi

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/yagura-soc/yagura/internal/auth"
)

// Import, list, update and delete assets; a bad file imports nothing and
// names its lines; another tenant never sees them.
func TestAssetsAPI(t *testing.T) {
	e := newEnv(t)
	lead := roleToken(t, e, "acme", auth.RoleLead)
	send := func(method, path, ctype, token, body string) (int, map[string]any) {
		req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", ctype)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		raw, _ := io.ReadAll(resp.Body)
		json.Unmarshal(raw, &out)
		return resp.StatusCode, out
	}
	csv := "kind,name,criticality,owner,tags,networks\nhost,DC01,5,it,dc,10.1.0.10\nuser,alice,3,,,\n"
	if code, out := send("POST", "/api/v1/assets/import", "text/csv", lead, csv); code != 200 || out["imported"] != float64(2) {
		t.Fatalf("import: %d %v", code, out)
	}
	code, out := send("POST", "/api/v1/assets/import", "application/yaml", lead, "- {kind: host, name: ok, criticality: 1}\n- {kind: host, name: bad, criticality: 9}\n")
	if code != 400 || !strings.Contains(jsonText(out), `"line":2`) {
		t.Errorf("bad YAML: %d %v", code, out)
	}
	if code, _ := send("POST", "/api/v1/assets/import", "text/plain", lead, csv); code != 415 {
		t.Errorf("text/plain import: %d, want 415", code)
	}
	analyst := e.tokens["acme/analyst"]
	code, out = send("GET", "/api/v1/assets", "", analyst, "")
	if code != 200 || out["total"] != float64(2) {
		t.Fatalf("list: %d %v (the bad YAML file must import nothing)", code, out)
	}
	if code, _ := send("POST", "/api/v1/assets", "application/json", analyst, `{"kind":"host","name":"x","criticality":1}`); code != 403 {
		t.Errorf("analyst write: %d, want 403", code)
	}
	code, created := send("POST", "/api/v1/assets", "application/json", lead, `{"kind":"host","name":"web1","criticality":2,"networks":["10.2.0.0/16"]}`)
	if code != 201 {
		t.Fatalf("create: %d %v", code, created)
	}
	id, _ := created["id"].(string)
	if code, out := send("PUT", "/api/v1/assets/"+id, "application/json", lead, `{"kind":"host","name":"web1","criticality":4}`); code != 200 || out["criticality"] != float64(4) {
		t.Errorf("update: %d %v", code, out)
	}
	if code, _ := send("GET", "/api/v1/assets/"+id, "", e.tokens["default/analyst"], ""); code != 404 {
		t.Errorf("another tenant reads acme's asset: %d, want 404", code)
	}
	if code, out := send("GET", "/api/v1/assets", "", e.tokens["default/analyst"], ""); code != 200 || out["total"] != float64(0) {
		t.Errorf("another tenant lists %v", out)
	}
	if code, _ := send("DELETE", "/api/v1/assets/"+id, "", lead, ""); code != 204 {
		t.Errorf("delete: %d", code)
	}
	if code, _ := send("GET", "/api/v1/assets/"+id, "", analyst, ""); code != 404 {
		t.Errorf("after delete: %d, want 404", code)
	}
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
