// Package metrics holds Yagura's Prometheus instruments. There is no
// global registry: the server builds one Metrics and hands it to every
// stage, so tests can run several servers in one process.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the instruments every stage reports to.
type Metrics struct {
	Registry *prometheus.Registry

	EventsIn      *prometheus.CounterVec   // by source
	EventsOut     *prometheus.CounterVec   // by stage: normalized, detected, stored
	ParseErrors   *prometheus.CounterVec   // by source
	StoreWrite    *prometheus.HistogramVec // by store: events, alerts
	RuleEval      prometheus.Histogram     // seconds per batch in the detectors
	IngestLatency prometheus.Histogram     // receipt → durable, per batch
	Matches       prometheus.Counter
	Alerts        *prometheus.CounterVec // alerts opened or updated, by severity
	UDPDropped    prometheus.Counter
	HTTPRequests  *prometheus.CounterVec // by route and code
}

var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// New creates and registers the instruments.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		EventsIn: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yagura_events_received_total", Help: "Events received, by source.",
		}, []string{"source"}),
		EventsOut: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yagura_events_processed_total", Help: "Events that left a pipeline stage, by stage.",
		}, []string{"stage"}),
		ParseErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yagura_parse_errors_total", Help: "Events stored raw because no parser could read them, by source.",
		}, []string{"source"}),
		StoreWrite: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "yagura_store_write_seconds", Help: "Duration of one durable store write, by store.", Buckets: latencyBuckets,
		}, []string{"store"}),
		RuleEval: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "yagura_rule_evaluation_seconds", Help: "Time the detectors spent on one batch.", Buckets: latencyBuckets,
		}),
		IngestLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "yagura_ingest_latency_seconds", Help: "From receipt of a batch to its events being durable.", Buckets: latencyBuckets,
		}),
		Matches: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "yagura_detection_matches_total", Help: "Rule matches produced by the detectors.",
		}),
		Alerts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yagura_alerts_total", Help: "Alerts opened or updated by detections, by severity.",
		}, []string{"severity"}),
		UDPDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "yagura_syslog_udp_dropped_total", Help: "Syslog datagrams lost: dropped by the kernel for a full socket buffer, or because the pipeline was full.",
		}),
		HTTPRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yagura_http_requests_total", Help: "HTTP requests, by route and status code.",
		}, []string{"route", "code"}),
	}
	m.Registry.MustRegister(m.EventsIn, m.EventsOut, m.ParseErrors, m.StoreWrite, m.RuleEval,
		m.IngestLatency, m.Matches, m.Alerts, m.UDPDropped, m.HTTPRequests,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// QueueDepth registers a gauge that reads a queue's length when scraped.
func (m *Metrics) QueueDepth(queue string, depth func() int) {
	m.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "yagura_queue_depth", Help: "Batches waiting in a pipeline queue.",
		ConstLabels: prometheus.Labels{"queue": queue},
	}, func() float64 { return float64(depth()) }))
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
}
