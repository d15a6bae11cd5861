package web

import (
	"context"
	"encoding/json"
	"regexp"
	"testing"

	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/store"
)

// The tenants page is the provider's admins' alone, as in the API; the
// channels page edits channels and routes without showing their secrets.
func TestTenantsAndChannelsPages(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.state.Tenants().Create(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	hash, _ := auth.HashPassword("purple-Tractor-42")
	f.state.Users().Create(ctx, store.User{Name: "alex", PasswordHash: hash, TimeZone: "UTC"})
	f.state.Users().Bind(ctx, store.RoleBinding{User: "alex", Tenant: "acme", Role: auth.RoleAdmin})
	n := f.state.Scope(store.DefaultTenant).Notifications()
	ch, err := n.CreateChannel(ctx, store.Channel{Name: "soc-hook", Kind: "webhook", Enabled: true,
		Config: json.RawMessage(`{"url":"https://hooks.example/abc","secret":"s3cr3t-key"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.CreateRoute(ctx, store.Route{Name: "night-critical", MinSeverity: "critical", Channels: []string{ch.ID},
		Hours: "18:00-08:00", Weekdays: []string{"mon", "fri"}, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	adam, ana, alex := f.session(t, "adam"), f.session(t, "ana"), f.session(t, "alex")

	getPage(t, adam, f.srv.URL, "/ui/admin/tenants", []string{`data-tenant="default"`, `data-tenant="acme"`,
		`data-path="/api/v1/tenants"`, `href="/ui/?tenant=acme"`}, nil)
	getPage(t, adam, f.srv.URL, "/ui/admin/", []string{`href="/ui/admin/tenants"`}, nil)
	if code, _, _ := get(t, ana, f.srv.URL+"/ui/admin/tenants"); code != 403 {
		t.Errorf("analyst on the tenants page: %d", code)
	}
	// An admin of another tenant holds tenants:manage but is not the
	// provider's: refused, and not offered the page.
	if code, _, _ := get(t, alex, f.srv.URL+"/ui/admin/tenants?tenant=acme"); code != 403 {
		t.Errorf("acme's admin on the tenants page: %d", code)
	}
	getPage(t, alex, f.srv.URL, "/ui/admin/?tenant=acme", []string{`href="/ui/admin/users"`}, []string{`href="/ui/admin/tenants"`})

	getPage(t, adam, f.srv.URL, "/ui/admin/notify", []string{
		`data-channel="soc-hook"`, `data-route="night-critical"`,
		`data-method="PUT" data-path="/api/v1/channels/` + ch.ID + `"`, `data-method="POST" data-path="/api/v1/channels"`,
		`data-method="POST" data-path="/api/v1/routes"`, `data-api-method="DELETE" data-api-path="/api/v1/channels/` + ch.ID + `"`,
		`&#34;secret&#34;: &#34;********&#34;`, `<option value="` + ch.ID + `" selected>soc-hook</option>`,
		`value="mon, fri"`, `<option selected>critical</option>`,
	}, []string{"s3cr3t-key", "hooks.example/abc"})
	if code, _, _ := get(t, ana, f.srv.URL+"/ui/admin/notify"); code != 403 {
		t.Errorf("analyst on the channels page: %d", code)
	}
	// Japanese.
	get(t, adam, f.srv.URL+"/ui/lang/ja?back=/ui/")
	getPage(t, adam, f.srv.URL, "/ui/admin/tenants", []string{"新しいテナント"}, nil)
	getPage(t, adam, f.srv.URL, "/ui/admin/notify", []string{"新しいルート", "編集"}, nil)
}

// Every form a page shows either only reads (GET) or is sent by the
// console script, whose api() adds the session's CSRF token; the page
// carries that token. A form of another kind would post without it.
func TestFormsCarryCSRF(t *testing.T) {
	f := newFixture(t)
	f.seed(t)
	adam := f.session(t, "adam")
	cs, _, _ := f.state.Scope(store.DefaultTenant).Cases().List(context.Background(), store.CaseFilter{Stage: -1})
	alerts, _, _ := f.state.Scope(store.DefaultTenant).Alerts().List(context.Background(), store.AlertFilter{})
	// The attributes app.js binds to api() calls.
	scripted := regexp.MustCompile(`method="get"|data-(api|evidence|advance|action|comment)-form|data-add-to-case|data-rule-test`)
	form := regexp.MustCompile(`<form[^>]*>`)
	for _, path := range []string{"/ui/", "/ui/alerts", "/ui/alerts/" + alerts[0].ID, "/ui/cases", "/ui/cases/" + cs[0].ID, "/ui/hunt",
		"/ui/intel", "/ui/admin/users", "/ui/admin/tenants", "/ui/admin/tokens", "/ui/admin/notify", "/ui/admin/retention", "/ui/admin/audit"} {
		body, ok := getPage(t, adam, f.srv.URL, path, []string{`<meta name="csrf-token" content="`}, nil)
		if !ok {
			continue
		}
		for _, tag := range form.FindAllString(body, -1) {
			if !scripted.MatchString(tag) {
				t.Errorf("%s: form %s neither reads nor is sent by the console script", path, tag)
			}
		}
	}
}
