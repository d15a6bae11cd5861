package sigma

import "github.com/prometheus/client_golang/prometheus"

// Collectors returns Prometheus instruments that read the engine's
// counters: the compiled rule counts and the correlation state's firings,
// evictions and late observations. Register them on the server's registry.
func (e *Engine) Collectors() []prometheus.Collector {
	counter := func(name, help string, read func() uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(read()) })
	}
	gauge := func(name, help string, v int) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return float64(v) })
	}
	st := e.Stats()
	return []prometheus.Collector{
		gauge("yagura_sigma_rules", "Sigma detection rules compiled into the engine.", st.Rules),
		gauge("yagura_sigma_rules_unmapped", "Sigma rules whose logsource selects no event.", st.Unmapped),
		counter("yagura_correlation_matches_total", "Correlation rule matches emitted.",
			func() uint64 { return e.CorrelationStats().Fired }),
		counter("yagura_correlation_group_evictions_total", "Correlation groups evicted because a rule reached its group cap.",
			func() uint64 { return e.CorrelationStats().GroupEvictions }),
		counter("yagura_correlation_entry_evictions_total", "Correlation observations dropped because a group reached its cap.",
			func() uint64 { return e.CorrelationStats().EntryEvictions }),
		counter("yagura_correlation_late_total", "Observations older than their correlation group's window, ignored.",
			func() uint64 { return e.CorrelationStats().Late }),
	}
}
