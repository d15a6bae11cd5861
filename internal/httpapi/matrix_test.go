package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/store"
)

var pathParam = regexp.MustCompile(`\{[^}]+\}`)

// request sends one request and returns the status; the body is drained.
func request(t *testing.T, client *http.Client, method, url, token string, header map[string]string, body string) int {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v (a handler must never break the connection)", method, url, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// Every protected route × every role: a role without the route's
// permission gets 403, a role with it never gets 401/403, and no
// credentials get 401. New routes are covered as soon as they are added.
func TestAuthorizationMatrix(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tokens := map[string]string{}
	for _, role := range auth.Roles {
		secret, _, err := auth.CreateToken(ctx, e.state.Tokens(), store.DefaultTenant, role, "matrix", 0, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		tokens[role] = secret
	}
	client := &http.Client{Timeout: 20 * time.Second}
	for _, rt := range routes() {
		if rt.perm == "" || rt.pattern == "/api/v1/auth/login" {
			continue
		}
		path := pathParam.ReplaceAllString(rt.pattern, "does-not-exist")
		if code := request(t, client, rt.method, e.srv.URL+path, "", nil, "{}"); code != http.StatusUnauthorized {
			t.Errorf("%s %s without credentials: %d, want 401", rt.method, rt.pattern, code)
		}
		for _, role := range auth.Roles {
			code := request(t, client, rt.method, e.srv.URL+path, tokens[role], nil, "{}")
			allowed := auth.Allowed(role, rt.perm)
			switch {
			case allowed && (code == http.StatusUnauthorized || code == http.StatusForbidden):
				t.Errorf("%s %s as %s: %d, but the role holds %s", rt.method, rt.pattern, role, code, rt.perm)
			case !allowed && code != http.StatusForbidden:
				t.Errorf("%s %s as %s: %d, want 403 (role lacks %s)", rt.method, rt.pattern, role, code, rt.perm)
			}
		}
	}
}

// Another tenant's objects answer 404, never their data.
func TestCrossTenantAccessIs404(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	client := &http.Client{Timeout: 20 * time.Second}
	acmeAdmin, acmeTok, _ := auth.CreateToken(ctx, e.state.Tokens(), "acme", auth.RoleAdmin, "", 0, time.Now())
	defAdmin := roleToken(t, e, store.DefaultTenant, auth.RoleAdmin)
	e.state.Users().Create(ctx, store.User{Name: "carol", PasswordHash: "x"})
	e.state.Users().Bind(ctx, store.RoleBinding{User: "carol", Tenant: "acme", Role: auth.RoleAnalyst})
	// An alert in acme.
	if code, _ := e.do(t, "POST", "/api/v1/events", e.tokens["acme/ingest"], `{"host":"evil"}`); code != 202 {
		t.Fatal("ingest failed")
	}
	_, out := e.do(t, "GET", "/api/v1/alerts", e.tokens["acme/analyst"], "")
	alertID := out["items"].([]any)[0].(map[string]any)["id"].(string)

	cases := []struct{ name, method, path, body string }{
		{"alert", "GET", "/api/v1/alerts/" + alertID, ""},
		{"revoke token", "DELETE", "/api/v1/tokens/" + acmeTok.ID, ""},
		{"change role", "PUT", "/api/v1/users/carol/role", `{"role":"admin"}`},
		{"remove user", "DELETE", "/api/v1/users/carol/role", ""},
	}
	for _, c := range cases {
		if code := request(t, client, c.method, e.srv.URL+c.path, defAdmin, nil, c.body); code != http.StatusNotFound {
			t.Errorf("%s from another tenant: %d, want 404", c.name, code)
		}
		if c.method == "GET" {
			if code := request(t, client, c.method, e.srv.URL+c.path, acmeAdmin, nil, c.body); code != http.StatusOK {
				t.Errorf("%s from its own tenant: %d, want 200", c.name, code)
			}
		}
	}
	// A token cannot switch tenants by header.
	if code := request(t, client, "GET", e.srv.URL+"/api/v1/alerts", defAdmin, map[string]string{tenantHeader: "acme"}, ""); code != http.StatusNotFound {
		t.Errorf("token naming another tenant: %d, want 404", code)
	}
	// Tenant management is for the provider tenant's admins only.
	if code := request(t, client, "POST", e.srv.URL+"/api/v1/tenants", acmeAdmin, nil, `{"name":"evil"}`); code != http.StatusForbidden {
		t.Errorf("customer admin creating a tenant: %d, want 403", code)
	}
	if code := request(t, client, "POST", e.srv.URL+"/api/v1/tenants", defAdmin, nil, `{"name":"globex"}`); code != http.StatusCreated {
		t.Errorf("provider admin creating a tenant: %d, want 201", code)
	}
}

// A browser session: login sets an HttpOnly cookie, state changes need
// the CSRF token, tenants without a binding are invisible, logout ends it.
func TestSessionFlow(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	hash, _ := auth.HashPassword("purple-Tractor-42")
	e.state.Users().Create(ctx, store.User{Name: "dave", PasswordHash: hash})
	e.state.Users().Bind(ctx, store.RoleBinding{User: "dave", Tenant: store.DefaultTenant, Role: auth.RoleAdmin})
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 20 * time.Second}

	if code := request(t, client, "POST", e.srv.URL+"/api/v1/auth/login", "", nil, `{"user":"dave","password":"wrong"}`); code != 401 {
		t.Errorf("bad password: %d", code)
	}
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/auth/login", strings.NewReader(`{"user":"dave","password":"purple-Tractor-42"}`))
	resp, err := client.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("login: %v %v", resp.StatusCode, err)
	}
	var login loginResponse
	json.NewDecoder(resp.Body).Decode(&login)
	resp.Body.Close()
	cookie := resp.Header.Get("Set-Cookie")
	for _, want := range []string{sessionCookie + "=yse_", "HttpOnly", "SameSite=Strict"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("Set-Cookie %q lacks %q", cookie, want)
		}
	}
	if login.CSRFToken == "" || login.Tenant != store.DefaultTenant {
		t.Fatalf("login response %+v", login)
	}
	csrf := map[string]string{csrfHeader: login.CSRFToken}
	steps := []struct {
		name, method, path string
		header             map[string]string
		body               string
		want               int
	}{
		{"read with the cookie", "GET", "/api/v1/auth/me", nil, "", 200},
		{"change without CSRF", "POST", "/api/v1/tokens", nil, `{"role":"ingest"}`, 403},
		{"change with a wrong CSRF", "POST", "/api/v1/tokens", map[string]string{csrfHeader: "nope"}, `{"role":"ingest"}`, 403},
		{"change with CSRF", "POST", "/api/v1/tokens", csrf, `{"role":"ingest"}`, 201},
		{"unbound tenant", "GET", "/api/v1/alerts", map[string]string{tenantHeader: "acme"}, "", 404},
		{"logout", "POST", "/api/v1/auth/logout", csrf, "", 200},
		{"after logout", "GET", "/api/v1/auth/me", nil, "", 401},
	}
	for _, s := range steps {
		if code := request(t, client, s.method, e.srv.URL+s.path, "", s.header, s.body); code != s.want {
			t.Errorf("%s: %d, want %d", s.name, code, s.want)
		}
	}
	// Logins, failures and the token creation are in the audit trail.
	recs, _, _ := e.state.Scope(store.DefaultTenant).Audit().List(ctx, store.AuditFilter{})
	var actions []string
	for _, r := range recs {
		actions = append(actions, r.Action)
	}
	if got := strings.Join(actions, ","); got != "login.failed,login,token.create,logout" {
		t.Errorf("audit actions = %s", got)
	}
}
