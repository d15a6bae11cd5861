package httpapi

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/casework"
	"github.com/yagura-soc/yagura/internal/incident"
	"github.com/yagura-soc/yagura/internal/store"
)

func caseRoutes() []route {
	return []route{
		{"GET", "/api/v1/playbooks", auth.PermCasesRead, (*Server).listPlaybooks},
		{"GET", "/api/v1/cases", auth.PermCasesRead, (*Server).listCases},
		{"POST", "/api/v1/cases", auth.PermCasesWrite, (*Server).openCase},
		{"GET", "/api/v1/cases/{id}", auth.PermCasesRead, (*Server).getCase},
		{"PATCH", "/api/v1/cases/{id}", auth.PermCasesWrite, (*Server).patchCase},
		{"POST", "/api/v1/cases/{id}/advance", auth.PermCasesWrite, (*Server).advanceCase},
		{"POST", "/api/v1/cases/{id}/alerts", auth.PermCasesWrite, (*Server).linkCaseAlerts},
		{"POST", "/api/v1/cases/{id}/merge", auth.PermCasesWrite, (*Server).mergeCase},
		{"GET", "/api/v1/cases/{id}/related", auth.PermCasesRead, (*Server).relatedCases},
		{"POST", "/api/v1/cases/{id}/comments", auth.PermCasesWrite, (*Server).commentCase},
		{"POST", "/api/v1/cases/{id}/evidence", auth.PermCasesWrite, (*Server).addEvidence},
		{"GET", "/api/v1/cases/{id}/evidence/{eid}", auth.PermCasesRead, (*Server).getEvidence},
		{"POST", "/api/v1/cases/{id}/tasks", auth.PermCasesWrite, (*Server).addTask},
		{"PATCH", "/api/v1/cases/{id}/tasks/{tid}", auth.PermCasesWrite, (*Server).patchTask},
		{"POST", "/api/v1/cases/{id}/actions", auth.PermActionsRun, (*Server).requestAction},
		{"POST", "/api/v1/cases/{id}/actions/{aid}/approve", auth.PermActionsApprove, (*Server).approveAction},
		{"POST", "/api/v1/cases/{id}/actions/{aid}/reject", auth.PermActionsApprove, (*Server).rejectAction},
		{"POST", "/api/v1/cases/{id}/actions/{aid}/revert", auth.PermActionsRun, (*Server).revertAction},
		{"GET", "/api/v1/cases/{id}/report", auth.PermCasesRead, (*Server).caseReport},
		{"GET", "/api/v1/cases/{id}/bundle", auth.PermCasesRead, (*Server).caseBundle},
	}
}

func actorOf(r *http.Request, p auth.Principal) casework.Actor {
	return casework.Actor{Name: p.Actor(), Role: p.Role, Remote: clientAddr(r)}
}

// caseError answers a casework error with the matching status.
func (s *Server) caseError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "no such case, evidence, task or action")
	case errors.Is(err, casework.ErrInvalid):
		writeError(w, http.StatusBadRequest, err.Error())
	case errors.Is(err, casework.ErrForbidden), errors.Is(err, incident.ErrNotOwner):
		writeError(w, http.StatusForbidden, err.Error())
	case errors.Is(err, incident.ErrEvidenceMissing), errors.Is(err, incident.ErrClosed):
		writeError(w, http.StatusConflict, err.Error())
	default:
		s.internalError(w, "the case operation failed: "+err.Error(), err)
	}
}

// caseReply answers a case operation: its result with code, or its error
// with the matching status.
func (s *Server) caseReply(w http.ResponseWriter, code int, v any, err error) {
	if err != nil {
		s.caseError(w, err)
		return
	}
	writeJSON(w, code, v)
}

func (s *Server) casesEnabled(w http.ResponseWriter) bool {
	if s.deps.Cases == nil {
		writeError(w, http.StatusNotFound, "cases are not enabled on this server")
		return false
	}
	return true
}

func (s *Server) listPlaybooks(w http.ResponseWriter, _ *http.Request, _ auth.Principal) {
	if !s.casesEnabled(w) {
		return
	}
	out := list[incident.Playbook]{Items: []incident.Playbook{}}
	for _, name := range []string{"default", "ransomware", "phishing", "account_compromise", "malware", "data_leak", "dos"} {
		if p, ok := s.deps.Cases.Playbooks[name]; ok {
			out.Items = append(out.Items, p)
		}
	}
	for name, p := range s.deps.Cases.Playbooks {
		found := false
		for _, it := range out.Items {
			found = found || it.Name == name
		}
		if !found {
			out.Items = append(out.Items, p)
		}
	}
	out.Total = len(out.Items)
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) listCases(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if !s.casesEnabled(w) {
		return
	}
	q := r.URL.Query()
	f := store.CaseFilter{Status: q.Get("status"), Severity: q.Get("severity"), Assignee: q.Get("assignee"),
		Playbook: q.Get("playbook"), Text: q.Get("q"), Entity: q.Get("entity"), Stage: -1, CSIRT: p.Role == auth.RoleCSIRT}
	if v := q.Get("stage"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 20 {
			writeError(w, http.StatusBadRequest, "stage must be a stage number (0 = first)")
			return
		}
		f.Stage = n
	}
	var err error
	if f.Limit, f.Offset, err = parsePage(q, 100, 1000); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	items, total, err := s.deps.State.Scope(p.Tenant).Cases().List(r.Context(), f)
	if err != nil {
		s.internalError(w, "listing cases failed", err)
		return
	}
	writeJSON(w, http.StatusOK, list[incident.Case]{Items: items, Total: total})
}

func (s *Server) openCase(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if !s.casesEnabled(w) {
		return
	}
	var req casework.OpenRequest
	if !decodeBody(w, r, &req) {
		return
	}
	c, err := s.deps.Cases.Open(r.Context(), p.Tenant, actorOf(r, p), req)
	s.caseReply(w, http.StatusCreated, c, err)
}

func (s *Server) getCase(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if !s.casesEnabled(w) {
		return
	}
	v, err := s.deps.Cases.Get(r.Context(), p.Tenant, actorOf(r, p), r.PathValue("id"))
	s.caseReply(w, http.StatusOK, v, err)
}

func (s *Server) patchCase(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if !s.casesEnabled(w) {
		return
	}
	var pt casework.Patch
	if !decodeBody(w, r, &pt) {
		return
	}
	c, err := s.deps.Cases.Update(r.Context(), p.Tenant, actorOf(r, p), r.PathValue("id"), pt)
	s.caseReply(w, http.StatusOK, c, err)
}

func (s *Server) advanceCase(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if !s.casesEnabled(w) {
		return
	}
	var req struct {
		Override string `json:"override"`
	}
	if r.ContentLength != 0 && !decodeBody(w, r, &req) {
		return
	}
	c, err := s.deps.Cases.Advance(r.Context(), p.Tenant, actorOf(r, p), r.PathValue("id"), req.Override)
	s.caseReply(w, http.StatusOK, c, err)
}

func (s *Server) linkCaseAlerts(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if !s.casesEnabled(w) {
		return
	}
	var req struct {
		AlertIDs []string `json:"alert_ids"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	c, err := s.deps.Cases.LinkAlerts(r.Context(), p.Tenant, actorOf(r, p), r.PathValue("id"), req.AlertIDs)
	s.caseReply(w, http.StatusOK, c, err)
}

func (s *Server) mergeCase(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if !s.casesEnabled(w) {
		return
	}
	var req struct {
		CaseID string `json:"case_id"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	c, err := s.deps.Cases.Merge(r.Context(), p.Tenant, actorOf(r, p), r.PathValue("id"), req.CaseID)
	s.caseReply(w, http.StatusOK, c, err)
}

func (s *Server) relatedCases(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if !s.casesEnabled(w) {
		return
	}
	cs, err := s.deps.Cases.Related(r.Context(), p.Tenant, actorOf(r, p), r.PathValue("id"))
	if err != nil {
		s.caseError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, list[incident.Case]{Items: cs, Total: len(cs)})
}

func (s *Server) commentCase(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if !s.casesEnabled(w) {
		return
	}
	var req struct {
		Text string `json:"text"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	if err := s.deps.Cases.Comment(r.Context(), p.Tenant, actorOf(r, p), r.PathValue("id"), req.Text); err != nil {
		s.caseError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"status": "added"})
}

// addEvidence takes the file as the raw body: ?name=&requirement= with the
// file's Content-Type. (A browser form posts the same way from script.)
func (s *Server) addEvidence(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if !s.casesEnabled(w) {
		return
	}
	q := r.URL.Query()
	name := q.Get("name")
	if name == "" {
		writeError(w, http.StatusBadRequest, "name the file: ?name=report.pdf (and ?requirement=<evidence key> to satisfy a stage's requirement)")
		return
	}
	body := http.MaxBytesReader(w, r.Body, casework.MaxEvidenceBytes)
	ev, err := s.deps.Cases.AddEvidence(r.Context(), p.Tenant, actorOf(r, p), r.PathValue("id"), name,
		r.Header.Get("Content-Type"), q.Get("requirement"), body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "evidence files are limited to 256 MiB")
			return
		}
		s.caseError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, ev)
}

func (s *Server) getEvidence(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if !s.casesEnabled(w) {
		return
	}
	ev, rc, err := s.deps.Cases.ReadEvidence(r.Context(), p.Tenant, actorOf(r, p), r.PathValue("id"), r.PathValue("eid"))
	if err != nil {
		s.caseError(w, err)
		return
	}
	defer rc.Close()
	// Evidence is served as an attachment, never rendered: it may be hostile.
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": ev.Name}))
	w.Header().Set("X-Evidence-SHA256", ev.SHA256)
	io.Copy(w, rc)
}

func (s *Server) addTask(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if !s.casesEnabled(w) {
		return
	}
	var req struct {
		Title    string `json:"title"`
		Assignee string `json:"assignee"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	t, err := s.deps.Cases.AddTask(r.Context(), p.Tenant, actorOf(r, p), r.PathValue("id"), req.Title, req.Assignee)
	s.caseReply(w, http.StatusCreated, t, err)
}

func (s *Server) patchTask(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if !s.casesEnabled(w) {
		return
	}
	var req struct {
		Done bool `json:"done"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	t, err := s.deps.Cases.SetTaskDone(r.Context(), p.Tenant, actorOf(r, p), r.PathValue("id"), r.PathValue("tid"), req.Done)
	s.caseReply(w, http.StatusOK, t, err)
}

func (s *Server) requestAction(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if !s.casesEnabled(w) {
		return
	}
	var req casework.ActionRequest
	if !decodeBody(w, r, &req) {
		return
	}
	a, err := s.deps.Cases.RequestAction(r.Context(), p.Tenant, actorOf(r, p), r.PathValue("id"), req)
	s.caseReply(w, http.StatusCreated, a, err)
}

func (s *Server) decideAction(w http.ResponseWriter, r *http.Request, p auth.Principal, approve bool) {
	if !s.casesEnabled(w) {
		return
	}
	a, err := s.deps.Cases.DecideAction(r.Context(), p.Tenant, actorOf(r, p), r.PathValue("id"), r.PathValue("aid"), approve)
	s.caseReply(w, http.StatusOK, a, err)
}

func (s *Server) approveAction(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	s.decideAction(w, r, p, true)
}

func (s *Server) rejectAction(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	s.decideAction(w, r, p, false)
}

func (s *Server) revertAction(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if !s.casesEnabled(w) {
		return
	}
	a, err := s.deps.Cases.RevertAction(r.Context(), p.Tenant, actorOf(r, p), r.PathValue("id"), r.PathValue("aid"))
	s.caseReply(w, http.StatusOK, a, err)
}

func (s *Server) caseReport(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if !s.casesEnabled(w) {
		return
	}
	lang := r.URL.Query().Get("lang")
	if lang == "" {
		lang = "en"
	}
	loc := time.UTC
	if tz := r.URL.Query().Get("tz"); tz != "" {
		l, err := time.LoadLocation(tz)
		if err != nil {
			writeError(w, http.StatusBadRequest, "tz must be an IANA time zone such as Asia/Tokyo")
			return
		}
		loc = l
	}
	format := r.URL.Query().Get("format")
	var b bytes.Buffer
	var err error
	switch format {
	case "", "html":
		err = s.deps.Cases.Report(r.Context(), p.Tenant, actorOf(r, p), r.PathValue("id"), lang, loc, &b)
	case "pdf":
		err = s.deps.Cases.ReportPDF(r.Context(), p.Tenant, actorOf(r, p), r.PathValue("id"), lang, loc, &b)
	default:
		writeError(w, http.StatusBadRequest, "format must be html or pdf")
		return
	}
	if errors.Is(err, casework.ErrNoFont) {
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	if err != nil {
		s.caseError(w, err)
		return
	}
	if !s.audited(w, r, p, "case.report", "case/"+r.PathValue("id"), map[string]any{"lang": lang, "format": format}) {
		return
	}
	if format == "pdf" {
		w.Header().Set("Content-Type", "application/pdf")
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "case-" + r.PathValue("id") + "-" + lang + ".pdf"}))
	} else {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	}
	w.Write(b.Bytes())
}

// caseBundle streams the evidence ZIP. It is built in memory first so a
// failure answers an error instead of a truncated file.
func (s *Server) caseBundle(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if !s.casesEnabled(w) {
		return
	}
	var b bytes.Buffer
	sum, err := s.deps.Cases.Bundle(r.Context(), p.Tenant, actorOf(r, p), r.PathValue("id"), &b)
	if err != nil {
		s.caseError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "case-" + r.PathValue("id") + ".zip"}))
	w.Header().Set("X-Manifest-SHA256", sum)
	w.Write(b.Bytes())
}
