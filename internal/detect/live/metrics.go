package live

import "github.com/prometheus/client_golang/prometheus"

// Collectors returns the engine's Prometheus instruments (the same names
// as sigma.Engine.Collectors) made to survive reloads: gauges read the
// running engine, counters add the replaced engines' totals. It adds the
// reload outcomes and the matches dropped for disabled rules.
func (d *Detector) Collectors() []prometheus.Collector {
	counter := func(name, help string, read func() uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(read()) })
	}
	gauge := func(name, help string, read func() int) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return float64(read()) })
	}
	reloads := func(result string, read func() uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "yagura_sigma_reloads_total",
			Help: "Rule reloads, by result: applied, or refused (the running rules stayed).", ConstLabels: prometheus.Labels{"result": result}},
			func() float64 { return float64(read()) })
	}
	return []prometheus.Collector{
		gauge("yagura_sigma_rules", "Sigma detection rules compiled into the engine.",
			func() int { return d.Engine().Stats().Rules }),
		gauge("yagura_sigma_rules_unmapped", "Sigma rules whose logsource selects no event.",
			func() int { return d.Engine().Stats().Unmapped }),
		counter("yagura_correlation_matches_total", "Correlation rule matches emitted.",
			func() uint64 { return d.CorrelationStats().Fired }),
		counter("yagura_correlation_group_evictions_total", "Correlation groups evicted because a rule reached its group cap.",
			func() uint64 { return d.CorrelationStats().GroupEvictions }),
		counter("yagura_correlation_entry_evictions_total", "Correlation observations dropped because a group reached its cap.",
			func() uint64 { return d.CorrelationStats().EntryEvictions }),
		counter("yagura_correlation_late_total", "Observations older than their correlation group's window, ignored.",
			func() uint64 { return d.CorrelationStats().Late }),
		reloads("applied", d.applied.Load),
		reloads("refused", d.refused.Load),
		counter("yagura_sigma_disabled_matches_total", "Matches dropped because the tenant disabled the rule.", d.dropped.Load),
	}
}
