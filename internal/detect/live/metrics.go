package live

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/yagura-soc/yagura/internal/detect/sigma"
)

// Collectors returns the engine's Prometheus instruments (the same names
// as sigma.Engine.Collectors) made to survive reloads: gauges read the
// running engine, counters add the replaced engines' totals. It adds the
// reload outcomes and the matches dropped for disabled rules.
func (d *Detector) Collectors() []prometheus.Collector {
	reloads := func(result string, read func() uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "yagura_sigma_reloads_total",
			Help: "Rule reloads, by result: applied, or refused (the running rules stayed).", ConstLabels: prometheus.Labels{"result": result}},
			func() float64 { return float64(read()) })
	}
	return append(sigma.Instruments(func() sigma.Stats { return d.Engine().Stats() }, d.CorrelationStats),
		reloads("applied", d.applied.Load),
		reloads("refused", d.refused.Load),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "yagura_sigma_disabled_matches_total",
			Help: "Matches dropped because the tenant disabled the rule."}, func() float64 { return float64(d.dropped.Load()) }),
	)
}
