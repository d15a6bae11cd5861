package alert

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/yagura-soc/yagura/internal/detect"
	"github.com/yagura-soc/yagura/internal/store"
)

// Config is the alert stage's policy.
type Config struct {
	DedupWindow time.Duration
	// GroupBy overrides the fingerprint fields per rule id.
	GroupBy    map[string][]string
	Risk       RiskConfig
	EntityRisk EntityRiskConfig
}

// Stage turns the matches of a group commit into stored alerts:
// suppression, dedup, risk, entity risk and outbox events, per tenant in
// one transaction. The pipeline's writer calls Commit before it
// acknowledges the batches, so a crash loses none of it.
type Stage struct {
	cfg     Config
	builder Builder
	state   store.State
	log     *slog.Logger
	now     func() time.Time

	suppressed *prometheus.CounterVec
	alerts     *prometheus.CounterVec
	riskAlerts prometheus.Counter
}

// NewStage builds the stage; reg (may be nil) receives its metrics.
func NewStage(cfg Config, state store.State, reg prometheus.Registerer, log *slog.Logger) *Stage {
	s := &Stage{
		cfg: cfg, builder: Builder{GroupBy: cfg.GroupBy, Risk: cfg.Risk}, state: state, log: log,
		now: func() time.Time { return time.Now().UTC() },
		suppressed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yagura_alert_matches_suppressed_total", Help: "Detection matches suppressed by an exception, by tenant.",
		}, []string{"tenant"}),
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yagura_alert_writes_total", Help: "Alerts written by the alert stage, by result (opened, updated).",
		}, []string{"result"}),
		riskAlerts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "yagura_alert_risk_alerts_total", Help: "Risk alerts raised or updated by entity risk.",
		}),
	}
	if reg != nil {
		reg.MustRegister(s.suppressed, s.alerts, s.riskAlerts)
	}
	return s
}

// SetClock replaces the wall clock (tests).
func (s *Stage) SetClock(now func() time.Time) { s.now = now }

// EntityRiskConfig is the stage's entity risk policy.
func (s *Stage) EntityRiskConfig() EntityRiskConfig { return s.cfg.EntityRisk }

// GroupByFor is the fingerprint fields of a rule.
func (s *Stage) GroupByFor(rule string) []string { return s.builder.groupBy(rule) }

// Commit stores the alerts of matches. An error means nothing of the
// failing tenant was stored and the batches must not be acknowledged.
func (s *Stage) Commit(ctx context.Context, matches []detect.Match) ([]store.Alert, error) {
	byTenant := map[string][]detect.Match{}
	var tenants []string
	for _, m := range matches {
		if _, ok := byTenant[m.Tenant]; !ok {
			tenants = append(tenants, m.Tenant)
		}
		byTenant[m.Tenant] = append(byTenant[m.Tenant], m)
	}
	sort.Strings(tenants)
	var all []store.Alert
	for _, tenant := range tenants {
		stored, err := s.commitTenant(ctx, tenant, byTenant[tenant])
		if err != nil {
			return all, fmt.Errorf("tenant %s: %w", tenant, err)
		}
		all = append(all, stored...)
	}
	return all, nil
}

func (s *Stage) commitTenant(ctx context.Context, tenant string, matches []detect.Match) ([]store.Alert, error) {
	scope := s.state.Scope(tenant)
	now := s.now()
	active, err := scope.Suppressions().Active(ctx, now)
	if err != nil {
		return nil, fmt.Errorf("read suppressions: %w", err)
	}
	sup := newSuppressor(active)
	hits := map[string]int64{}
	hitAt := map[string]time.Time{}
	built := s.builder.NewSet()
	for _, m := range matches {
		entities := Entities(m)
		if id := sup.match(m, entities); id != "" {
			hits[id]++
			if m.Time.After(hitAt[id]) {
				hitAt[id] = m.Time
			}
			continue
		}
		built.add(m, entities)
	}
	alerts := built.Alerts(tenant)
	var stored []store.Alert
	err = scope.Alerts().Tx(ctx, func(tx store.AlertTx) error {
		var err error
		if stored, err = tx.Upsert(ctx, alerts, s.cfg.DedupWindow); err != nil {
			return err
		}
		for id, n := range hits {
			if err := tx.CountSuppressed(ctx, id, n, hitAt[id]); err != nil {
				return err
			}
		}
		var risk []store.Alert
		for _, a := range stored {
			if !a.Opened {
				continue
			}
			if err := tx.Enqueue(ctx, store.OutboxEvent{Kind: store.EventAlertOpened, Alert: a, CreatedAt: now}); err != nil {
				return err
			}
			r, err := s.addEntityRisk(ctx, tx, a, now)
			if err != nil {
				return err
			}
			risk = append(risk, r...)
		}
		stored = append(stored, risk...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	var suppressed int64
	for _, n := range hits {
		suppressed += n
	}
	if suppressed > 0 {
		s.suppressed.WithLabelValues(tenant).Add(float64(suppressed))
	}
	for _, a := range stored {
		if a.Opened {
			s.alerts.WithLabelValues("opened").Inc()
		} else {
			s.alerts.WithLabelValues("updated").Inc()
		}
	}
	return stored, nil
}

// addEntityRisk adds a new alert's risk to its entities and raises or
// updates the risk alert of each entity now over the threshold. Risk
// alerts add no risk themselves (no feedback loop).
func (s *Stage) addEntityRisk(ctx context.Context, tx store.AlertTx, a store.Alert, now time.Time) ([]store.Alert, error) {
	cfg := s.cfg.EntityRisk
	if a.Kind == store.KindRisk || cfg.Threshold <= 0 || len(cfg.Fields) == 0 {
		return nil, nil
	}
	fields := make([]string, 0, len(cfg.Fields))
	for f := range cfg.Fields {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	var raised []store.Alert
	for _, field := range fields {
		value := a.Entities[field]
		if value == "" {
			continue
		}
		typ := cfg.Fields[field]
		cur, err := tx.EntityRisk(ctx, typ, value)
		if err != nil && err != store.ErrNotFound {
			return nil, err
		}
		points := float64(a.RiskScore) * cfg.Weight
		cur.Type, cur.Value = typ, value
		cur.Score = Decay(cur.Score, cur.UpdatedAt, now, cfg.HalfLife) + points
		cur.UpdatedAt = now
		if err := tx.AddEntityRisk(ctx, cur, store.RiskContribution{AlertID: a.ID, RuleID: a.RuleID, Points: points,
			ScoreAfter: cur.Score, At: now}); err != nil {
			return nil, err
		}
		if cur.Score < cfg.Threshold {
			continue
		}
		contributing, err := s.contributors(ctx, tx, typ, value, a.ID, now)
		if err != nil {
			return nil, err
		}
		got, err := tx.Upsert(ctx, []store.Alert{riskAlert(field, typ, value, cur.Score, cfg.Threshold, contributing, now)},
			s.cfg.DedupWindow)
		if err != nil {
			return nil, err
		}
		r := got[0]
		if r.Opened {
			if err := tx.Enqueue(ctx, store.OutboxEvent{Kind: store.EventAlertOpened, Alert: r, CreatedAt: now}); err != nil {
				return nil, err
			}
		}
		cur.RiskAlertID = r.ID
		if err := tx.AddEntityRisk(ctx, cur, store.RiskContribution{}); err != nil {
			return nil, err
		}
		s.riskAlerts.Inc()
		raised = append(raised, r)
	}
	return raised, nil
}

// contributors are the alerts whose risk has not yet decayed below a
// sixteenth (four half-lives), plus the one that just added risk.
func (s *Stage) contributors(ctx context.Context, tx store.AlertTx, typ, value, latest string, now time.Time) ([]string, error) {
	since := time.Time{}
	if hl := s.cfg.EntityRisk.HalfLife; hl > 0 {
		since = now.Add(-4 * hl)
	}
	list, err := tx.RiskContributions(ctx, typ, value, since)
	if err != nil {
		return nil, err
	}
	ids := []string{}
	seen := map[string]bool{}
	for _, c := range list {
		if !seen[c.AlertID] {
			seen[c.AlertID] = true
			ids = append(ids, c.AlertID)
		}
	}
	if !seen[latest] {
		ids = append(ids, latest)
	}
	return ids, nil
}
