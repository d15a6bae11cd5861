// Package ingesttest holds what the source packages' tests share: a real
// pipeline over real stores (optionally behind a gate that plays a stalled
// disk), a throwaway certificate authority, and runners for the real
// clients (rsyslogd, syslog-ng) the tests drive. It is imported by tests
// only and must never be used by production code.
package ingesttest

import (
	"context"
	"io"
	"log/slog"
	"os/exec"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/metrics"
	"github.com/yagura-soc/yagura/internal/pipeline"
	"github.com/yagura-soc/yagura/internal/store"
	"github.com/yagura-soc/yagura/internal/store/embeddedtest"
)

// RawOnly keeps the record as its message; parsing is tested elsewhere.
func RawOnly(ev *event.Event, data []byte, _ string) {
	ev.ECS = event.Fields{"message": string(data)}
}

// Env is a pipeline writing to real DuckDB and SQLite stores.
type Env struct {
	Pipeline *pipeline.Pipeline
	Events   store.EventStore
	State    store.State
	Metrics  *metrics.Metrics
	Log      *slog.Logger

	gate     chan struct{}
	openOnce sync.Once
}

// Options size the pipeline of an Env.
type Options struct {
	// Stalled starts the event store blocked until Release is called.
	Stalled      bool
	QueueBatches int
	Workers      int
}

// New starts an Env; it is closed when the test ends.
func New(t testing.TB, o Options) *Env {
	t.Helper()
	evs, st := embeddedtest.Open(t)
	e := &Env{Events: evs, State: st, Metrics: metrics.New(), gate: make(chan struct{}),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if !o.Stalled {
		e.Release()
	}
	if o.Workers == 0 {
		o.Workers = 2
	}
	e.Pipeline = pipeline.New(pipeline.Config{Workers: o.Workers, QueueBatches: o.QueueBatches, MaxWriteEvents: 1000},
		&gatedStore{EventStore: evs, gate: e.gate}, st, RawOnly, nil, e.Metrics, e.Log)
	t.Cleanup(func() {
		e.Release()
		e.Pipeline.Close(context.Background())
		evs.Close()
		st.Close()
	})
	return e
}

// Release lets a stalled store write again.
func (e *Env) Release() { e.openOnce.Do(func() { close(e.gate) }) }

type gatedStore struct {
	store.EventStore
	gate chan struct{}
}

func (g *gatedStore) Append(ctx context.Context, evs []*event.Event) error {
	<-g.gate
	return g.EventStore.Append(ctx, evs)
}

// Stored returns the raw text of every event of tenant, sorted.
func (e *Env) Stored(t testing.TB, tenant string) []string {
	t.Helper()
	page, err := e.Events.Search(context.Background(), store.EventQuery{Tenant: tenant, Limit: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, 0, len(page.Items))
	for _, ev := range page.Items {
		out = append(out, ev.Raw)
	}
	sort.Strings(out)
	return out
}

// StoredEvents returns the events of tenant.
func (e *Env) StoredEvents(t testing.TB, tenant string) []*event.Event {
	t.Helper()
	page, err := e.Events.Search(context.Background(), store.EventQuery{Tenant: tenant, Limit: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	return page.Items
}

// Count is how many events tenant has.
func (e *Env) Count(t testing.TB, tenant string) int {
	t.Helper()
	page, err := e.Events.Search(context.Background(), store.EventQuery{Tenant: tenant, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	return page.Total
}

// WaitFor polls cond until it holds or a generous deadline passes. It
// never asserts speed: the deadline only keeps a broken test from hanging.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Need fails the test when a real client is not installed, naming how to
// install it: these tests are the point, they are never skipped silently.
func Need(t testing.TB, cmd, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(cmd)
	if err != nil {
		t.Fatalf("%s is required (%s; run scripts/install-deps.sh as root, which `make test` does)", cmd, pkg)
	}
	return p
}
