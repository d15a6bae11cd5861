package service

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/detect"
	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/intel"
	"github.com/yagura-soc/yagura/internal/intel/feed"
	"github.com/yagura-soc/yagura/internal/intel/match"
	"github.com/yagura-soc/yagura/internal/metrics"
	"github.com/yagura-soc/yagura/internal/pipeline"
	"github.com/yagura-soc/yagura/internal/store/embeddedtest"
	"github.com/yagura-soc/yagura/internal/store/sqlite"
)

// mixedCSV writes n indicators of mixed types as a generic CSV:
// 30% IPv4, 5% networks, 5% IPv6, 30% domains, 15% URLs, 15% SHA-256.
func mixedCSV(n int) []byte {
	r := rand.New(rand.NewPCG(1, 7))
	var b bytes.Buffer
	b.WriteString("value,type,confidence,to_block\n")
	for k := 0; k < n; k++ {
		conf := 50 + r.IntN(51)
		switch p := k % 20; {
		case p < 6:
			fmt.Fprintf(&b, "%d.%d.%d.%d,ipv4,%d,true\n", 11+r.IntN(200), r.IntN(256), r.IntN(256), 1+r.IntN(254), conf)
		case p < 7:
			fmt.Fprintf(&b, "%d.%d.%d.0/24,cidr,%d,true\n", 11+r.IntN(200), r.IntN(256), r.IntN(256), conf)
		case p < 8:
			fmt.Fprintf(&b, "2001:db8:%x:%x::%x,ipv6,%d,true\n", r.IntN(65536), r.IntN(65536), 1+r.IntN(65535), conf)
		case p < 14:
			fmt.Fprintf(&b, "h%d.bad%d.example,domain,%d,true\n", r.IntN(1000), k, conf)
		case p < 17:
			fmt.Fprintf(&b, "http://u%d.example/p/%d.php,url,%d,true\n", k, r.IntN(1e6), conf)
		default:
			fmt.Fprintf(&b, "%016x%016x%016x%016x,sha256,%d,true\n", r.Uint64(), r.Uint64(), r.Uint64(), uint64(k), conf)
		}
	}
	return b.Bytes()
}

// ingestDocs are JSON events as a source hands them over; one in a
// thousand names an indicator of the loaded set (and raises an alert).
func ingestDocs(n int, hits []intel.IOC) [][]byte {
	docs := make([][]byte, n)
	for k := range docs {
		ecs := map[string]any{
			"@timestamp": "2026-11-23T08:00:00Z", "host.name": fmt.Sprintf("ws-%02d", k%50), "user.name": "alice",
			"source.ip": fmt.Sprintf("10.1.%d.%d", k%200, k%250), "destination.ip": fmt.Sprintf("%d.%d.%d.%d", 1+k%220, k%256, (k/7)%256, k%253),
			"dns.question.name": fmt.Sprintf("cdn%d.static.site%d.example", k%10, k), "url.full": fmt.Sprintf("https://site%d.example/i.html", k),
			"message": "connection established",
		}
		if k%1000 == 0 && len(hits) > 0 {
			i := hits[(k/1000)%len(hits)]
			switch i.Type {
			case intel.IPv4:
				ecs["destination.ip"] = i.Value
			case intel.Domain:
				ecs["dns.question.name"] = "www." + i.Value
			}
		}
		docs[k], _ = json.Marshal(ecs)
	}
	return docs
}

// flatJSON stands in for the normalizer: flat JSON objects become ECS.
func flatJSON(ev *event.Event, data []byte, _ string) {
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		ev.ParseError = "not JSON"
		return
	}
	ev.ECS = event.Fields(m)
	if ts, ok := m["@timestamp"].(string); ok {
		ev.Timestamp, _ = time.Parse(time.RFC3339, ts)
	}
}

// BenchmarkIntel1M loads 1,000,000 mixed indicators from CSV into the
// SQLite store and the matcher, then measures delivery latency and ingest
// throughput with and without the set. Run it alone:
//
//	go test ./internal/intel/service -run XXX -bench Intel1M -benchtime 1x
func BenchmarkIntel1M(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "state.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	svc := New(st, nil, Config{RetroHuntWindow: -1})
	size := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("YAGURA_INTEL_BENCH_N")); err == nil && v > 0 {
		size = v // a quick smoke run of the same code
	}
	csv := mixedCSV(size)

	b.Run("csv-import", func(b *testing.B) {
		for n := 0; n < b.N; n++ {
			start, cpu := time.Now(), cpuTime()
			res, err := svc.Import(ctx, "default", bytes.NewReader(csv), ImportOptions{Format: "csv", Feed: feed.Options{Source: fmt.Sprint("bench", n)}})
			if err != nil || res.Imported < size*99/100 {
				b.Fatalf("import: %d imported, %d rejected, %v", res.Imported, len(res.Rejected), err)
			}
			b.ReportMetric(time.Since(start).Seconds(), "s/import")
			b.ReportMetric((cpuTime() - cpu).Seconds(), "cpu-s/import")
			b.ReportMetric(float64(res.Imported)/time.Since(start).Seconds(), "iocs/s")
		}
	})
	b.Logf("matcher holds %d indicators", svc.Matcher().Len("default"))

	// Delivery: one new indicator until it is in every export a consumer
	// can fetch: the commit (after which every list, the matcher, the
	// change feed and TAXII hold it), then each export's render, since
	// the first request after a change renders the list anew. Consumers
	// poll: each export is rendered once before the changes (reported
	// as ms-cold-*, the first render since the server started).
	b.Run("delivery", func(b *testing.B) {
		p, _ := svc.Policy(ctx, "default", "", 0)
		formats := []string{"edl/ip", "nftables", "ipset", "suricata", "rpz"}
		for _, f := range formats {
			t := time.Now()
			if _, _, err := svc.Export(ctx, "default", f, p); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(time.Since(t).Microseconds())/1000, "ms-cold-"+strings.ReplaceAll(f, "/", "-"))
		}
		var commit time.Duration
		render := make([]time.Duration, len(formats))
		const adds = 3 // per op, so that -benchtime 1x still averages
		for n := 0; n < b.N*adds; n++ {
			v := fmt.Sprintf("198.18.%d.%d", n/250%250, 1+n%250)
			start := time.Now()
			if _, _, err := svc.Add(ctx, "default", intel.IOC{Type: intel.IPv4, Value: v, Confidence: 90, ToBlock: true}); err != nil {
				b.Fatal(err)
			}
			commit += time.Since(start)
			if _, ok := svc.Matcher().Lookup("default", intel.IPv4, v); !ok {
				b.Fatal("matcher lacks the new indicator")
			}
			ch, _, err := svc.Changes(ctx, "default", 0, 1, p) // the change feed answers from the store
			if err != nil || len(ch) == 0 {
				b.Fatal(err)
			}
			o := strings.Split(v, ".")
			rpzName := "32." + o[3] + "." + o[2] + "." + o[1] + "." + o[0] + ".rpz-ip"
			for k, f := range formats {
				want := v
				if f == "rpz" {
					want = rpzName
				}
				t := time.Now()
				out, _, err := svc.Export(ctx, "default", f, p)
				render[k] += time.Since(t)
				if err != nil || !bytes.Contains(out.Bytes(), []byte(want)) {
					b.Fatalf("%s lacks %s: %v", f, want, err)
				}
			}
		}
		ops := float64(b.N * adds)
		b.ReportMetric(float64(commit.Microseconds())/ops/1000, "ms-commit")
		for k, f := range formats {
			b.ReportMetric(float64(render[k].Microseconds())/ops/1000, "ms-render-"+strings.ReplaceAll(f, "/", "-"))
		}
	})

	var sample []intel.IOC
	st.Scope("default").IOCs().Each(ctx, func(i intel.IOC) error {
		if len(sample) < 1000 && (i.Type == intel.IPv4 || i.Type == intel.Domain) {
			sample = append(sample, i)
		}
		return nil
	})
	docs := ingestDocs(20_000, sample)
	for _, c := range []struct {
		name string
		det  detect.Detector
	}{{"ingest/no-iocs", match.New(nil)}, {"ingest/1M-iocs", svc.Detector()}, {"ingest/no-iocs-again", match.New(nil)}} {
		b.Run(c.name, func(b *testing.B) { benchIngest(b, c.det, docs) })
	}
}

// benchIngest runs the real pipeline (normalize, detect, DuckDB append,
// alert upsert, acknowledgement); one op is 20 batches of 1000 events.
func benchIngest(b *testing.B, det detect.Detector, docs [][]byte) {
	ctx := context.Background()
	evs, st := embeddedtest.Open(b)
	p := pipeline.New(pipeline.Config{DedupWindow: time.Hour}, evs, st, flatJSON, det, metrics.New(),
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer p.Close(ctx)
	const batch, perOp = 1000, 20
	submit := func(from int) error {
		items := make([]pipeline.Item, batch)
		for k := range items {
			items[k] = pipeline.Item{Data: docs[(from+k)%len(docs)], Format: "json"}
		}
		_, err := p.Submit(ctx, pipeline.Batch{Tenant: "default", Source: "bench", Items: items})
		return err
	}
	if err := submit(0); err != nil { // warm the stores up
		b.Fatal(err)
	}
	b.ResetTimer()
	start, cpu := time.Now(), cpuTime()
	const inFlight = 8
	done := make(chan error, inFlight)
	wait := func() {
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
	total := b.N * perOp
	for n := 0; n < total; n++ {
		if n >= inFlight {
			wait()
		}
		go func(n int) { done <- submit(n * batch) }(n)
	}
	for k := 0; k < min(total, inFlight); k++ {
		wait()
	}
	b.ReportMetric(float64(total*batch)/time.Since(start).Seconds(), "events/s")
	b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(total*batch), "cpu-µs/event")
}

// cpuTime is the CPU time this process used so far: on a shared machine
// it says what an import costs, whatever the other processes take.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
