package httpapi

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/yagura-soc/yagura/internal/alert"
	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/store"
)

func alertRoutes() []route {
	return []route{
		{"GET", "/api/v1/alerts", auth.PermAlertsRead, (*Server).listAlerts},
		{"GET", "/api/v1/alerts/{id}", auth.PermAlertsRead, (*Server).getAlert},
	}
}

var alertStatuses = []string{store.StatusNew, store.StatusAcknowledged, store.StatusInProgress, store.StatusClosed}

func oneOf(v string, allowed []string) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	return false
}

func (s *Server) listAlerts(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	q := r.URL.Query()
	f := store.AlertFilter{Status: q.Get("status"), Severity: q.Get("severity"), RuleID: q.Get("rule_id")}
	if f.Status != "" && !oneOf(f.Status, alertStatuses) {
		writeError(w, http.StatusBadRequest, "status must be one of new, acknowledged, in_progress, closed")
		return
	}
	if f.Severity != "" && !oneOf(f.Severity, alert.Severities) {
		writeError(w, http.StatusBadRequest, "severity must be one of informational, low, medium, high, critical")
		return
	}
	var err error
	now := s.deps.Now()
	if f.From, err = parseTime(q.Get("from"), now); err != nil {
		writeError(w, http.StatusBadRequest, "from: "+err.Error())
		return
	}
	if f.To, err = parseTime(q.Get("to"), now); err != nil {
		writeError(w, http.StatusBadRequest, "to: "+err.Error())
		return
	}
	if f.Limit, err = parseLimit(q.Get("limit"), 100, 1000); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if v := q.Get("offset"); v != "" {
		if f.Offset, err = strconv.Atoi(v); err != nil || f.Offset < 0 {
			writeError(w, http.StatusBadRequest, "offset must be a non-negative number")
			return
		}
	}
	items, total, err := s.deps.State.Scope(p.Tenant).Alerts().List(r.Context(), f)
	if err != nil {
		s.deps.Log.Error("list alerts failed", "err", err)
		writeError(w, http.StatusInternalServerError, "listing alerts failed")
		return
	}
	writeJSON(w, http.StatusOK, list[store.Alert]{Items: items, Total: total})
}

func (s *Server) getAlert(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	a, err := s.deps.State.Scope(p.Tenant).Alerts().Get(r.Context(), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no alert "+r.PathValue("id"))
		return
	}
	if err != nil {
		s.deps.Log.Error("get alert failed", "err", err)
		writeError(w, http.StatusInternalServerError, "reading the alert failed")
		return
	}
	writeJSON(w, http.StatusOK, a)
}
