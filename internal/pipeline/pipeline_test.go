package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/detect"
	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/metrics"
	"github.com/yagura-soc/yagura/internal/store"
	"github.com/yagura-soc/yagura/internal/store/embeddedtest"
)

// jsonNormalizer reads flat JSON objects; anything else is a parse error.
func jsonNormalizer(ev *event.Event, data []byte, _ string) {
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		ev.ParseError = "not a JSON object: " + err.Error()
		return
	}
	ev.Fields = m
	ev.ECS = event.Fields{"host.name": m["host"]}
}

// flagDetector matches events whose "bad" field is true.
type flagDetector struct{}

func (flagDetector) Detect(ev *event.Event, out []detect.Match) []detect.Match {
	if v, _ := ev.Get("bad"); v == true {
		out = append(out, detect.Match{Tenant: ev.Tenant, RuleID: "r-bad", RuleTitle: "Bad", Level: "high",
			Time: ev.Timestamp, Events: []*event.Event{ev}})
	}
	return out
}

// gatedStore is the real DuckDB store behind a gate that tests close to
// play a slow disk.
type gatedStore struct {
	store.EventStore
	gate chan struct{}
}

func (g *gatedStore) Append(ctx context.Context, evs []*event.Event) error {
	<-g.gate
	return g.EventStore.Append(ctx, evs)
}

type fixture struct {
	events store.EventStore
	state  store.State
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	ev, st := embeddedtest.Open(t)
	return fixture{ev, st}
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func batchOf(n, offset int) Batch {
	b := Batch{Tenant: store.DefaultTenant, Source: "test"}
	for i := range n {
		b.Items = append(b.Items, Item{Data: fmt.Appendf(nil, `{"host":"h%d","bad":%v}`, offset+i, (offset+i)%10 == 0)})
	}
	return b
}

func countStored(t *testing.T, s store.EventStore) int {
	t.Helper()
	page, err := s.Search(context.Background(), store.EventQuery{Tenant: store.DefaultTenant, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	return page.Total
}

func TestSubmitStoresEventsAndAlerts(t *testing.T) {
	f := newFixture(t)
	p := New(Config{Workers: 2, DedupWindow: time.Hour}, f.events, f.state, jsonNormalizer, flagDetector{}, metrics.New(), quietLog())
	b := batchOf(20, 0)
	b.Items = append(b.Items, Item{Data: []byte("not json at all")})
	res, err := p.Submit(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted != 21 || len(res.Errors) != 1 || res.Errors[0].Index != 20 {
		t.Fatalf("result = %+v", res)
	}
	if got := countStored(t, f.events); got != 21 {
		t.Errorf("stored %d events, want 21 (the unparseable one kept raw)", got)
	}
	page, _ := f.events.Search(context.Background(), store.EventQuery{Tenant: store.DefaultTenant, Terms: []store.Term{{Value: "not json"}}})
	if page.Total != 1 || page.Items[0].ParseError == "" || page.Items[0].Raw != "not json at all" {
		t.Errorf("raw event = %+v", page.Items)
	}
	alerts, total, err := f.state.Scope(store.DefaultTenant).Alerts().List(context.Background(), store.AlertFilter{})
	if err != nil || total != 2 { // h0 and h10: distinct hosts, distinct fingerprints
		t.Fatalf("alerts = %d, %v", total, err)
	}
	for _, a := range alerts {
		if a.RuleID != "r-bad" || a.Severity != "high" || len(a.EventIDs) != 1 {
			t.Errorf("alert = %+v", a)
		}
	}
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Enqueue(context.Background(), batchOf(1, 0)); !errors.Is(err, ErrClosed) {
		t.Errorf("Enqueue after Close = %v, want ErrClosed", err)
	}
}

// A slow store must slow intake down, never drop: Enqueue blocks once the
// bounded queues are full, and everything accepted is stored once the
// store catches up.
func TestBackpressureBlocksInsteadOfDropping(t *testing.T) {
	f := newFixture(t)
	gated := &gatedStore{EventStore: f.events, gate: make(chan struct{})}
	const queue, workers = 2, 1
	p := New(Config{Workers: workers, QueueBatches: queue, MaxWriteEvents: 10}, gated, f.state, jsonNormalizer, nil, metrics.New(), quietLog())

	var results []<-chan Result
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		ch, err := p.Enqueue(ctx, batchOf(10, len(results)*10))
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, ch)
		// Capacity: the writer's batch, the write queue, one per worker,
		// the work queue. More accepted means a queue is not bounded.
		if len(results) > 1+queue+workers+queue {
			t.Fatalf("accepted %d batches with the store stalled: queues are not bounded", len(results))
		}
	}
	if len(results) < 1+queue+workers {
		t.Fatalf("accepted only %d batches before blocking", len(results))
	}
	for _, ch := range results {
		select {
		case r := <-ch:
			t.Fatalf("batch acknowledged before it was durable: %+v", r)
		default:
		}
	}
	close(gated.gate)
	for i, ch := range results {
		if r := <-ch; r.Err != nil || r.Accepted != 10 {
			t.Errorf("batch %d: %+v", i, r)
		}
	}
	if got, want := countStored(t, f.events), 10*len(results); got != want {
		t.Errorf("stored %d events, want %d", got, want)
	}
	p.Close(context.Background())
}

// Close drains: every batch enqueued before Close is stored and answered.
func TestCloseDrainsInFlightBatches(t *testing.T) {
	f := newFixture(t)
	p := New(Config{Workers: 2, QueueBatches: 8}, f.events, f.state, jsonNormalizer, nil, metrics.New(), quietLog())
	var wg sync.WaitGroup
	var mu sync.Mutex
	acked := 0
	for i := range 8 {
		ch, err := p.Enqueue(context.Background(), batchOf(50, i*50))
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := <-ch; r.Err == nil {
				mu.Lock()
				acked += r.Accepted
				mu.Unlock()
			}
		}()
	}
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if acked != 400 || countStored(t, f.events) != 400 {
		t.Errorf("acked %d, stored %d; want 400 each", acked, countStored(t, f.events))
	}
}

// failingStore refuses every write, as a full disk would.
type failingStore struct{ store.EventStore }

func (failingStore) Append(context.Context, []*event.Event) error { return errors.New("disk full") }

func TestStoreFailureIsNotAcknowledged(t *testing.T) {
	f := newFixture(t)
	p := New(Config{Workers: 1}, failingStore{f.events}, f.state, jsonNormalizer, nil, metrics.New(), quietLog())
	defer p.Close(context.Background())
	res, err := p.Submit(context.Background(), batchOf(3, 0))
	if err == nil || res.Accepted != 0 {
		t.Fatalf("Submit = %+v, %v; want an error and nothing accepted", res, err)
	}
}

// unencodableStore is the real DuckDB store whose Prepare refuses batches
// holding a poisoned record, as an encoder meeting a value it cannot write
// would.
type unencodableStore struct {
	store.EventStore
	store.EventPreparer
}

func (u unencodableStore) Prepare(evs []*event.Event) (store.PreparedEvents, error) {
	for _, ev := range evs {
		if ev.Fields["host"] == "poison" {
			return nil, errors.New("cannot encode")
		}
	}
	return u.EventPreparer.Prepare(evs)
}

// A batch the store cannot encode is refused, with its alerts; the batches
// committed beside it are stored and acknowledged.
func TestUnencodableBatchFailsAlone(t *testing.T) {
	f := newFixture(t)
	s := unencodableStore{f.events, f.events.(store.EventPreparer)}
	p := New(Config{Workers: 1, DedupWindow: time.Hour}, s, f.state, jsonNormalizer, flagDetector{}, metrics.New(), quietLog())
	defer p.Close(context.Background())
	poisoned := batchOf(10, 0) // h0 raises an alert
	poisoned.Items = append(poisoned.Items, Item{Data: []byte(`{"host":"poison"}`)})
	bad, err := p.Enqueue(context.Background(), poisoned)
	if err != nil {
		t.Fatal(err)
	}
	good, err := p.Enqueue(context.Background(), batchOf(10, 10)) // h10 raises an alert
	if err != nil {
		t.Fatal(err)
	}
	if r := <-bad; r.Err == nil || r.Accepted != 0 {
		t.Errorf("poisoned batch = %+v, want an error and nothing accepted", r)
	}
	if r := <-good; r.Err != nil || r.Accepted != 10 {
		t.Errorf("good batch = %+v, want 10 accepted", r)
	}
	if got := countStored(t, f.events); got != 10 {
		t.Errorf("stored %d events, want the good batch's 10", got)
	}
	alerts, _, err := f.state.Scope(store.DefaultTenant).Alerts().List(context.Background(), store.AlertFilter{})
	if err != nil || len(alerts) != 1 || alerts[0].Entities["host.name"] != "h10" {
		t.Errorf("alerts = %+v, %v; want only the good batch's h10", alerts, err)
	}
}
