// Package web is the analyst's console: server-rendered pages (html/template)
// under /ui/, assets embedded in the binary, no CDN and no build step. Pages
// read through the same tenant-scoped stores as the API and show only what
// the user's role may read; every change is sent by a small script to the
// REST API (with the session's CSRF token), so the console adds no second
// implementation of any rule. English and Japanese, times in the user's
// time zone.
package web

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/yagura-soc/yagura/internal/alert"
	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/casework"
	"github.com/yagura-soc/yagura/internal/config"
	"github.com/yagura-soc/yagura/internal/detect/live"
	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/notify"
	"github.com/yagura-soc/yagura/internal/notify/connectors"
	"github.com/yagura-soc/yagura/internal/store"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Deps are what the console reads from.
type Deps struct {
	State  store.State
	Events store.EventStore
	Cases  *casework.Service
	Logins *auth.Logins
	Log    *slog.Logger
	Now    func() time.Time
	// Rules is the running detector (rule list, YAML, per-tenant
	// enablement); nil hides the rules pages.
	Rules *live.Detector
	// Reporting is what the compliance view checks against.
	Reporting config.Reporting
	// EntityRisk decays entity scores as the alert stage does; zero means
	// the default.
	EntityRisk alert.EntityRiskConfig
	// Stopping is closed when the server shuts down; live streams end then,
	// so they do not hold up a graceful shutdown.
	Stopping <-chan struct{}
	// StreamEvery is how often the live alert stream polls the store
	// (default 3s).
	StreamEvery time.Duration
	// SnapshotTTL is how long the overview's KPI snapshot is served
	// before it is recomputed in the background (default 1m).
	SnapshotTTL time.Duration
	// NotifyKinds are the notification connectors the API accepts (their
	// names and which config keys are secret); nil means the built-in ones.
	NotifyKinds map[string]notify.Kind
}

// Server serves the console.
type Server struct {
	deps   Deps
	pages  map[string]*template.Template
	mux    *http.ServeMux
	snaps  *snapshots
	counts *memo[openCounts]
	hits   *memo[map[string]store.RuleHits]
	intake *memo[[]sourceHealth]
}

// page is one console page.
type page struct {
	pattern string
	perm    auth.Permission
	handle  func(s *Server, w http.ResponseWriter, r *http.Request, v *view)
}

func pages() []page {
	return []page{
		{"GET /ui/{$}", auth.PermAlertsRead, (*Server).overview},
		{"GET /ui/alerts", auth.PermAlertsRead, (*Server).alerts},
		{"GET /ui/alerts/{id}", auth.PermAlertsRead, (*Server).alertDetail},
		{"GET /ui/cases", auth.PermCasesRead, (*Server).cases},
		{"GET /ui/cases/{id}", auth.PermCasesRead, (*Server).caseDetail},
		{"GET /ui/hunt", auth.PermEventsRead, (*Server).hunt},
		{"GET /ui/stream/alerts", auth.PermAlertsRead, (*Server).streamAlerts},
		{"GET /ui/entities/{type}/{value}", auth.PermAlertsRead, (*Server).entity},
		{"GET /ui/intel", auth.PermIntelRead, (*Server).intel},
		{"GET /ui/rules", auth.PermRulesRead, (*Server).rules},
		{"GET /ui/rules/{id}", auth.PermRulesRead, (*Server).rule},
		{"GET /ui/admin/{$}", auth.PermSelf, (*Server).adminIndex},
		{"GET /ui/admin/users", auth.PermUsersManage, (*Server).adminUsers},
		{"GET /ui/admin/tenants", auth.PermTenants, (*Server).adminTenants},
		{"GET /ui/admin/tokens", auth.PermTokens, (*Server).adminTokens},
		{"GET /ui/admin/notify", auth.PermNotify, (*Server).adminNotify},
		{"GET /ui/admin/retention", auth.PermCompliance, (*Server).adminRetention},
		{"GET /ui/admin/audit", auth.PermAuditRead, (*Server).adminAudit},
		{"GET /ui/admin/compliance", auth.PermCompliance, (*Server).adminCompliance},
	}
}

// New builds the console.
func New(d Deps) (*Server, error) {
	if d.Now == nil {
		d.Now = func() time.Time { return time.Now().UTC() }
	}
	if d.EntityRisk.HalfLife == 0 {
		d.EntityRisk = alert.DefaultEntityRisk()
	}
	if d.StreamEvery <= 0 {
		d.StreamEvery = 3 * time.Second
	}
	if d.SnapshotTTL <= 0 {
		d.SnapshotTTL = time.Minute
	}
	if d.NotifyKinds == nil {
		d.NotifyKinds = connectors.Kinds()
	}
	s := &Server{deps: d, pages: map[string]*template.Template{}, mux: http.NewServeMux()}
	s.snaps = newSnapshots(s)
	s.counts = &memo[openCounts]{s: s, ttl: 10 * time.Second, compute: s.countOpen, m: map[string]*memoEntry[openCounts]{}}
	s.hits = &memo[map[string]store.RuleHits]{s: s, ttl: time.Minute, compute: s.ruleHits, m: map[string]*memoEntry[map[string]store.RuleHits]{}}
	s.intake = &memo[[]sourceHealth]{s: s, ttl: 15 * time.Second, compute: s.intakeHealth, m: map[string]*memoEntry[[]sourceHealth]{}}
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" || base == "partials" {
			continue
		}
		tmpl, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/partials.html", n)
		if err != nil {
			return nil, err
		}
		s.pages[base] = tmpl
	}
	static, _ := fs.Sub(staticFiles, "static")
	s.mux.Handle("GET /ui/static/", http.StripPrefix("/ui/static/", http.FileServerFS(static)))
	s.mux.HandleFunc("GET /ui/login", s.login)
	s.mux.HandleFunc("GET /ui/lang/{lang}", s.setLanguage)
	for _, p := range pages() {
		s.mux.Handle(p.pattern, s.wrap(p))
	}
	return s, nil
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	// Scripts and styles come only from the binary: no inline script, no CDN.
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'")
	s.mux.ServeHTTP(w, r)
}

// view is what every page template gets.
type view struct {
	Lang   string
	Loc    *time.Location
	P      auth.Principal
	CSRF   string
	Path   string
	Title  string
	Data   any
	Error  string
	Tenant string
}

// T translates in the view's language.
func (v *view) T(key string) string { return t(v.Lang, key) }

// Time formats a time in the user's zone.
func (v *view) Time(tm time.Time) string {
	if tm.IsZero() {
		return ""
	}
	return tm.In(v.Loc).Format("2006-01-02 15:04:05 MST")
}

// Missing reports whether the case on the page still lacks evidence key.
func (v *view) Missing(key string) bool {
	cv, ok := v.Data.(casework.View)
	if !ok {
		return false
	}
	for _, m := range cv.Missing {
		if m.Key == key {
			return true
		}
	}
	return false
}

// Day formats a day in the user's zone.
func (v *view) Day(tm time.Time) string { return tm.In(v.Loc).Format("01-02") }

// Can reports whether the user's role holds a permission (for links and
// buttons only: the API decides).
func (v *view) Can(perm string) bool { return auth.Allowed(v.P.Role, auth.Permission(perm)) }

// Query is the page's query string with key set to value, for links that
// change one filter and keep the others.
func (v *view) Query(q url.Values, key, value string) string {
	out := url.Values{}
	for k, vs := range q {
		out[k] = vs
	}
	out.Set(key, value)
	return "?" + out.Encode()
}

// TimePtr formats an optional time.
func (v *view) TimePtr(tm *time.Time) string {
	if tm == nil {
		return ""
	}
	return v.Time(*tm)
}

var funcs = template.FuncMap{
	"str":       event.String,
	"lower":     strings.ToLower,
	"join":      strings.Join,
	"add":       func(a, b int) int { return a + b },
	"pct":       func(f float64) string { return strconv.FormatFloat(f*100, 'f', 1, 64) + "%" },
	"dur":       humanDuration,
	"num":       func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) },
	"pathEsc":   url.PathEscape,
	"hasPrefix": strings.HasPrefix,
	"has":       slices.Contains[[]string],
	// entityType is the entity type of an alert entity field ("" if none).
	"entityType": func(field string) string { return entityTypes[field] },
	// dict passes several values to a partial template.
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			if k, ok := kv[i].(string); ok {
				m[k] = kv[i+1]
			}
		}
		return m
	},
}

// entityTypes maps alert entity fields to the entity types of the entity
// page (alert.EntityTypes reversed).
var entityTypes = func() map[string]string {
	m := map[string]string{}
	for typ, field := range alert.EntityTypes {
		m[field] = typ
	}
	return m
}()

// wrap resolves the session and the user's role, or sends them to log in.
func (s *Server) wrap(p page) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie("yagura_session")
		if err != nil || s.deps.Logins == nil {
			s.toLogin(w, r)
			return
		}
		sess, err := s.deps.Logins.Resume(r.Context(), c.Value)
		if err != nil {
			s.toLogin(w, r)
			return
		}
		prin, err := s.deps.Logins.Principal(r.Context(), sess, r.URL.Query().Get("tenant"))
		if errors.Is(err, auth.ErrNoTenantAccess) {
			http.Error(w, "no such tenant", http.StatusNotFound)
			return
		}
		if err != nil {
			s.deps.Log.Error("console session", "err", err)
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		}
		v := &view{Lang: language(r), Loc: time.UTC, P: prin, CSRF: sess.CSRF, Path: r.URL.Path, Tenant: prin.Tenant}
		if u, err := s.deps.State.Users().Get(r.Context(), sess.User); err == nil {
			if loc, err := time.LoadLocation(u.TimeZone); err == nil {
				v.Loc = loc
			}
			if _, err := r.Cookie("yagura_lang"); err != nil && u.Language == "ja" {
				v.Lang = "ja"
			}
		}
		if !auth.Allowed(prin.Role, p.perm) {
			w.WriteHeader(http.StatusForbidden)
			v.Error = "403"
			s.render(w, "error", v)
			return
		}
		p.handle(s, w, r, v)
	})
}

func (s *Server) toLogin(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/ui/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
}

// language is the chosen language: the yagura_lang cookie, else English.
func language(r *http.Request) string {
	if c, err := r.Cookie("yagura_lang"); err == nil && (c.Value == "ja" || c.Value == "en") {
		return c.Value
	}
	return "en"
}

func (s *Server) setLanguage(w http.ResponseWriter, r *http.Request) {
	lang := r.PathValue("lang")
	if lang != "ja" && lang != "en" {
		http.Error(w, "language must be en or ja", http.StatusBadRequest)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: "yagura_lang", Value: lang, Path: "/", SameSite: http.SameSiteLaxMode, MaxAge: 365 * 24 * 3600})
	http.Redirect(w, r, consolePath(r.URL.Query().Get("back")), http.StatusSeeOther)
}

// consolePath is p if it is a console page, else the overview: where a
// login or a language switch may send the user back to (never off-site).
func consolePath(p string) string {
	if !strings.HasPrefix(p, "/ui/") {
		return "/ui/"
	}
	return p
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	v := &view{Lang: language(r), Loc: time.UTC, Path: r.URL.Path}
	v.Data = consolePath(r.URL.Query().Get("next"))
	s.render(w, "login", v)
}

// render executes a page into a buffer first, so a template error becomes a
// clean 500 instead of half a page.
func (s *Server) render(w http.ResponseWriter, name string, v *view) {
	tmpl, ok := s.pages[name]
	if !ok {
		http.Error(w, "no page "+name, http.StatusInternalServerError)
		return
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, v); err != nil {
		s.deps.Log.Error("console render", "page", name, "err", err)
		http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b.Bytes())
}
