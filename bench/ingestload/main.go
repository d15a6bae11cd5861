// Command ingestload is the load generator of the ingest benchmark: it
// replays the demo company's logs (Windows, Linux auth and auditd,
// firewall, web) to a running `yagura serve` through POST /api/v1/events
// from several concurrent clients, for a fixed time, and reports sustained
// events/s and the latency from sending a batch to its 202 (= durable).
// It runs as its own process so that it does not share the server's CPU
// accounting or heap. bench/ingest.sh drives it.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/yagura-soc/yagura/bench/internal/procstat"
	"github.com/yagura-soc/yagura/internal/demo"
)

type report struct {
	Label        string  `json:"label"`
	RawBytes     float64 `json:"raw_bytes_per_event"` // mean length of the records sent, as the source wrote them
	OfferedRate  float64 `json:"offered_events_per_sec,omitempty"`
	Events       int64   `json:"events"`
	Seconds      float64 `json:"seconds"`
	EventsPerSec float64 `json:"events_per_sec"`
	P50ms        float64 `json:"p50_ms"`
	P99ms        float64 `json:"p99_ms"`
	Errors       int64   `json:"errors"`
	PeakRSSMB    float64 `json:"server_peak_rss_mb"`
	// ServerCPU is the CPU time the server used during the run; events per
	// server CPU-second is the figure that does not depend on what else
	// the machine was doing.
	ServerCPU       float64 `json:"server_cpu_seconds"`
	EventsPerCPUSec float64 `json:"events_per_server_cpu_second"`
	Load1           string  `json:"load_average_1m"`
}

func main() {
	url := flag.String("url", "http://127.0.0.1:8080", "server base URL")
	token := flag.String("token", os.Getenv("YAGURA_TOKEN"), "ingest token")
	clients := flag.Int("clients", 8, "concurrent clients")
	batch := flag.Int("batch", 1000, "events per request")
	duration := flag.Duration("duration", 30*time.Second, "how long to send")
	pool := flag.Int("pool", 200000, "distinct demo records to replay")
	sources := flag.String("sources", "", "comma-separated demo sources to send (see internal/demo); empty sends all")
	pid := flag.Int("server-pid", 0, "server process id, to read its peak RSS")
	label := flag.String("label", "ingest", "label in the report")
	rate := flag.Float64("rate", 0, "events/s to offer, paced; 0 sends as fast as the server answers. "+
		"Paced latency counts from when a batch was due, so a slow server cannot hide its delay by slowing the sender")
	flag.Parse()
	if *token == "" {
		fmt.Fprintln(os.Stderr, "ingestload: --token (or YAGURA_TOKEN) is required")
		os.Exit(2)
	}

	bodies, rawBytes := prepare(*pool, *batch, *sources)
	cpu0 := procstat.CPUSeconds(*pid)
	var sent, errs atomic.Int64
	var mu sync.Mutex
	var latencies []time.Duration
	stop := time.Now().Add(*duration)
	start := time.Now()
	var wg sync.WaitGroup
	for c := range *clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: time.Minute}
			var mine []time.Duration
			var every time.Duration
			due := start
			if *rate > 0 {
				every = time.Duration(float64(*batch**clients) / *rate * float64(time.Second))
				due = start.Add(every * time.Duration(c) / time.Duration(*clients)) // clients spread over one period
			}
			for i := c; time.Now().Before(stop); i += *clients {
				if every > 0 {
					time.Sleep(time.Until(due))
				}
				body := bodies[i%len(bodies)]
				req, _ := http.NewRequest("POST", *url+"/api/v1/events", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+*token)
				req.Header.Set("Content-Type", "application/x-ndjson")
				t0 := time.Now()
				if every > 0 {
					t0 = due
					due = due.Add(every)
				}
				resp, err := client.Do(req)
				if err != nil {
					errs.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusAccepted {
					errs.Add(1)
					continue
				}
				mine = append(mine, time.Since(t0))
				sent.Add(int64(*batch))
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	r := report{Label: *label, RawBytes: rawBytes, OfferedRate: *rate, Events: sent.Load(), Seconds: elapsed, EventsPerSec: float64(sent.Load()) / elapsed,
		P50ms: pct(latencies, 0.50), P99ms: pct(latencies, 0.99), Errors: errs.Load(), PeakRSSMB: procstat.PeakRSSMB(*pid)}
	if *pid != 0 {
		r.ServerCPU = procstat.CPUSeconds(*pid) - cpu0
		if r.ServerCPU > 0 {
			r.EventsPerCPUSec = float64(r.Events) / r.ServerCPU
		}
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		r.Load1 = strings.Fields(string(b))[0]
	}
	json.NewEncoder(os.Stdout).Encode(r)
}

// prepare renders demo records into NDJSON request bodies of batch lines,
// and tells the records' mean length.
func prepare(pool, batch int, sources string) ([][]byte, float64) {
	gen := demo.New(42, time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC), demo.WithRate(2000))
	t := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	var want []string // empty: every source
	if sources != "" {
		want = strings.Split(sources, ",")
	}
	var lines []string
	raw := 0
	for len(lines) < pool {
		t = t.Add(time.Second)
		for _, r := range gen.Next(t) {
			if want != nil && !slices.Contains(want, r.Source) {
				continue
			}
			raw += len(r.Line)
			b, _ := json.Marshal(r.Line)
			lines = append(lines, string(b))
		}
	}
	var bodies [][]byte
	for i := 0; i+batch <= len(lines); i += batch {
		bodies = append(bodies, []byte(strings.Join(lines[i:i+batch], "\n")))
	}
	return bodies, float64(raw) / float64(len(lines))
}

func pct(d []time.Duration, p float64) float64 {
	if len(d) == 0 {
		return 0
	}
	return float64(d[int(float64(len(d)-1)*p)]) / float64(time.Millisecond)
}
