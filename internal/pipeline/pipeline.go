// Package pipeline moves events from the sources to the stores:
//
//	Enqueue ──► [work queue] ──► workers: normalize ─► detect ──► [write queue] ──► writer: events + alerts ──► ack
//
// Both queues are bounded. When the stores are slow the write queue fills,
// the workers block, the work queue fills and Enqueue blocks: intake slows
// down, nothing is dropped. A batch is acknowledged (its Result delivered)
// only after its events are committed to the event store and the alerts
// they raised are committed to the state store, so an acknowledged event
// survives a kill -9. The writer groups whatever batches are waiting into
// one commit (group commit): the cost of durability is shared.
//
// The pipeline never reaches back upstream and never decides policy: what a
// record means is the normalizer's job, what is suspicious the detector's,
// how an alert is scored the alert package's.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/yagura-soc/yagura/internal/alert"
	"github.com/yagura-soc/yagura/internal/detect"
	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/metrics"
	"github.com/yagura-soc/yagura/internal/store"
)

// ErrClosed is returned by Enqueue once shutdown has begun.
var ErrClosed = errors.New("pipeline is shutting down")

// Item is one record as a source received it.
type Item struct {
	Data   []byte
	Format string // parser name; empty means auto-detect
	// Invalid, when set, says why the source could not even frame the
	// record (e.g. an NDJSON line that is not JSON). The record is stored
	// raw with this as its parse error, without trying the parsers.
	Invalid string
	// Truncated says the source cut the record at its maximum size; the
	// event gets event.truncated=true so nobody mistakes it for the whole.
	Truncated bool
	// Meta holds ECS fields the source knows about the record from its
	// envelope (an HEC event's host, an OTLP resource's service.name). The
	// normalizer's own values win over these.
	Meta event.Fields
	// Time is when the record happened according to its envelope (an HEC
	// event's time, an OTLP record's timestamp); zero when unknown. A
	// timestamp the parser finds in the record itself wins.
	Time time.Time
}

// Batch is what a source hands over in one call: records of one tenant
// from one source.
type Batch struct {
	Tenant   string
	Source   string
	Received time.Time
	Items    []Item
}

// ItemError reports an item that was stored raw because it could not be
// parsed. The item is not lost: it is searchable with its parse error.
type ItemError struct {
	Index int    `json:"index"`
	Error string `json:"error"`
}

// Result is the acknowledgement of a batch.
type Result struct {
	Accepted int         // items now durable (all of them, parse errors included)
	Errors   []ItemError // items stored raw with a parse error
	Err      error       // the batch is NOT durable; the source should retry
}

// Normalizer fills an event from a record: Fields, ECS, Timestamp. When the
// record cannot be parsed it sets ev.ParseError and keeps ev.Raw.
type Normalizer func(ev *event.Event, data []byte, format string)

// Config sizes the pipeline.
type Config struct {
	Workers        int // 0: one per CPU
	QueueBatches   int
	MaxWriteEvents int
	DedupWindow    time.Duration
	// Alerter, when set, commits the alerts of a group (suppression,
	// risk, entity risk, outbox); nil means plain dedup by fingerprint.
	Alerter Alerter
	// Enrich, when set, adds context to a batch's normalized events
	// before detection (asset criticality, …). It must not block on I/O
	// for long: workers wait for it.
	Enrich func(tenant string, evs []*event.Event)
}

// Alerter stores the alerts of a group's matches durably, or fails.
type Alerter interface {
	Commit(ctx context.Context, matches []detect.Match) ([]store.Alert, error)
}

// Pipeline is the running pipeline. Create it with New and stop it with Close.
type Pipeline struct {
	cfg       Config
	events    store.EventStore
	preparer  store.EventPreparer // events, when it can encode ahead of the writer
	state     store.State
	normalize Normalizer
	detector  detect.Detector
	metrics   *metrics.Metrics
	log       *slog.Logger
	now       func() time.Time

	work  chan *job
	write chan *job

	mu     sync.RWMutex // held for reading while enqueueing; Close takes it to close work
	closed bool
	done   chan struct{}
}

// job is a batch on its way through the stages.
type job struct {
	batch    Batch
	events   []*event.Event
	matches  []detect.Match
	errors   []ItemError
	prepared store.PreparedEvents // the events encoded for the store, by a worker
	failed   error                // the batch cannot be stored; it is answered with this
	result   chan Result
}

// New builds and starts a pipeline.
func New(cfg Config, events store.EventStore, state store.State, normalize Normalizer,
	detector detect.Detector, m *metrics.Metrics, log *slog.Logger) *Pipeline {
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.QueueBatches <= 0 {
		cfg.QueueBatches = 64
	}
	if cfg.MaxWriteEvents <= 0 {
		cfg.MaxWriteEvents = 20000
	}
	if detector == nil {
		detector = detect.Chain(nil)
	}
	p := &Pipeline{
		cfg: cfg, events: events, state: state, normalize: normalize, detector: detector,
		metrics: m, log: log, now: func() time.Time { return time.Now().UTC() },
		work:  make(chan *job, cfg.QueueBatches),
		write: make(chan *job, cfg.QueueBatches),
		done:  make(chan struct{}),
	}
	p.preparer, _ = events.(store.EventPreparer)
	m.QueueDepth("work", func() int { return len(p.work) })
	m.QueueDepth("write", func() int { return len(p.write) })
	var workers sync.WaitGroup
	for range cfg.Workers {
		workers.Add(1)
		go func() {
			defer workers.Done()
			p.runWorker()
		}()
	}
	go func() {
		workers.Wait()
		close(p.write)
	}()
	go p.runWriter()
	return p
}

// Enqueue hands a batch to the pipeline. It blocks while the work queue is
// full (backpressure) and returns a channel that delivers the Result once
// the batch is durable or has failed.
func (p *Pipeline) Enqueue(ctx context.Context, b Batch) (<-chan Result, error) {
	if b.Tenant == "" {
		return nil, errors.New("pipeline: batch without a tenant")
	}
	if b.Received.IsZero() {
		b.Received = p.now()
	}
	j := &job{batch: b, result: make(chan Result, 1)}
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return nil, ErrClosed
	}
	p.metrics.EventsIn.WithLabelValues(b.Source).Add(float64(len(b.Items)))
	// Room in the queue wins over a cancelled context, so that a caller
	// that must not wait (a UDP reader) can probe with a done context.
	select {
	case p.work <- j:
		return j.result, nil
	default:
	}
	select {
	case p.work <- j:
		return j.result, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Submit enqueues a batch and waits until it is durable.
func (p *Pipeline) Submit(ctx context.Context, b Batch) (Result, error) {
	ch, err := p.Enqueue(ctx, b)
	if err != nil {
		return Result{}, err
	}
	select {
	case r := <-ch:
		return r, r.Err
	case <-ctx.Done():
		// The batch stays in the pipeline and will be stored; the caller
		// just stops waiting for the acknowledgement.
		return Result{}, ctx.Err()
	}
}

// Close stops intake, lets every queued batch reach the stores and waits
// for that (or for ctx to end).
func (p *Pipeline) Close(ctx context.Context) error {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		close(p.work)
	}
	p.mu.Unlock()
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("pipeline: drain interrupted: %w", ctx.Err())
	}
}

func (p *Pipeline) runWorker() {
	for j := range p.work {
		p.process(j)
		p.write <- j
	}
}

// process normalizes and detects one batch.
func (p *Pipeline) process(j *job) {
	b := j.batch
	j.events = make([]*event.Event, len(b.Items))
	for i, it := range b.Items {
		ev := &event.Event{
			Tenant: b.Tenant, ID: ulid.Make().String(), Ingested: b.Received,
			Source: b.Source, Raw: string(it.Data),
		}
		if it.Invalid != "" {
			ev.ParseError = it.Invalid
		} else {
			p.normalize(ev, it.Data, it.Format)
		}
		for k, v := range it.Meta {
			if _, ok := ev.ECS[k]; !ok {
				ev.SetECS(k, v)
			}
		}
		if it.Truncated {
			ev.SetECS("event.truncated", true)
		}
		if ev.Timestamp.IsZero() {
			ev.Timestamp = it.Time
		}
		if ev.Timestamp.IsZero() {
			ev.Timestamp = b.Received
		}
		ev.Timestamp = ev.Timestamp.UTC()
		if ev.ParseError != "" {
			j.errors = append(j.errors, ItemError{Index: i, Error: ev.ParseError})
		}
		j.events[i] = ev
	}
	if len(j.errors) > 0 {
		p.metrics.ParseErrors.WithLabelValues(b.Source).Add(float64(len(j.errors)))
	}
	p.metrics.EventsOut.WithLabelValues("normalized").Add(float64(len(j.events)))
	if p.cfg.Enrich != nil {
		p.cfg.Enrich(b.Tenant, j.events)
	}

	start := time.Now()
	for _, ev := range j.events {
		j.matches = p.detector.Detect(ev, j.matches)
	}
	p.metrics.RuleEval.Observe(time.Since(start).Seconds())
	p.metrics.EventsOut.WithLabelValues("detected").Add(float64(len(j.events)))
	p.metrics.Matches.Add(float64(len(j.matches)))

	if p.preparer != nil {
		if j.prepared, j.failed = p.preparer.Prepare(j.events); j.failed != nil {
			p.log.Error("events could not be encoded for the store; batch not acknowledged", "source", b.Source, "err", j.failed)
		}
	}
}

// runWriter commits waiting batches together and acknowledges them.
func (p *Pipeline) runWriter() {
	defer close(p.done)
	for first := range p.write {
		group := []*job{first}
		n := len(first.events)
	gather:
		for n < p.cfg.MaxWriteEvents {
			select {
			case j, ok := <-p.write:
				if !ok {
					break gather
				}
				group = append(group, j)
				n += len(j.events)
			default:
				break gather
			}
		}
		group, failed := splitFailed(group)
		for _, j := range failed {
			j.result <- Result{Err: fmt.Errorf("store events: %w", j.failed)}
		}
		if len(group) == 0 {
			continue
		}
		err := p.commit(group)
		for _, j := range group {
			r := Result{Accepted: len(j.events), Errors: j.errors, Err: err}
			if err != nil {
				r.Accepted, r.Errors = 0, nil
			} else {
				p.metrics.IngestLatency.Observe(p.now().Sub(j.batch.Received).Seconds())
			}
			j.result <- r
		}
	}
}

// splitFailed separates the jobs a worker could not prepare for the store;
// the rest are committed together. Their matches go with them: an alert
// must never point at an event that is not stored.
func splitFailed(group []*job) (ok, failed []*job) {
	for _, j := range group {
		if j.failed != nil {
			failed = append(failed, j)
		} else {
			ok = append(ok, j)
		}
	}
	return ok, failed
}

// commit writes a group's events, then its alerts. Events first: an alert
// must never point at an event that is not stored.
func (p *Pipeline) commit(group []*job) error {
	ctx := context.Background()
	var matches []detect.Match
	n := 0
	for _, j := range group {
		matches = append(matches, j.matches...)
		n += len(j.events)
	}
	start := time.Now()
	stored, err := p.appendEvents(ctx, group, n)
	if err != nil {
		p.log.Error("event store write failed; batches not acknowledged", "events", n, "err", err)
		return fmt.Errorf("store events: %w", err)
	}
	p.metrics.StoreWrite.WithLabelValues("events").Observe(time.Since(start).Seconds())
	p.metrics.EventsOut.WithLabelValues("stored").Add(float64(stored))
	if len(matches) == 0 {
		return nil
	}
	start = time.Now()
	if p.cfg.Alerter != nil {
		stored, err := p.cfg.Alerter.Commit(ctx, matches)
		if err != nil {
			p.log.Error("alert store write failed; batches not acknowledged", "err", err)
			return fmt.Errorf("store alerts: %w", err)
		}
		for _, a := range stored {
			p.metrics.Alerts.WithLabelValues(a.Severity).Inc()
		}
		p.metrics.StoreWrite.WithLabelValues("alerts").Observe(time.Since(start).Seconds())
		return nil
	}
	for tenant, alerts := range alert.FromMatches(matches) {
		stored, err := p.state.Scope(tenant).Alerts().Upsert(ctx, alerts, p.cfg.DedupWindow)
		if err != nil {
			p.log.Error("alert store write failed; batches not acknowledged", "tenant", tenant, "err", err)
			return fmt.Errorf("store alerts: %w", err)
		}
		for _, a := range stored {
			p.metrics.Alerts.WithLabelValues(a.Severity).Inc()
		}
	}
	p.metrics.StoreWrite.WithLabelValues("alerts").Observe(time.Since(start).Seconds())
	return nil
}

// appendEvents stores a group's events in one transaction, as the workers
// prepared them when the store can prepare.
func (p *Pipeline) appendEvents(ctx context.Context, group []*job, n int) (int, error) {
	if p.preparer != nil {
		batches := make([]store.PreparedEvents, 0, len(group))
		stored := 0
		for _, j := range group {
			batches = append(batches, j.prepared)
			stored += j.prepared.Len()
		}
		return stored, p.preparer.AppendPrepared(ctx, batches)
	}
	all := make([]*event.Event, 0, n)
	for _, j := range group {
		all = append(all, j.events...)
	}
	return len(all), p.events.Append(ctx, all)
}
