package httpapi

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/store"
)

// lostAudit is a state store whose audit trail refuses every record.
type lostAudit struct{ store.State }

func (s lostAudit) Scope(tenant string) store.Scoped { return lostAuditScope{s.State.Scope(tenant)} }

type lostAuditScope struct{ store.Scoped }

func (s lostAuditScope) Audit() store.Audit { return failingAudit{s.Scoped.Audit()} }

type failingAudit struct{ store.Audit }

func (failingAudit) Append(context.Context, store.AuditRecord) (store.AuditRecord, error) {
	return store.AuditRecord{}, errors.New("disk full")
}

// A change whose audit record is lost answers 500, never 2xx: the caller
// must not believe the trail is complete.
func TestChangesAnswer500WhenTheAuditRecordIsLost(t *testing.T) {
	ctx := context.Background()
	e := newEnvWith(t, envOptions{deps: func(d *Deps) { d.State = lostAudit{d.State} }})
	st := e.state
	admin := roleToken(t, e, store.DefaultTenant, auth.RoleAdmin)
	_, victim, err := auth.CreateToken(ctx, st.Tokens(), store.DefaultTenant, auth.RoleIngest, "", 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Users().Create(ctx, store.User{Name: "carol", PasswordHash: "x"}); err != nil {
		t.Fatal(err)
	}
	if err := st.Users().Bind(ctx, store.RoleBinding{User: "carol", Tenant: store.DefaultTenant, Role: auth.RoleAnalyst}); err != nil {
		t.Fatal(err)
	}
	h, err := st.Scope(store.DefaultTenant).Retention().AddHold(ctx, store.LegalHold{Reason: "x", From: time.Now().Add(-time.Hour), To: time.Now(), CreatedBy: "t"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, method, path, body string }{
		{"bind user", "POST", "/api/v1/users", `{"name":"carol","role":"lead"}`},
		{"change role", "PUT", "/api/v1/users/carol/role", `{"role":"auditor"}`},
		{"remove role", "DELETE", "/api/v1/users/carol/role", ""},
		{"create tenant", "POST", "/api/v1/tenants", `{"name":"globex"}`},
		{"create token", "POST", "/api/v1/tokens", `{"role":"ingest"}`},
		{"revoke token", "DELETE", "/api/v1/tokens/" + victim.ID, ""},
		{"set retention", "PUT", "/api/v1/retention", `{"hot_days":30,"delete_after_days":400,"alert_days":200}`},
		{"add hold", "POST", "/api/v1/legal-holds", `{"reason":"case 7","from":"-30d","to":"-1d"}`},
		{"release hold", "DELETE", "/api/v1/legal-holds/" + h.ID, ""},
	} {
		if code, out := e.do(t, c.method, c.path, admin, c.body); code != 500 {
			t.Errorf("%s with the audit trail down: %d %v, want 500", c.name, code, out)
		}
	}
}
