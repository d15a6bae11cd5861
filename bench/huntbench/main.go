// Command huntbench measures hunting queries on an event store filled by
// bench/huntgen (see bench/hunt.sh and docs/performance.md, "Hunting").
// Each query runs as the API runs it (hunt.Run, count included), several
// times; the report gives p50 and p95 per query class.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"sort"
	"strings"
	"time"

	"github.com/yagura-soc/yagura/bench/internal/procstat"
	"github.com/yagura-soc/yagura/internal/config"
	"github.com/yagura-soc/yagura/internal/demo"
	"github.com/yagura-soc/yagura/internal/detect/builtin"
	"github.com/yagura-soc/yagura/internal/detect/sigma"
	"github.com/yagura-soc/yagura/internal/hunt"
	"github.com/yagura-soc/yagura/internal/store/duckdb"
)

type class struct {
	name    string
	queries []string
	extras  bool // histogram and field summaries too, as the search page asks
}

func main() {
	path := flag.String("db", "bench-data/events.duckdb", "DuckDB file written by huntgen")
	tenant := flag.String("tenant", "default", "tenant")
	runs := flag.Int("runs", 5, "runs of each query")
	rare := flag.String("rare", "", "a rare token for the full-text search")
	only := flag.String("only", "", "run only the class whose name starts with this")
	retro := flag.Bool("retro", false, "also run a Sigma retro-hunt of the built-in pack over the whole store")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the Go side to this file")
	memoryLimit := flag.String("memory-limit", config.Default().Events.MemoryLimit, "DuckDB's memory cap, as yagura's events.memory_limit (\"\": DuckDB's default)")
	flag.Parse()
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(hunt.GCPercent) // as yagura hunt runs
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	ctx := context.Background()
	es, err := duckdb.OpenWith(ctx, *path, duckdb.Options{MemoryLimit: *memoryLimit})
	if err != nil {
		log.Fatal(err)
	}
	defer es.Close()
	parts, err := es.Partitions(ctx, *tenant)
	if err != nil || len(parts) == 0 {
		log.Fatalf("no partitions for %s: %v", *tenant, err)
	}
	var total int64
	for _, p := range parts {
		total += p.Events
	}
	from, to := parts[0].Day, parts[len(parts)-1].Day.Add(24*time.Hour)
	fmt.Printf("store: %d events in %d daily partitions, %s to %s\n\n", total, len(parts), from.Format("2006-01-02"), to.Format("2006-01-02"))

	// A store written before the token index existed gets its blocks
	// here, once (later runs find every row covered).
	start, cpu0 := time.Now(), procstat.SelfCPU()
	indexed, err := es.IndexTokens(ctx, 0)
	if err != nil {
		log.Fatal(err)
	}
	if indexed > 0 {
		fmt.Printf("token index: built for %d rows in %s (CPU %s)\n\n", indexed, time.Since(start).Round(time.Millisecond), (procstat.SelfCPU() - cpu0).Round(time.Millisecond))
	}

	classes := []class{
		{name: "filter + stats count() by", queries: []string{
			"event.dataset:linux.auth | stats count() by host.name",
			"event.dataset:windows.security | stats count() by user.name",
			"user.name:root | stats count() by host.name",
			"source.ip:192.0.2.0/24 | stats count() by event.dataset",
			"host.name:web-01 | stats count() by source.ip | sort -count | head 10",
			"event.dataset:web.access http.response.status_code:>=400 | stats count() by source.ip",
			"| stats count() by event.dataset",
		}},
		{name: "rare-token full-text search", queries: []string{*rare}, extras: true},
	}
	for _, c := range classes {
		if c.queries[0] == "" || (*only != "" && !strings.HasPrefix(c.name, *only)) {
			continue
		}
		var all, allCPU []time.Duration
		fmt.Printf("## %s\n\n| query | range | total | wall p50 | wall max | CPU p50 |\n|---|---|---|---|---|---|\n", c.name)
		for _, q := range c.queries {
			for _, rng := range []struct {
				name     string
				from, to time.Time
			}{{"all", from, to}, {"last 24h", to.Add(-24 * time.Hour), to}} {
				var ds, cpus []time.Duration
				var n int64
				for range *runs {
					start, cpu0 := time.Now(), procstat.SelfCPU()
					res, err := hunt.Run(ctx, es, hunt.Request{Tenant: *tenant, Query: q, From: rng.from, To: rng.to, Limit: 100, Extras: c.extras})
					if err != nil {
						log.Fatalf("%s: %v", q, err)
					}
					ds = append(ds, time.Since(start))
					cpus = append(cpus, procstat.SelfCPU()-cpu0)
					n = res.Total
				}
				all = append(all, ds...)
				allCPU = append(allCPU, cpus...)
				sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
				sort.Slice(cpus, func(i, j int) bool { return cpus[i] < cpus[j] })
				fmt.Printf("| `%s` | %s | %d | %s | %s | %s |\n", q, rng.name, n, ms(pct(ds, 50)), ms(ds[len(ds)-1]), ms(pct(cpus, 50)))
			}
		}
		sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
		sort.Slice(allCPU, func(i, j int) bool { return allCPU[i] < allCPU[j] })
		fmt.Printf("\n**%s: wall p50 %s, p95 %s; CPU p50 %s, p95 %s; over %d runs**\n\n", c.name,
			ms(pct(all, 50)), ms(pct(all, 95)), ms(pct(allCPU, 50)), ms(pct(allCPU, 95)), len(all))
	}
	if *retro {
		retroHunt(ctx, es, *tenant, from, to, total)
	}
	os.Stdout.Sync()
}

// retroHunt runs the built-in Sigma pack over every stored event, as
// "yagura hunt --sigma builtin" does, with the demo's C2 addresses as the
// pack's placeholder values.
func retroHunt(ctx context.Context, es *duckdb.Store, tenant string, from, to time.Time, total int64) {
	set, err := builtin.Load()
	if err != nil {
		log.Fatal(err)
	}
	c2 := demo.New(42, from).C2Addresses()
	engine, err := sigma.NewEngine(set, sigma.Options{Placeholders: map[string][]string{builtin.PlaceholderC2: c2}})
	if err != nil {
		log.Fatal(err)
	}
	start, cpu0 := time.Now(), procstat.SelfCPU()
	var scanned int64
	res, err := hunt.RetroHunt(ctx, es, tenant, from, to, engine, hunt.RetroOptions{Progress: func(p hunt.RetroProgress) { scanned = p.Scanned }})
	if err != nil {
		log.Fatal(err)
	}
	wall, cpu := time.Since(start), procstat.SelfCPU()-cpu0
	fmt.Printf("## Sigma retro-hunt, built-in pack (%d rules)\n\n%d of %d events, %d matches in %d alerts: wall %s, CPU %s, %.0f events per wall second\n\n",
		engine.Rules(), scanned, total, res.Matches, len(res.Alerts), wall.Round(time.Millisecond), cpu.Round(time.Millisecond), float64(scanned)/wall.Seconds())
}

// pct is the nearest-rank percentile of sorted durations.
func pct(ds []time.Duration, p int) time.Duration {
	i := (p*len(ds)+99)/100 - 1
	return ds[max(i, 0)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }
