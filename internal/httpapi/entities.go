package httpapi

import (
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/yagura-soc/yagura/internal/alert"
	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/store"
)

func entityRoutes() []route {
	return []route{
		{"GET", "/api/v1/entities/{type}/{value}", auth.PermAlertsRead, (*Server).getEntity},
	}
}

// entityView is an entity's risk now, its history and its alerts.
type entityView struct {
	Type      string  `json:"type"`
	Value     string  `json:"value"`
	Field     string  `json:"field"`
	Score     float64 `json:"score"` // decayed to now
	Threshold float64 `json:"threshold"`
	HalfLife  string  `json:"half_life"`
	// RiskAlert is the entity's risk alert, if one was raised.
	RiskAlert *store.Alert `json:"risk_alert,omitempty"`
	// History is the score right after each contribution, oldest first.
	History []store.RiskContribution `json:"history"`
	// Alerts are the contributing alerts and every other alert naming the
	// entity, most recently seen first.
	Alerts []store.Alert `json:"alerts"`
}

func (s *Server) entityRisk() alert.EntityRiskConfig {
	if s.deps.Alerting != nil {
		return s.deps.Alerting.EntityRiskConfig()
	}
	return alert.DefaultEntityRisk()
}

func (s *Server) getEntity(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	typ, value := r.PathValue("type"), r.PathValue("value")
	field, ok := alert.EntityTypes[typ]
	if !ok {
		names := slices.Sorted(maps.Keys(alert.EntityTypes))
		writeError(w, http.StatusBadRequest, "entity type "+typ+": use one of "+strings.Join(names, ", "))
		return
	}
	cfg := s.entityRisk()
	now := s.deps.Now()
	sc := s.deps.State.Scope(p.Tenant)
	ctx := r.Context()
	view := entityView{Type: typ, Value: value, Field: field, Threshold: cfg.Threshold, HalfLife: cfg.HalfLife.String(),
		History: []store.RiskContribution{}, Alerts: []store.Alert{}}
	risk, err := sc.EntityRisks().Get(ctx, typ, value)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.internalError(w, "reading entity risk failed", err)
		return
	}
	view.Score = alert.Decay(risk.Score, risk.UpdatedAt, now, cfg.HalfLife)
	since := time.Time{}
	if q := r.URL.Query().Get("from"); q != "" {
		if since, err = parseTime(q, now); err != nil {
			writeError(w, http.StatusBadRequest, "from: "+err.Error())
			return
		}
	}
	if view.History, err = sc.EntityRisks().Contributions(ctx, typ, value, since); err != nil {
		s.internalError(w, "reading entity risk history failed", err)
		return
	}
	if risk.RiskAlertID != "" {
		if a, err := sc.Alerts().Get(ctx, risk.RiskAlertID); err == nil {
			view.RiskAlert = &a
		}
	}
	view.Alerts, _, err = sc.Alerts().List(ctx, store.AlertFilter{EntityField: field, EntityValue: value, Limit: 200})
	if err != nil {
		s.internalError(w, "listing the entity's alerts failed", err)
		return
	}
	writeJSON(w, http.StatusOK, view)
}
