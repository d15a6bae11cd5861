package httpapi

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/detect/live"
	"github.com/yagura-soc/yagura/internal/normalize"
	"github.com/yagura-soc/yagura/internal/store"
)

const (
	sshRuleID  = "6d1f7a52-3b9e-4c0a-8f27-1e5b9c4d2a11"
	newRuleID  = "6d1f7a52-3b9e-4c0a-8f27-1e5b9c4d2a12"
	corrRuleID = "6d1f7a52-3b9e-4c0a-8f27-1e5b9c4d2a13"
)

// sshRule fires on Linux auth events of root or mallory.
func sshRule(id, title string) string {
	return "title: " + title + "\nid: " + id + "\nlevel: high\ntags: [attack.t1110]\n" +
		"logsource: {product: linux, service: auth}\n" +
		"detection:\n  sel:\n    user.name: [root, mallory]\n  condition: sel\n"
}

// rulesEnv is an API whose pipeline runs the live detector over one rule
// folder plus the built-in pack, with the real normalizer.
type rulesEnv struct {
	*env
	dir   string
	rules *live.Detector
}

func newRulesEnv(t *testing.T) *rulesEnv {
	t.Helper()
	ruleDir := filepath.Join(t.TempDir(), "rules")
	os.Mkdir(ruleDir, 0o700)
	writeRule(t, filepath.Join(ruleDir, "ssh.yml"), sshRule(sshRuleID, "SSH login of a watched account"))
	d, _, err := live.New(live.Config{Builtin: true, RuleDirs: []string{ruleDir}})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvWith(t, envOptions{normalize: normalize.Event, detector: d,
		roles: []string{auth.RoleIngest, auth.RoleMonitor, auth.RoleAnalyst, auth.RoleLead},
		deps:  func(deps *Deps) { deps.MaxBodyBytes, deps.Rules = 1<<20, d }})
	if err := d.UseState(context.Background(), e.state); err != nil {
		t.Fatal(err)
	}
	return &rulesEnv{env: e, dir: ruleDir, rules: d}
}

func writeRule(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// ruleItem finds a rule in a GET /rules answer.
func ruleItem(out map[string]any, id string) map[string]any {
	items, _ := out["items"].([]any)
	for _, it := range items {
		if m, _ := it.(map[string]any); m["id"] == id {
			return m
		}
	}
	return nil
}

// Disabling a rule is per tenant: the other tenant's list, alerts and
// hit counts are unchanged.
func TestRulesEnableDisablePerTenant(t *testing.T) {
	e := newRulesEnv(t)
	const ssh = `{"event.dataset":"linux.auth","user.name":"mallory","host.name":"web1"}`
	steps := []struct {
		name   string
		method string
		path   string
		token  string
		body   string
		code   int
		check  func(out map[string]any) string // "" when fine
	}{
		{"list as monitor", "GET", "/api/v1/rules", "default/monitor", "", 200, func(out map[string]any) string {
			r := ruleItem(out, sshRuleID)
			if r == nil || r["source"] != "file" || r["enabled"] != true || r["level"] != "high" {
				return "file rule missing or wrong"
			}
			if ls, _ := r["logsource"].(map[string]any); ls["product"] != "linux" || ls["service"] != "auth" {
				return "logsource wrong"
			}
			for _, it := range out["items"].([]any) {
				if it.(map[string]any)["source"] == "builtin" {
					return ""
				}
			}
			return "no built-in rule listed"
		}},
		{"one rule with its YAML", "GET", "/api/v1/rules/" + sshRuleID, "default/monitor", "", 200, func(out map[string]any) string {
			if y, _ := out["yaml"].(string); !strings.Contains(y, "user.name: [root, mallory]") || out["file_changed"] != false {
				return "yaml missing"
			}
			return ""
		}},
		{"unknown rule", "GET", "/api/v1/rules/nope", "default/monitor", "", 404, nil},
		{"analyst may not disable", "PUT", "/api/v1/rules/" + sshRuleID + "/enabled", "acme/analyst", `{"enabled":false}`, 403, nil},
		{"body without enabled", "PUT", "/api/v1/rules/" + sshRuleID + "/enabled", "acme/lead", `{}`, 400, nil},
		{"unknown rule cannot be disabled", "PUT", "/api/v1/rules/nope/enabled", "acme/lead", `{"enabled":false}`, 404, nil},
		{"acme lead disables", "PUT", "/api/v1/rules/" + sshRuleID + "/enabled", "acme/lead", `{"enabled":false}`, 200, func(out map[string]any) string {
			if out["enabled"] != false {
				return "still enabled"
			}
			return ""
		}},
		{"acme sees it disabled", "GET", "/api/v1/rules/" + sshRuleID, "acme/monitor", "", 200, func(out map[string]any) string {
			if out["enabled"] != false {
				return "enabled in acme"
			}
			return ""
		}},
		{"default still has it enabled", "GET", "/api/v1/rules/" + sshRuleID, "default/monitor", "", 200, func(out map[string]any) string {
			if out["enabled"] != true {
				return "disabled in default"
			}
			return ""
		}},
		{"ingest in default", "POST", "/api/v1/events", "default/ingest", ssh, 202, nil},
		{"ingest in acme", "POST", "/api/v1/events", "acme/ingest", ssh, 202, nil},
		{"default counts the alert", "GET", "/api/v1/rules", "default/monitor", "", 200, func(out map[string]any) string {
			if h, _ := ruleItem(out, sshRuleID)["hits"].(map[string]any); h["alerts"] != float64(1) || h["last"] == nil {
				return "no hit in default"
			}
			return ""
		}},
		{"acme has no alert", "GET", "/api/v1/rules", "acme/monitor", "", 200, func(out map[string]any) string {
			if h, _ := ruleItem(out, sshRuleID)["hits"].(map[string]any); h["alerts"] != float64(0) {
				return "the disabled rule raised an alert in acme"
			}
			return ""
		}},
		{"acme lead enables again", "PUT", "/api/v1/rules/" + sshRuleID + "/enabled", "acme/lead", `{"enabled":true}`, 200, nil},
		{"acme ingests again", "POST", "/api/v1/events", "acme/ingest", ssh, 202, nil},
		{"acme now has the alert", "GET", "/api/v1/rules", "acme/monitor", "", 200, func(out map[string]any) string {
			if h, _ := ruleItem(out, sshRuleID)["hits"].(map[string]any); h["alerts"] != float64(1) {
				return "no alert after enabling"
			}
			return ""
		}},
	}
	for _, s := range steps {
		code, out := e.do(t, s.method, s.path, e.tokens[s.token], s.body)
		if code != s.code {
			t.Fatalf("%s: %d %v, want %d", s.name, code, out, s.code)
		}
		if s.check != nil {
			if msg := s.check(out); msg != "" {
				t.Errorf("%s: %s: %v", s.name, msg, out)
			}
		}
	}
	// A built-in rule shows the file it came from in the binary.
	for _, r := range e.rules.Rules() {
		if r.Source != live.SourceBuiltin {
			continue
		}
		code, out := e.do(t, "GET", "/api/v1/rules/"+r.ID, e.tokens["default/monitor"], "")
		if y, _ := out["yaml"].(string); code != 200 || out["source"] != "builtin" || !strings.Contains(y, r.ID) {
			t.Errorf("built-in rule %s: %d %v", r.ID, code, out)
		}
		break
	}
	recs, _, _ := e.state.Scope("acme").Audit().List(context.Background(), store.AuditFilter{})
	var actions []string
	for _, r := range recs {
		actions = append(actions, r.Action+" "+r.Object)
	}
	if got := strings.Join(actions, ","); got != "rule.disable "+sshRuleID+",rule.enable "+sshRuleID {
		t.Errorf("acme audit = %s", got)
	}
}

// A reload that breaks a rule answers 422 and keeps the running rules; a
// fixed folder reloads with the new rule.
func TestRulesReloadAPI(t *testing.T) {
	e := newRulesEnv(t)
	steps := []struct {
		name    string
		token   string
		change  func()
		code    int
		applied bool
		listed  map[string]bool // rule id → listed after the step
	}{
		{"analyst may not reload", "default/analyst", func() {}, 403, false, map[string]bool{sshRuleID: true}},
		{"a customer tenant's lead may not reload", "acme/lead", func() {}, 403, false, map[string]bool{sshRuleID: true}},
		{"broken file is refused", "default/lead", func() {
			writeRule(t, filepath.Join(e.dir, "ssh.yml"), strings.Replace(sshRule(sshRuleID, "x"), "user.name:", "user.name|sparkle:", 1))
			writeRule(t, filepath.Join(e.dir, "new.yml"), sshRule(newRuleID, "New rule"))
		}, 422, false, map[string]bool{sshRuleID: true, newRuleID: false}},
		{"fixed folder is applied", "default/lead", func() {
			writeRule(t, filepath.Join(e.dir, "ssh.yml"), sshRule(sshRuleID, "SSH login of a watched account"))
		}, 200, true, map[string]bool{sshRuleID: true, newRuleID: true}},
	}
	for _, s := range steps {
		s.change()
		code, out := e.do(t, "POST", "/api/v1/rules/reload", e.tokens[s.token], "")
		if code != s.code {
			t.Fatalf("%s: %d %v, want %d", s.name, code, out, s.code)
		}
		if code != 403 && out["applied"] != s.applied {
			t.Errorf("%s: applied = %v", s.name, out["applied"])
		}
		if code == 422 {
			rej, _ := out["rejected"].([]any)
			if msg, _ := out["error"].(string); len(rej) != 1 || !strings.Contains(msg, "sparkle") {
				t.Errorf("%s: the refusal does not name the problem: %v", s.name, out)
			}
		}
		_, list := e.do(t, "GET", "/api/v1/rules", e.tokens["default/monitor"], "")
		for id, want := range s.listed {
			if got := ruleItem(list, id) != nil; got != want {
				t.Errorf("%s: rule %s listed = %v, want %v", s.name, id, got, want)
			}
		}
	}
	recs, _, _ := e.state.Scope(store.DefaultTenant).Audit().List(context.Background(), store.AuditFilter{Action: "rules.reload"})
	if len(recs) != 2 {
		t.Errorf("%d reloads audited, want 2", len(recs))
	}
}

// POST /rules/test runs a draft rule against events in the body (JSON
// lines and raw lines) or the tenant's stored events, and names what is
// wrong with a rule that does not compile.
func TestRuleTestAPI(t *testing.T) {
	e := newRulesEnv(t)
	// Stored events: two matching in default, one in acme.
	for tenant, body := range map[string]string{
		store.DefaultTenant: `{"event.dataset":"linux.auth","user.name":"root"}` + "\n" + `{"event.dataset":"linux.auth","user.name":"mallory"}` + "\n" + `{"event.dataset":"linux.auth","user.name":"alice"}`,
		"acme":              `{"event.dataset":"linux.auth","user.name":"root"}`,
	} {
		if code, out := e.do(t, "POST", "/api/v1/events", e.tokens[tenant+"/ingest"], body); code != 202 {
			t.Fatalf("ingest: %d %v", code, out)
		}
	}
	rule, _ := json.Marshal(sshRule(newRuleID, "Draft"))
	const syslog = "<38>Nov 23 08:00:00 web1 sshd[123]: Failed password for root from 10.0.0.5 port 22 ssh2"
	syslogLine, _ := json.Marshal(syslog)
	jsonLine := `{"event":{"dataset":"linux.auth"},"user":{"name":"mallory"},"host":{"name":"h1"}}`
	lines, _ := json.Marshal(syslog + "\n" + `{"event.dataset":"linux.auth","user.name":"alice"}` + "\n")
	corr, _ := json.Marshal(sshRule(newRuleID, "Draft") + "---\ntitle: Two watched logins\nid: " + corrRuleID +
		"\nlevel: critical\ncorrelation:\n  type: event_count\n  rules: [" + newRuleID + "]\n  timespan: 1h\n  condition: {gte: 2}\n")
	unknownRef, _ := json.Marshal("title: Lonely\nid: " + corrRuleID + "\ncorrelation:\n  type: event_count\n  rules: [nowhere]\n  timespan: 1h\n  condition: {gte: 2}\n")
	badModifier, _ := json.Marshal(strings.Replace(sshRule(newRuleID, "Draft"), "user.name:", "user.name|sparkle:", 1))
	badCondition, _ := json.Marshal(strings.Replace(sshRule(newRuleID, "Draft"), "condition: sel", "condition: sel and", 1))
	unmapped, _ := json.Marshal(strings.Replace(sshRule(newRuleID, "Draft"), "product: linux, service: auth", "product: okta", 1))
	cases := []struct {
		name    string
		token   string
		body    string
		code    int
		matches int    // with code 200
		ids     string // rule ids of the matches, comma-separated
		inError string // with code 400
		inWarn  string
		events  int
	}{
		{"events: a JSON object and a raw line", "default/analyst",
			`{"rule":` + string(rule) + `,"events":[` + jsonLine + `,` + string(syslogLine) + `,{"event.dataset":"linux.auth","user.name":"alice"}]}`,
			200, 2, newRuleID + "," + newRuleID, "", "", 3},
		{"lines", "default/analyst", `{"rule":` + string(rule) + `,"lines":` + string(lines) + `}`, 200, 1, newRuleID, "", "", 2},
		{"stored range of the caller's tenant", "default/analyst", `{"rule":` + string(rule) + `,"from":"-1h"}`, 200, 2, newRuleID + "," + newRuleID, "", "", 3},
		{"stored range of another tenant", "acme/analyst", `{"rule":` + string(rule) + `,"from":"-1h","to":"now-0s"}`, 200, 1, newRuleID, "", "", 1},
		{"correlation in the draft", "default/lead", `{"rule":` + string(corr) + `,"from":"-1h"}`, 200, 3, newRuleID + "," + newRuleID + "," + corrRuleID, "", "", 3},
		{"unmapped logsource warns", "default/analyst", `{"rule":` + string(unmapped) + `,"lines":"x"}`, 200, 0, "", "", "okta/-/-", 1},
		{"unknown modifier", "default/analyst", `{"rule":` + string(badModifier) + `,"lines":"x"}`, 400, 0, "", "sparkle", "", 0},
		{"condition syntax", "default/analyst", `{"rule":` + string(badCondition) + `,"lines":"x"}`, 400, 0, "", "column", "", 0},
		{"invalid YAML", "default/analyst", `{"rule":"title: [unclosed","lines":"x"}`, 400, 0, "", "invalid YAML", "", 0},
		{"correlation without its rule", "default/analyst", `{"rule":` + string(unknownRef) + `,"lines":"x"}`, 400, 0, "", "nowhere", "", 0},
		{"no rule", "default/analyst", `{"lines":"x"}`, 400, 0, "", "rule", "", 0},
		{"no events", "default/analyst", `{"rule":` + string(rule) + `}`, 400, 0, "", "either events", "", 0},
		{"events and a range", "default/analyst", `{"rule":` + string(rule) + `,"lines":"x","from":"-1h"}`, 400, 0, "", "not both", "", 0},
		{"bad time", "default/analyst", `{"rule":` + string(rule) + `,"from":"yesterday"}`, 400, 0, "", "from", "", 0},
		{"monitor may not test", "default/monitor", `{"rule":` + string(rule) + `,"lines":"x"}`, 403, 0, "", "may not", "", 0},
	}
	for _, c := range cases {
		code, out := e.do(t, "POST", "/api/v1/rules/test", e.tokens[c.token], c.body)
		if code != c.code {
			t.Errorf("%s: %d %v, want %d", c.name, code, out, c.code)
			continue
		}
		if code != 200 {
			if msg, _ := out["error"].(string); !strings.Contains(msg, c.inError) {
				t.Errorf("%s: error %q does not mention %q", c.name, msg, c.inError)
			}
			continue
		}
		ms, _ := out["matches"].([]any)
		var ids []string
		for _, m := range ms {
			ids = append(ids, m.(map[string]any)["rule_id"].(string))
		}
		if len(ms) != c.matches || out["total"] != float64(c.matches) || strings.Join(ids, ",") != c.ids || out["events"] != float64(c.events) {
			t.Errorf("%s: %v, want %d matches %s over %d events", c.name, out, c.matches, c.ids, c.events)
		}
		warns, _ := json.Marshal(out["warnings"])
		if c.inWarn != "" && !strings.Contains(string(warns), c.inWarn) {
			t.Errorf("%s: warnings %s lack %q", c.name, warns, c.inWarn)
		}
		for _, m := range ms {
			if evs, _ := m.(map[string]any)["events"].([]any); len(evs) == 0 {
				t.Errorf("%s: a match without its events: %v", c.name, m)
			}
		}
	}
}
