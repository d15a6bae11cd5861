package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/yagura-soc/yagura/internal/demo"
	"github.com/yagura-soc/yagura/internal/detect/live"
	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/metrics"
	"github.com/yagura-soc/yagura/internal/normalize"
	"github.com/yagura-soc/yagura/internal/store/duckdb"
)

// demoLines renders n records of the demo company's traffic.
func demoLines(n int) [][]byte {
	g := demo.New(7, time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC), demo.WithRate(2000))
	t := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	var out [][]byte
	for len(out) < n {
		t = t.Add(time.Second)
		for _, r := range g.Next(t) {
			out = append(out, []byte(r.Line))
		}
	}
	return out[:n]
}

// BenchmarkNormalize is parse + normalize of demo traffic, per event.
func BenchmarkNormalize(b *testing.B) {
	lines := demoLines(10000)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		ev := &event.Event{Tenant: "default", ID: ulid.Make().String()}
		normalize.Event(ev, lines[i%len(lines)], "")
	}
}

// BenchmarkEventStoreAppend is a durable append of 5,000-event batches.
func BenchmarkEventStoreAppend(b *testing.B) {
	s, err := duckdb.Open(context.Background(), filepath.Join(b.TempDir(), "e.duckdb"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	lines := demoLines(5000)
	batch := make([]*event.Event, len(lines))
	now := time.Now().UTC()
	for i, l := range lines {
		ev := &event.Event{Tenant: "default", ID: ulid.Make().String(), Ingested: now}
		normalize.Event(ev, l, "")
		batch[i] = ev
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		for j, ev := range batch {
			ev.ID = fmt.Sprintf("%d-%d", i, j)
		}
		if err := s.Append(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkProcess is a worker's share of the pipeline for 1,000-record
// batches of demo traffic: normalize, detect with the built-in pack,
// encode for DuckDB and build the token filter. "lines" leaves out the
// Windows JSON records (the line-shaped sources only).
func BenchmarkProcess(b *testing.B) {
	s, err := duckdb.Open(context.Background(), filepath.Join(b.TempDir(), "e.duckdb"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	rules, _, err := live.New(live.Config{Builtin: true})
	if err != nil {
		b.Fatal(err)
	}
	all := demoLines(40000)
	var lines [][]byte
	for _, l := range all {
		if l[0] != '{' {
			lines = append(lines, l)
		}
	}
	p := &Pipeline{normalize: normalize.Event, detector: rules, metrics: metrics.New(),
		log: slog.New(slog.DiscardHandler), preparer: s}
	for _, mix := range []struct {
		name    string
		records [][]byte
	}{{"mix", all}, {"lines", lines}} {
		b.Run(mix.name, func(b *testing.B) {
			const batch = 1000
			for i := 0; b.Loop(); i++ {
				items := make([]Item, batch)
				for k := range items {
					items[k] = Item{Data: mix.records[(i*batch+k)%len(mix.records)]}
				}
				p.process(&job{batch: Batch{Tenant: "default", Source: "http", Received: time.Now().UTC(), Items: items}})
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
