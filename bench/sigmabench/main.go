// Command sigmabench measures Yagura's detection throughput: it replays the
// Windows JSON lines of evtx-attack-samples-jsonl, looped to at least
// --events events, through parse (parse/winevent), normalize
// (normalize.Windows) and the whole SigmaHQ rule set (detect/sigma), with
// as many workers as GOMAXPROCS, and prints one JSON report.
//
// It is a benchmark driver: it must never be imported by the product.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	"github.com/yagura-soc/yagura/bench/internal/procstat"
	"github.com/yagura-soc/yagura/internal/detect"
	"github.com/yagura-soc/yagura/internal/detect/sigma"
	"github.com/yagura-soc/yagura/internal/parse/winevent"
	"github.com/yagura-soc/yagura/internal/scan"
)

type report struct {
	Engine       string  `json:"engine"`
	GOMAXPROCS   int     `json:"gomaxprocs"`
	Rules        int     `json:"rules"`
	RulesLoadSec float64 `json:"rules_load_s"`
	Events       int64   `json:"events"`
	Seconds      float64 `json:"seconds"`
	EventsPerSec float64 `json:"events_per_s"`
	// CPUSeconds is the process's user+system time during the replay, and
	// EventsPerCPUSec the rate per second of CPU: on a shared machine the
	// wall-clock rate depends on the neighbours, this one much less.
	CPUSeconds      float64 `json:"cpu_s"`
	EventsPerCPUSec float64 `json:"events_per_cpu_s"`
	Matches         int64   `json:"matches"`
	PeakRSSMB       float64 `json:"peak_rss_mb"`
	DistinctLines   int     `json:"distinct_lines"`
}

func main() {
	data := flag.String("data", "../shared/data", "shared data folder")
	events := flag.Int64("events", 1_000_000, "minimum number of events to replay")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the replay to this file")
	flag.Parse()
	if *profile != "" {
		f, err := os.Create(*profile)
		if err == nil {
			_ = pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
	}
	if err := run(*data, *events); err != nil {
		fmt.Fprintln(os.Stderr, "sigmabench:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func run(data string, want int64) error {
	lines, err := procstat.ReadLines(filepath.Join(data, "evtx-attack-samples-jsonl"))
	if err != nil {
		return err
	}
	t0 := time.Now()
	root := filepath.Join(data, "sigma")
	set, _, err := sigma.LoadPaths(filepath.Join(root, "rules"), filepath.Join(root, "rules-emerging-threats"),
		filepath.Join(root, "rules-threat-hunting"))
	if err != nil {
		return err
	}
	eng, err := sigma.NewEngine(set, sigma.Options{})
	if err != nil {
		return err
	}
	rep := report{Engine: "yagura", GOMAXPROCS: runtime.GOMAXPROCS(0), Rules: eng.Rules(),
		RulesLoadSec: time.Since(t0).Seconds(), DistinctLines: len(lines)}
	loops := (want + int64(len(lines)) - 1) / int64(len(lines))
	workers := rep.GOMAXPROCS
	var total, matches atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	cpu0 := procstat.SelfCPU()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var out []detect.Match
			var n, m int64
			for l := int64(0); l < loops; l++ {
				for i := w; i < len(lines); i += workers {
					rec, err := winevent.Parse(lines[i])
					if err != nil {
						continue
					}
					ev := scan.NewEvent(rec, "bench")
					out = eng.Detect(ev, out[:0])
					n++
					m += int64(len(out))
				}
			}
			total.Add(n)
			matches.Add(m)
		}(w)
	}
	wg.Wait()
	rep.Seconds = time.Since(start).Seconds()
	rep.CPUSeconds = (procstat.SelfCPU() - cpu0).Seconds()
	rep.Events = total.Load()
	rep.Matches = matches.Load()
	rep.EventsPerSec = float64(rep.Events) / rep.Seconds
	rep.EventsPerCPUSec = float64(rep.Events) / rep.CPUSeconds
	rep.PeakRSSMB = procstat.PeakRSSMB(os.Getpid())
	return json.NewEncoder(os.Stdout).Encode(rep)
}
