package httpapi

import (
	"bytes"
	"net/http"

	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/compliance"
)

func complianceRoutes() []route {
	return []route{
		{"GET", "/api/v1/compliance", auth.PermCompliance, (*Server).getCompliance},
		{"GET", "/api/v1/compliance/report", auth.PermCompliance, (*Server).complianceReport},
	}
}

func (s *Server) buildCompliance(w http.ResponseWriter, r *http.Request, p auth.Principal) (compliance.Report, bool) {
	rep, err := compliance.Build(r.Context(), s.deps.Events, s.deps.State, s.deps.Reporting, p.Tenant, s.deps.Now())
	if err != nil {
		s.internalError(w, "building the compliance view failed", err)
		return rep, false
	}
	return rep, true
}

func (s *Server) getCompliance(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if rep, ok := s.buildCompliance(w, r, p); ok {
		writeJSON(w, http.StatusOK, rep)
	}
}

// complianceReport serves the HTML report; taking it is an export, so it
// is recorded in the audit trail.
func (s *Server) complianceReport(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	rep, ok := s.buildCompliance(w, r, p)
	if !ok {
		return
	}
	var b bytes.Buffer
	if err := rep.WriteHTML(&b); err != nil {
		s.internalError(w, "rendering the report failed", err)
		return
	}
	if !s.audited(w, r, p, "compliance.report", "", nil) {
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.Write(b.Bytes())
}
