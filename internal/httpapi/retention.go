package httpapi

import (
	"errors"
	"net/http"
	"time"

	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/store"
)

func retentionRoutes() []route {
	return []route{
		{"GET", "/api/v1/retention", auth.PermCompliance, (*Server).getRetention},
		{"PUT", "/api/v1/retention", auth.PermRetention, (*Server).putRetention},
		{"POST", "/api/v1/retention/run", auth.PermRetention, (*Server).runRetention},
		{"GET", "/api/v1/legal-holds", auth.PermCompliance, (*Server).listHolds},
		{"POST", "/api/v1/legal-holds", auth.PermLegalHold, (*Server).addHold},
		{"DELETE", "/api/v1/legal-holds/{id}", auth.PermLegalHold, (*Server).releaseHold},
	}
}

type retentionView struct {
	Policy   store.RetentionPolicy `json:"policy"`
	Archives []store.Archive       `json:"archives"`
}

func (s *Server) getRetention(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	ret := s.deps.State.Scope(p.Tenant).Retention()
	policy, err := ret.Policy(r.Context())
	if err != nil {
		s.internalError(w, "reading the retention policy failed", err)
		return
	}
	archives, err := ret.Archives(r.Context())
	if err != nil {
		s.internalError(w, "reading the archives failed", err)
		return
	}
	writeJSON(w, http.StatusOK, retentionView{Policy: policy, Archives: archives})
}

func (s *Server) putRetention(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var req struct {
		HotDays         int `json:"hot_days"`
		DeleteAfterDays int `json:"delete_after_days"`
		AlertDays       int `json:"alert_days"`
		CaseDays        int `json:"case_days"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	if req.CaseDays == 0 {
		req.CaseDays = store.DefaultRetention(p.Tenant).CaseDays
	}
	if req.HotDays < 1 || req.DeleteAfterDays < req.HotDays || req.AlertDays < 1 || req.CaseDays < 1 {
		writeError(w, http.StatusBadRequest, "need hot_days >= 1, delete_after_days >= hot_days, alert_days >= 1, case_days >= 1")
		return
	}
	ret := s.deps.State.Scope(p.Tenant).Retention()
	old, _ := ret.Policy(r.Context())
	policy := store.RetentionPolicy{Tenant: p.Tenant, HotDays: req.HotDays, DeleteAfterDays: req.DeleteAfterDays, AlertDays: req.AlertDays,
		CaseDays: req.CaseDays, UpdatedAt: s.deps.Now()}
	if err := ret.SetPolicy(r.Context(), policy); err != nil {
		s.internalError(w, "saving the retention policy failed", err)
		return
	}
	if !s.audited(w, r, p, "retention.policy", "retention", map[string]any{
		"hot_days": []int{old.HotDays, req.HotDays}, "delete_after_days": []int{old.DeleteAfterDays, req.DeleteAfterDays},
		"alert_days": []int{old.AlertDays, req.AlertDays}, "case_days": []int{old.CaseDays, req.CaseDays}}) {
		return
	}
	writeJSON(w, http.StatusOK, policy)
}

// runRetention enforces the policy now (it also runs on a schedule).
func (s *Server) runRetention(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if s.deps.Retention == nil {
		writeError(w, http.StatusNotFound, "retention is not enabled on this server")
		return
	}
	rep, err := s.deps.Retention.RunTenant(r.Context(), p.Tenant, s.deps.Now())
	if err != nil {
		s.internalError(w, "retention run failed", err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

func (s *Server) listHolds(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	holds, err := s.deps.State.Scope(p.Tenant).Retention().Holds(r.Context())
	if err != nil {
		s.internalError(w, "reading legal holds failed", err)
		return
	}
	writeJSON(w, http.StatusOK, list[store.LegalHold]{Items: holds, Total: len(holds)})
}

func (s *Server) addHold(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var req struct {
		Reason string `json:"reason"`
		CaseID string `json:"case_id"`
		From   string `json:"from"`
		To     string `json:"to"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	now := s.deps.Now()
	from, err1 := parseTime(req.From, now)
	to, err2 := parseTime(req.To, now)
	if req.Reason == "" || err1 != nil || err2 != nil || from.IsZero() || to.IsZero() || !from.Before(to) {
		writeError(w, http.StatusBadRequest, "a legal hold needs a reason and a time range: from before to (RFC 3339 or relative)")
		return
	}
	h, err := s.deps.State.Scope(p.Tenant).Retention().AddHold(r.Context(), store.LegalHold{
		Reason: req.Reason, CaseID: req.CaseID, From: from, To: to, CreatedBy: p.Actor(), CreatedAt: now})
	if err != nil {
		s.internalError(w, "adding the legal hold failed", err)
		return
	}
	if !s.audited(w, r, p, "legal_hold.add", "legal_hold/"+h.ID, map[string]any{"reason": h.Reason, "from": from, "to": to, "case_id": h.CaseID}) {
		return
	}
	writeJSON(w, http.StatusCreated, h)
}

func (s *Server) releaseHold(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	id := r.PathValue("id")
	err := s.deps.State.Scope(p.Tenant).Retention().ReleaseHold(r.Context(), id, s.deps.Now())
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no active legal hold "+id)
		return
	}
	if err != nil {
		s.internalError(w, "releasing the legal hold failed", err)
		return
	}
	if !s.audited(w, r, p, "legal_hold.release", "legal_hold/"+id, nil) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "released", "at": s.deps.Now().Format(time.RFC3339)})
}
