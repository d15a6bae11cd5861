package server

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/yagura-soc/yagura/internal/alert"
	"github.com/yagura-soc/yagura/internal/config"
	"github.com/yagura-soc/yagura/internal/metrics"
	"github.com/yagura-soc/yagura/internal/notify"
	"github.com/yagura-soc/yagura/internal/notify/connectors"
	"github.com/yagura-soc/yagura/internal/store"
)

// alerting is the alert stage the pipeline commits through and the
// dispatcher that works the notification outbox.
type alerting struct {
	stage      *alert.Stage
	dispatcher *notify.Dispatcher
	kinds      map[string]notify.Kind
}

func newAlerting(cfg config.Alerts, state store.State, m *metrics.Metrics, log *slog.Logger) alerting {
	er := alert.EntityRiskConfig{HalfLife: time.Duration(cfg.EntityRisk.HalfLife), Threshold: cfg.EntityRisk.Threshold,
		Weight: cfg.EntityRisk.Weight, Fields: cfg.EntityRisk.Fields}
	risk := alert.DefaultRisk().Merge(alert.RiskConfig{Levels: cfg.Risk.Levels, Criticality: cfg.Risk.Criticality,
		IntelWeight: cfg.Risk.IntelWeight, Tactics: cfg.Risk.Tactics})
	stage := alert.NewStage(alert.Config{DedupWindow: time.Duration(cfg.DedupWindow), GroupBy: cfg.GroupBy,
		Risk: risk, EntityRisk: er}, state, m.Registry, log)
	esc := map[string]time.Duration{}
	for sev, d := range cfg.Escalation {
		esc[sev] = time.Duration(d)
	}
	n := cfg.Notify
	kinds := connectors.Kinds()
	d := notify.New(notify.Config{Interval: time.Duration(n.Interval), MaxAttempts: n.MaxAttempts,
		Backoff: time.Duration(n.Backoff), MaxBackoff: time.Duration(n.MaxBackoff), Timeout: time.Duration(n.Timeout),
		Workers: n.Workers, Escalation: esc}, state, kinds, notify.Deps{HTTP: &http.Client{}}, m.Registry, log)
	return alerting{stage: stage, dispatcher: d, kinds: kinds}
}
