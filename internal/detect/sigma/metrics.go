package sigma

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/yagura-soc/yagura/internal/detect/correlate"
)

// Collectors returns Prometheus instruments that read the engine's
// counters: the compiled rule counts and the correlation state's firings,
// evictions and late observations. Register them on the server's registry.
func (e *Engine) Collectors() []prometheus.Collector {
	return Instruments(e.Stats, e.CorrelationStats)
}

// Instruments are the engine's Prometheus instruments reading stats and
// corr at every scrape, for a holder that swaps engines (live.Detector)
// to export under the same names.
func Instruments(stats func() Stats, corr func() correlate.Stats) []prometheus.Collector {
	counter := func(name, help string, read func(correlate.Stats) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(read(corr())) })
	}
	gauge := func(name, help string, read func(Stats) int) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return float64(read(stats())) })
	}
	return []prometheus.Collector{
		gauge("yagura_sigma_rules", "Sigma detection rules compiled into the engine.",
			func(s Stats) int { return s.Rules }),
		gauge("yagura_sigma_rules_unmapped", "Sigma rules whose logsource selects no event.",
			func(s Stats) int { return s.Unmapped }),
		counter("yagura_correlation_matches_total", "Correlation rule matches emitted.",
			func(s correlate.Stats) uint64 { return s.Fired }),
		counter("yagura_correlation_group_evictions_total", "Correlation groups evicted because a rule reached its group cap.",
			func(s correlate.Stats) uint64 { return s.GroupEvictions }),
		counter("yagura_correlation_entry_evictions_total", "Correlation observations dropped because a group reached its cap.",
			func(s correlate.Stats) uint64 { return s.EntryEvictions }),
		counter("yagura_correlation_late_total", "Observations older than their correlation group's window, ignored.",
			func(s correlate.Stats) uint64 { return s.Late }),
	}
}
