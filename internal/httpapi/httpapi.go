// Package httpapi is Yagura's REST API under /api/v1 plus the health and
// metrics endpoints. Every route is declared once, in routes(), with the
// permission it needs; the router and the OpenAPI conformance test both
// read that table. Handlers reach tenant data only through the principal's
// scoped store handle, so a request can never read another tenant's data.
package httpapi

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/yagura-soc/yagura/api"
	"github.com/yagura-soc/yagura/internal/alert"
	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/casework"
	"github.com/yagura-soc/yagura/internal/config"
	"github.com/yagura-soc/yagura/internal/detect/live"
	intelsvc "github.com/yagura-soc/yagura/internal/intel/service"
	"github.com/yagura-soc/yagura/internal/metrics"
	"github.com/yagura-soc/yagura/internal/notify"
	"github.com/yagura-soc/yagura/internal/pipeline"
	"github.com/yagura-soc/yagura/internal/retention"
	"github.com/yagura-soc/yagura/internal/store"
)

// Deps are what the API serves from.
type Deps struct {
	Events       store.EventStore
	State        store.State
	Pipeline     *pipeline.Pipeline
	Metrics      *metrics.Metrics
	Log          *slog.Logger
	MaxBodyBytes int64
	Now          func() time.Time
	// Ready reports whether the server accepts traffic (stores open,
	// pipeline running).
	Ready func() error
	// Logins handles user sessions; nil means token authentication only.
	Logins *auth.Logins
	// SecureCookies marks session cookies Secure (set when serving HTTPS).
	SecureCookies bool
	// Retention enforces retention policies on demand; nil disables it.
	Retention *retention.Enforcer
	// Reporting is the configured reporting flow, for the compliance view.
	Reporting config.Reporting
	// Cases is the incident desk; nil disables the case endpoints.
	Cases *casework.Service
	// Alerting is the alert stage (grouping and entity risk policy);
	// nil means the defaults.
	Alerting *alert.Stage
	// NotifyKinds are the notification connectors; nil means all built in.
	NotifyKinds map[string]notify.Kind
	// Intel is the threat-intelligence service; nil answers 503 on /api/v1/intel.
	Intel *intelsvc.Service
	// Rules is the running Sigma detector; nil answers 503 on /api/v1/rules
	// (POST /api/v1/rules/test still works, with default options).
	Rules *live.Detector
}

// Server is the API's http.Handler.
type Server struct {
	deps Deps
	mux  *http.ServeMux

	agentLocks agentLocks // one batch at a time per agent (agents.go)
}

// route is one endpoint. perm empty means no authentication.
type route struct {
	method, pattern string
	perm            auth.Permission
	handle          func(s *Server, w http.ResponseWriter, r *http.Request, p auth.Principal)
}

// routes is the single list of endpoints: each feature file declares its
// own group, and this function is the only place that joins them.
func routes() []route {
	var all []route
	for _, group := range [][]route{
		systemRoutes(),
		sessionRoutes(),
		adminRoutes(),
		retentionRoutes(),
		complianceRoutes(),
		caseRoutes(),
		eventRoutes(),
		alertRoutes(),
		notifyRoutes(),
		entityRoutes(),
		searchRoutes(),
		kpiRoutes(),
		intelRoutes(),
		assetRoutes(),
		agentRoutes(),
		ruleRoutes(),
	} {
		all = append(all, group...)
	}
	return all
}

// systemRoutes need no token: probes, metrics scraping, the API document.
func systemRoutes() []route {
	return []route{
		{"GET", "/api/v1/openapi.yaml", "", (*Server).openapi},
		{"GET", "/healthz", "", (*Server).healthz},
		{"GET", "/readyz", "", (*Server).readyz},
		{"GET", "/metrics", "", (*Server).metricsHandler},
	}
}

// New builds the API.
func New(d Deps) *Server {
	if d.Now == nil {
		d.Now = func() time.Time { return time.Now().UTC() }
	}
	if d.MaxBodyBytes <= 0 {
		d.MaxBodyBytes = 16 << 20
	}
	s := &Server{deps: d, mux: http.NewServeMux()}
	for _, rt := range routes() {
		s.mux.Handle(rt.method+" "+rt.pattern, s.wrap(rt))
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		// A person opening the server's address lands on the console.
		if r.URL.Path == "/" && r.Method == http.MethodGet && strings.Contains(r.Header.Get("Accept"), "text/html") {
			http.Redirect(w, r, "/ui/", http.StatusSeeOther)
			return
		}
		writeError(w, http.StatusNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path+" (see /api/v1/openapi.yaml)")
	})
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	if s.deps.SecureCookies {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	s.mux.ServeHTTP(w, r)
}

// wrap adds authentication, authorization and request metrics to a route.
func (s *Server) wrap(rt route) http.Handler {
	return CountRequests(s.deps.Metrics, rt.pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p auth.Principal
		if rt.perm != "" {
			var code int
			var err error
			p, code, err = s.authenticate(w, r)
			if err != nil {
				if code == http.StatusUnauthorized {
					w.Header().Set("WWW-Authenticate", `Bearer realm="yagura"`)
				}
				writeError(w, code, err.Error())
				return
			}
			if !auth.Allowed(p.Role, rt.perm) {
				writeError(w, http.StatusForbidden, "role "+p.Role+" may not "+string(rt.perm))
				return
			}
		}
		rt.handle(s, w, r, p)
	}))
}

// CountRequests records each request to h in the request metric, under
// label (the route's pattern) and the answer's status.
func CountRequests(m *metrics.Metrics, label string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		defer func() { m.HTTPRequests.WithLabelValues(label, http.StatusText(rec.code)).Inc() }()
		h.ServeHTTP(rec, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.code = code
	r.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (to flush a
// streamed answer).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// list is the shape of every list endpoint.
type list[T any] struct {
	Items []T `json:"items"`
	Total int `json:"total"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// apiError is the body of every error response.
type apiError struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, apiError{Error: msg})
}

func (s *Server) openapi(w http.ResponseWriter, _ *http.Request, _ auth.Principal) {
	w.Header().Set("Content-Type", "application/yaml")
	w.Write(api.OpenAPI)
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request, _ auth.Principal) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, _ *http.Request, _ auth.Principal) {
	if s.deps.Ready != nil {
		if err := s.deps.Ready(); err != nil {
			writeError(w, http.StatusServiceUnavailable, err.Error())
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Server) metricsHandler(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	s.deps.Metrics.Handler().ServeHTTP(w, r)
}
