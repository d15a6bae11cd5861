package httpapi

import (
	"context"
	"strings"
	"testing"

	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/store"
)

func TestRetentionAPI(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	admin := roleToken(t, e, "acme", auth.RoleAdmin)
	lead := roleToken(t, e, "acme", auth.RoleLead)
	steps := []struct {
		name, method, path, token, body string
		want                            int
	}{
		{"policy must be coherent", "PUT", "/api/v1/retention", admin, `{"hot_days":30,"delete_after_days":10,"alert_days":30}`, 400},
		{"unknown field", "PUT", "/api/v1/retention", admin, `{"hot":30}`, 400},
		{"set policy", "PUT", "/api/v1/retention", admin, `{"hot_days":30,"delete_after_days":400,"alert_days":200}`, 200},
		{"read policy", "GET", "/api/v1/retention", lead, "", 200},
		{"hold without reason", "POST", "/api/v1/legal-holds", lead, `{"from":"-30d","to":"-1d"}`, 400},
		{"hold with reversed range", "POST", "/api/v1/legal-holds", lead, `{"reason":"x","from":"-1d","to":"-30d"}`, 400},
		{"hold", "POST", "/api/v1/legal-holds", lead, `{"reason":"case 7","case_id":"c7","from":"-30d","to":"-1d"}`, 201},
		{"run now", "POST", "/api/v1/retention/run", admin, "", 200},
		{"release unknown hold", "DELETE", "/api/v1/legal-holds/nope", lead, "", 404},
	}
	for _, s := range steps {
		if code, out := e.do(t, s.method, s.path, s.token, s.body); code != s.want {
			t.Errorf("%s: %d, want %d (%v)", s.name, code, s.want, out)
		}
	}
	p, _ := e.state.Scope("acme").Retention().Policy(ctx)
	if p.HotDays != 30 || p.DeleteAfterDays != 400 {
		t.Errorf("stored policy %+v", p)
	}
	holds, _ := e.state.Scope("acme").Retention().Holds(ctx)
	if len(holds) != 1 || holds[0].CreatedBy == "" {
		t.Fatalf("holds = %+v", holds)
	}
	if code, _ := e.do(t, "DELETE", "/api/v1/legal-holds/"+holds[0].ID, lead, ""); code != 200 {
		t.Errorf("release: %d", code)
	}
	recs, _, _ := e.state.Scope("acme").Audit().List(ctx, store.AuditFilter{})
	var actions []string
	for _, r := range recs {
		actions = append(actions, r.Action)
	}
	want := "retention.policy,legal_hold.add,legal_hold.release"
	if got := strings.Join(actions, ","); got != want {
		t.Errorf("audit = %s, want %s", got, want)
	}
}
