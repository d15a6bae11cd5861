package web

import (
	"errors"
	"net/http"
	"time"

	"github.com/yagura-soc/yagura/internal/alert"
	"github.com/yagura-soc/yagura/internal/store"
)

type entityData struct {
	Type, Value, Field string
	Score, Threshold   float64
	HalfLife           time.Duration
	History            []store.RiskContribution
	Chart              lineChart
	RiskAlert          *store.Alert
	// Contributing are the alerts that added risk, newest first.
	Contributing []store.Alert
	// Recent are the alerts naming the entity seen in the last day:
	// finding every alert that ever named it reads the whole alert table,
	// so that is left to the queue's entity filter.
	Recent []store.Alert
	Total  int
}

// recentEntityAlerts is how far back the entity page looks for alerts
// naming the entity.
const recentEntityAlerts = 24 * time.Hour

// entity shows one entity's risk over time and the alerts behind it.
func (s *Server) entity(w http.ResponseWriter, r *http.Request, v *view) {
	ctx := r.Context()
	typ, value := r.PathValue("type"), r.PathValue("value")
	field, ok := alert.EntityTypes[typ]
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		v.Error = "entity type " + typ + " is not known"
		s.render(w, "error", v)
		return
	}
	sc := s.deps.State.Scope(v.Tenant)
	cfg := s.deps.EntityRisk
	d := entityData{Type: typ, Value: value, Field: field, Threshold: cfg.Threshold, HalfLife: cfg.HalfLife}
	risk, err := sc.EntityRisks().Get(ctx, typ, value)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.fail(w, v, err)
		return
	}
	d.Score = alert.Decay(risk.Score, risk.UpdatedAt, s.deps.Now(), cfg.HalfLife)
	if d.History, err = sc.EntityRisks().Contributions(ctx, typ, value, time.Time{}); err != nil {
		s.fail(w, v, err)
		return
	}
	d.Chart = riskLine(d.History, d.Threshold, v)
	if risk.RiskAlertID != "" {
		if a, err := sc.Alerts().Get(ctx, risk.RiskAlertID); err == nil {
			d.RiskAlert = &a
		}
	}
	now := s.deps.Now()
	if d.Recent, d.Total, err = sc.Alerts().List(ctx, store.AlertFilter{EntityField: field, EntityValue: value, From: now.Add(-recentEntityAlerts), Limit: 200}); err != nil {
		s.fail(w, v, err)
		return
	}
	// Newest contributions first in the table.
	for i, j := 0, len(d.History)-1; i < j; i, j = i+1, j-1 {
		d.History[i], d.History[j] = d.History[j], d.History[i]
	}
	seen := map[string]bool{}
	for _, h := range d.History {
		if seen[h.AlertID] || len(seen) == 100 {
			continue
		}
		seen[h.AlertID] = true
		a, err := sc.Alerts().Get(ctx, h.AlertID)
		if errors.Is(err, store.ErrNotFound) {
			continue // deleted by retention
		}
		if err != nil {
			s.fail(w, v, err)
			return
		}
		d.Contributing = append(d.Contributing, a)
	}
	v.Title, v.Data = typ+" "+value, d
	s.render(w, "entity", v)
}
