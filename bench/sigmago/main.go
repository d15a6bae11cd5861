// Command sigmago measures github.com/bradleyjkemp/sigma-go on the same
// replay as bench/sigmabench: the Windows JSON lines of
// evtx-attack-samples-jsonl, parsed by Yagura's parse/winevent, looped to at
// least --events events, against every SigmaHQ rule sigma-go can load.
//
// sigma-go has no log source mapping of its own, so rules are bucketed here
// by a small table (Sysmon event id → category, channel → service, the
// usual Security/PowerShell ids) and an event is only evaluated against its
// buckets, as Yagura's engine does with its mapping. No field renaming is
// applied (4688 rules written for Sysmon names will not match 4688 events);
// the figure compares evaluation speed, not coverage.
//
// This module is separate from Yagura's so the product never depends on
// sigma-go; it must never be imported by anything.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	sigma "github.com/bradleyjkemp/sigma-go"
	"github.com/bradleyjkemp/sigma-go/evaluator"

	"github.com/yagura-soc/yagura/bench/internal/procstat"
	"github.com/yagura-soc/yagura/internal/parse/winevent"
)

type report struct {
	Engine        string  `json:"engine"`
	GOMAXPROCS    int     `json:"gomaxprocs"`
	Rules         int     `json:"rules"`
	RulesRejected int     `json:"rules_rejected"`
	RulesLoadSec  float64 `json:"rules_load_s"`
	Events        int64   `json:"events"`
	Seconds       float64 `json:"seconds"`
	EventsPerSec  float64 `json:"events_per_s"`
	// CPUSeconds is the process's user+system time during the replay, and
	// EventsPerCPUSec the rate per second of CPU: on a shared machine the
	// wall-clock rate depends on the neighbours, this one much less.
	CPUSeconds      float64 `json:"cpu_s"`
	EventsPerCPUSec float64 `json:"events_per_cpu_s"`
	Matches         int64   `json:"matches"`
	PeakRSSMB       float64 `json:"peak_rss_mb"`
}

func main() {
	data := flag.String("data", "../../../shared/data", "shared data folder")
	events := flag.Int64("events", 1_000_000, "minimum number of events to replay")
	flag.Parse()
	if err := run(*data, *events); err != nil {
		fmt.Fprintln(os.Stderr, "sigmago:", err)
		os.Exit(1)
	}
}

// sysmonCategories maps Sysmon event ids to Sigma categories.
var sysmonCategories = map[string][]string{
	"1": {"process_creation"}, "2": {"file_change"}, "3": {"network_connection"}, "5": {"process_termination"},
	"6": {"driver_load"}, "7": {"image_load"}, "8": {"create_remote_thread"}, "9": {"raw_access_thread"},
	"10": {"process_access"}, "11": {"file_event"}, "12": {"registry_add", "registry_delete", "registry_event"},
	"13": {"registry_set", "registry_event"}, "14": {"registry_rename", "registry_event"}, "15": {"create_stream_hash"},
	"17": {"pipe_created"}, "18": {"pipe_created"}, "19": {"wmi_event"}, "20": {"wmi_event"}, "21": {"wmi_event"},
	"22": {"dns_query"}, "23": {"file_delete"}, "26": {"file_delete"}, "24": {"clipboard_capture"},
	"25": {"process_tampering"},
}

// channelServices maps channels to Sigma services.
var channelServices = map[string]string{
	"security": "security", "system": "system", "application": "application",
	"microsoft-windows-sysmon/operational":           "sysmon",
	"microsoft-windows-powershell/operational":       "powershell",
	"windows powershell":                             "powershell-classic",
	"microsoft-windows-windows defender/operational": "windefend",
	"microsoft-windows-taskscheduler/operational":    "taskscheduler",
	"microsoft-windows-bits-client/operational":      "bits-client",
	"microsoft-windows-wmi-activity/operational":     "wmi",
}

// keys returns the buckets an event is evaluated against.
func keys(f map[string]any) []string {
	ch := strings.ToLower(event(f, "Channel"))
	id := event(f, "EventID")
	out := []string{"windows"}
	if s, ok := channelServices[ch]; ok {
		out = append(out, "svc:"+s)
	}
	switch {
	case ch == "microsoft-windows-sysmon/operational":
		for _, c := range sysmonCategories[id] {
			out = append(out, "cat:"+c)
		}
	case ch == "security" && id == "4688":
		out = append(out, "cat:process_creation")
	case ch == "microsoft-windows-powershell/operational" && id == "4104":
		out = append(out, "cat:ps_script")
	case ch == "microsoft-windows-powershell/operational" && id == "4103":
		out = append(out, "cat:ps_module")
	case ch == "windows powershell" && id == "400":
		out = append(out, "cat:ps_classic_start")
	}
	return out
}

func event(f map[string]any, k string) string {
	s, _ := f[k].(string)
	return s
}

// ruleKey returns the bucket of a Windows rule, "" for other products.
func ruleKey(r sigma.Rule) string {
	if !strings.EqualFold(r.Logsource.Product, "windows") {
		return ""
	}
	switch {
	case r.Logsource.Category != "":
		return "cat:" + r.Logsource.Category
	case r.Logsource.Service != "":
		return "svc:" + r.Logsource.Service
	}
	return "windows"
}

func run(data string, want int64) error {
	t0 := time.Now()
	buckets := map[string][]sigma.Rule{}
	loaded, rejected := 0, 0
	for _, dir := range []string{"rules", "rules-emerging-threats", "rules-threat-hunting"} {
		err := filepath.WalkDir(filepath.Join(data, "sigma", dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yml") {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			r, err := sigma.ParseRule(b)
			if err != nil || len(r.Detection.Conditions) == 0 {
				rejected++
				return nil
			}
			if k := ruleKey(r); k != "" {
				buckets[k] = append(buckets[k], r)
			}
			loaded++
			return nil
		})
		if err != nil {
			return err
		}
	}
	bundles := map[string]evaluator.RuleEvaluatorBundle{}
	for k, rs := range buckets {
		bundles[k] = evaluator.ForRules(rs)
	}
	rep := report{Engine: "sigma-go v0.6.6", GOMAXPROCS: runtime.GOMAXPROCS(0), Rules: loaded,
		RulesRejected: rejected, RulesLoadSec: time.Since(t0).Seconds()}

	lines, err := procstat.ReadLines(filepath.Join(data, "evtx-attack-samples-jsonl"))
	if err != nil {
		return err
	}
	loops := (want + int64(len(lines)) - 1) / int64(len(lines))
	workers := rep.GOMAXPROCS
	var total, matches atomic.Int64
	var wg sync.WaitGroup
	ctx := context.Background()
	start := time.Now()
	cpu0 := procstat.SelfCPU()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var n, m int64
			for l := int64(0); l < loops; l++ {
				for i := w; i < len(lines); i += workers {
					rec, err := winevent.Parse(lines[i])
					if err != nil {
						continue
					}
					ev := map[string]any(rec.Fields)
					for _, k := range keys(ev) {
						b, ok := bundles[k]
						if !ok {
							continue
						}
						res, err := b.Matches(ctx, ev)
						if err != nil {
							continue
						}
						for _, r := range res {
							if r.Match {
								m++
							}
						}
					}
					n++
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
