// Command huntgen fills an embedded event store with demo traffic for the
// hunting benchmark (bench/hunt.sh): the demo generator's company, replayed
// in simulated time (no waiting), each line parsed and normalized as the
// pipeline does (native fields, ECS fields, typed columns) and appended
// straight to DuckDB, so queries and retro-hunts read rows of the size and
// shape a real installation stores. It skips detection and the alert store.
// It must never be used to seed a real installation.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/yagura-soc/yagura/internal/demo"
	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/normalize"
	"github.com/yagura-soc/yagura/internal/store/duckdb"
)

func main() {
	path := flag.String("db", "bench-data/events.duckdb", "DuckDB file to create")
	total := flag.Int("events", 10_000_000, "number of events to store")
	rate := flag.Float64("rate", 8, "demo background rate at the busiest hour (events/s)")
	tenant := flag.String("tenant", "default", "tenant that owns the events")
	flag.Parse()

	ctx := context.Background()
	st, err := duckdb.Open(ctx, *path)
	if err != nil {
		log.Fatal(err)
	}
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	gen := demo.New(42, start, demo.WithRate(*rate))
	batch := make([]*event.Event, 0, 50_000)
	n, began := 0, time.Now()
	flush := func() {
		if err := st.Append(ctx, batch); err != nil {
			log.Fatal(err)
		}
		batch = batch[:0]
	}
	for now := start; n < *total; now = now.Add(time.Minute) {
		for _, r := range gen.Next(now) {
			if n >= *total {
				break
			}
			batch = append(batch, toEvent(*tenant, r))
			n++
			if len(batch) == cap(batch) {
				flush()
			}
		}
		if n%1_000_000 < 2000 && len(batch) == 0 {
			fmt.Fprintf(os.Stderr, "%d events, simulated %s, %s\n", n, now.Format(time.DateTime), time.Since(began).Round(time.Second))
		}
	}
	flush()
	if err := st.Close(); err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "stored %d events in %s\n", n, time.Since(began).Round(time.Second))
}

func toEvent(tenant string, r demo.Record) *event.Event {
	ev := &event.Event{Tenant: tenant, ID: ulid.Make().String(), Ingested: r.Time.Add(time.Second), Source: "demo", Raw: r.Line}
	normalize.Event(ev, []byte(r.Line), "")
	if ev.Timestamp.IsZero() {
		ev.Timestamp = r.Time
	}
	ev.Timestamp = ev.Timestamp.UTC()
	if r.Story != "" {
		if ev.Fields == nil {
			ev.Fields = event.Fields{}
		}
		ev.Fields["demo.story"] = r.Story
	}
	return ev
}
