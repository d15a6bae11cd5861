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
	Alerts             []store.Alert
	Total              int
	// Contributing marks the alerts that added risk.
	Contributing map[string]bool
}

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
	d := entityData{Type: typ, Value: value, Field: field, Threshold: cfg.Threshold, HalfLife: cfg.HalfLife, Contributing: map[string]bool{}}
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
	for _, h := range d.History {
		d.Contributing[h.AlertID] = true
	}
	d.Chart = riskLine(d.History, d.Threshold, v)
	if risk.RiskAlertID != "" {
		if a, err := sc.Alerts().Get(ctx, risk.RiskAlertID); err == nil {
			d.RiskAlert = &a
		}
	}
	if d.Alerts, d.Total, err = sc.Alerts().List(ctx, store.AlertFilter{EntityField: field, EntityValue: value, Limit: 200}); err != nil {
		s.fail(w, v, err)
		return
	}
	// Newest contributions first in the table.
	for i, j := 0, len(d.History)-1; i < j; i, j = i+1, j-1 {
		d.History[i], d.History[j] = d.History[j], d.History[i]
	}
	v.Title, v.Data = typ+" "+value, d
	s.render(w, "entity", v)
}
