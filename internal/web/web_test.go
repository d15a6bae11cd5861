package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/casework"
	"github.com/yagura-soc/yagura/internal/incident"
	"github.com/yagura-soc/yagura/internal/store"
	"github.com/yagura-soc/yagura/internal/store/embeddedtest"
	"github.com/yagura-soc/yagura/internal/store/fsblob"
	"github.com/yagura-soc/yagura/internal/store/sqlite"
)

// Both languages have every message.
func TestCatalogsMatch(t *testing.T) {
	keys := func(m map[string]string) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	en, ja := keys(messages["en"]), keys(messages["ja"])
	if strings.Join(en, ",") != strings.Join(ja, ",") {
		t.Errorf("catalogs differ:\nen %v\nja %v", en, ja)
	}
	// Every key a template asks for exists.
	used := regexp.MustCompile(`\.T "([a-z_]+)"`)
	names, _ := templateFiles.ReadDir("templates")
	for _, n := range names {
		body, _ := templateFiles.ReadFile("templates/" + n.Name())
		for _, m := range used.FindAllStringSubmatch(string(body), -1) {
			if _, ok := messages["en"][m[1]]; !ok {
				t.Errorf("%s uses unknown message %q", n.Name(), m[1])
			}
		}
	}
}

type fixture struct {
	srv    *httptest.Server
	state  *sqlite.Store
	cases  *casework.Service
	events store.EventStore
}

func newFixture(t *testing.T) fixture { return newFixtureWith(t, nil) }

// newFixtureWith lets a test change the console's dependencies.
func newFixtureWith(t *testing.T, change func(*Deps)) fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	evs, st := embeddedtest.Open(t)
	pbs, _ := incident.LoadPlaybooks(nil)
	desk := &casework.Service{State: st, Events: evs, Blobs: fsblob.New(filepath.Join(dir, "ev")), Playbooks: pbs}
	logins := auth.NewLogins(st.Users(), st.Sessions())
	deps := Deps{State: st, Events: evs, Cases: desk, Logins: logins, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if change != nil {
		change(&deps)
	}
	console, err := New(deps)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(console)
	t.Cleanup(srv.Close)
	for user, role := range map[string]string{"ana": auth.RoleAnalyst, "ingo": auth.RoleAuditor, "adam": auth.RoleAdmin} {
		hash, _ := auth.HashPassword("purple-Tractor-42")
		st.Users().Create(ctx, store.User{Name: user, PasswordHash: hash, TimeZone: "Asia/Tokyo"})
		st.Users().Bind(ctx, store.RoleBinding{User: user, Tenant: store.DefaultTenant, Role: role})
	}
	at := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	al, _ := st.Scope(store.DefaultTenant).Alerts().Upsert(ctx, []store.Alert{{RuleID: "r1", RuleTitle: "Encoded PowerShell", Severity: "high",
		Fingerprint: "f", Count: 3, Entities: map[string]string{"host.name": "ws-01"}, FirstSeen: at, LastSeen: at}}, time.Hour)
	if _, err := desk.Open(ctx, store.DefaultTenant, casework.Actor{Name: "ana", Role: "analyst"}, casework.OpenRequest{Title: "Phish on ws-01", AlertIDs: []string{al[0].ID}}); err != nil {
		t.Fatal(err)
	}
	return fixture{srv, st, desk, evs}
}

// session logs a user in with a real session cookie.
func (f fixture) session(t *testing.T, user string) *http.Client {
	t.Helper()
	logins := auth.NewLogins(f.state.Users(), f.state.Sessions())
	res, err := logins.Login(context.Background(), user, "purple-Tractor-42", "", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	u, _ := http.NewRequest("GET", f.srv.URL, nil)
	jar.SetCookies(u.URL, []*http.Cookie{{Name: "yagura_session", Value: res.Secret, Path: "/"}})
	return &http.Client{Jar: jar, Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func get(t *testing.T, c *http.Client, url string) (int, string, http.Header) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header
}

// getPage reads a page and checks it answers 200, contains every string of
// want and none of not; ok is false (and the body not checked) on another
// status.
func getPage(t *testing.T, c *http.Client, base, path string, want, not []string) (body string, ok bool) {
	t.Helper()
	code, body, _ := get(t, c, base+path)
	if code != 200 {
		t.Errorf("%s: %d", path, code)
		return body, false
	}
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("%s: no %q", path, w)
		}
	}
	for _, w := range not {
		if strings.Contains(body, w) {
			t.Errorf("%s: has %q", path, w)
		}
	}
	return body, true
}

func TestPages(t *testing.T) {
	f := newFixture(t)
	c := f.session(t, "ana")
	cs, _, _ := f.state.Scope(store.DefaultTenant).Cases().List(context.Background(), store.CaseFilter{Stage: -1})
	alerts, _, _ := f.state.Scope(store.DefaultTenant).Alerts().List(context.Background(), store.AlertFilter{})
	pages := []struct{ path, want string }{
		{"/ui/", "Open alerts by severity"},
		{"/ui/alerts?status=", "Encoded PowerShell"},
		{"/ui/alerts/" + alerts[0].ID, "host.name=ws-01"},
		{"/ui/cases", "Phish on ws-01"},
		{"/ui/cases?view=list", "Phish on ws-01"},
		{"/ui/cases/" + cs[0].ID, "Required evidence"},
		{"/ui/hunt", "Query"},
		{"/ui/hunt?q=host.name:ws-01&from=-30d", "Results"},
		{"/ui/hunt?q=host.name:(", "column"},
	}
	for _, p := range pages {
		code, body, h := get(t, c, f.srv.URL+p.path)
		if code != 200 || !strings.Contains(body, p.want) {
			t.Errorf("%s: %d, want 200 with %q", p.path, code, p.want)
		}
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("%s: CSP %q", p.path, csp)
		}
		if strings.Contains(body, "<script>") {
			t.Errorf("%s: inline script", p.path)
		}
	}
	// Times in the user's zone (Asia/Tokyo).
	if _, body, _ := get(t, c, f.srv.URL+"/ui/alerts?status="); !strings.Contains(body, "2026-11-02 09:00:00 JST") {
		t.Error("alert times are not in the user's time zone")
	}
	// Japanese.
	code, _, h := get(t, c, f.srv.URL+"/ui/lang/ja?back=/ui/cases")
	if code != http.StatusSeeOther || h.Get("Location") != "/ui/cases" {
		t.Fatalf("language switch: %d %s", code, h.Get("Location"))
	}
	if _, body, _ := get(t, c, f.srv.URL+"/ui/cases"); !strings.Contains(body, "ケース") || !strings.Contains(body, "検知") {
		t.Error("Japanese page not translated")
	}
	if code, _, h := get(t, c, f.srv.URL+"/ui/lang/ja?back=//evil.example"); h.Get("Location") != "/ui/" {
		t.Errorf("open redirect through back=: %d %s", code, h.Get("Location"))
	}
	// Not logged in: to the login page, keeping where they wanted to go.
	anon := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if code, _, h := get(t, anon, f.srv.URL+"/ui/cases"); code != http.StatusSeeOther || h.Get("Location") != "/ui/login?next=%2Fui%2Fcases" {
		t.Errorf("anonymous: %d %s", code, h.Get("Location"))
	}
	if code, body, _ := get(t, anon, f.srv.URL+"/ui/login"); code != 200 || !strings.Contains(body, `autocomplete="current-password"`) {
		t.Errorf("login page: %d", code)
	}
	for next, want := range map[string]string{"/ui/cases": `data-next="/ui/cases"`, "//evil.example": `data-next="/ui/"`, "https://evil.example/ui/": `data-next="/ui/"`} {
		if _, body, _ := get(t, anon, f.srv.URL+"/ui/login?next="+url.QueryEscape(next)); !strings.Contains(body, want) {
			t.Errorf("login page with next=%s: no %s", next, want)
		}
	}
	// An auditor may read alerts but the hunt page needs events:read — which auditors have; and another tenant is 404.
	if code, _, _ := get(t, f.session(t, "ingo"), f.srv.URL+"/ui/alerts"); code != 200 {
		t.Errorf("auditor reading alerts: %d", code)
	}
	if code, _, _ := get(t, c, f.srv.URL+"/ui/alerts?tenant=acme"); code != 404 {
		t.Errorf("unbound tenant: %d", code)
	}
}

// A playbook without Japanese names shows its English ones in a Japanese
// console, not blanks.
func TestStageNamesFallBackToEnglish(t *testing.T) {
	f := newFixtureWith(t, func(d *Deps) {
		p := d.Cases.Playbooks[incident.DefaultPlaybook]
		p.Stages = slices.Clone(p.Stages)
		for i := range p.Stages {
			p.Stages[i].NameJA = ""
			p.Stages[i].Evidence = slices.Clone(p.Stages[i].Evidence)
			for j := range p.Stages[i].Evidence {
				p.Stages[i].Evidence[j].NameJA = ""
			}
		}
		d.Cases.Playbooks[incident.DefaultPlaybook] = p
	})
	c := f.session(t, "ana")
	get(t, c, f.srv.URL+"/ui/lang/ja?back=/ui/cases")
	cs, _, _ := f.state.Scope(store.DefaultTenant).Cases().List(context.Background(), store.CaseFilter{Stage: -1})
	for path, want := range map[string][]string{
		"/ui/cases":             {"1. Detect</h2>"},
		"/ui/cases?view=list":   {"<td>Detect</td>"},
		"/ui/":                  {"Detect"},
		"/ui/cases/" + cs[0].ID: {`class="current">Detect</li>`, "<li>Alert content <code>alert_content</code>"},
	} {
		getPage(t, c, f.srv.URL, path, want, nil)
	}
}
