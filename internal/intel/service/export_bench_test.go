package service

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/intel"
	"github.com/yagura-soc/yagura/internal/intel/feed"
)

// BenchmarkExport1M is the render half of Intel1M/delivery without the
// store: the lists are filled with the same 1,000,000 mixed indicators,
// then each op adds one address and renders every export once, as the
// first request after a change does. It is the benchmark to profile:
//
//	go test ./internal/intel/service -run XXX -bench Export1M -benchtime 5x -cpuprofile cpu.out
func BenchmarkExport1M(b *testing.B) {
	res, err := Read(strings.NewReader(string(mixedCSV(1_000_000))), ImportOptions{Format: "csv", Feed: feed.Options{Source: "bench", Now: now}})
	if err != nil {
		b.Fatal(err)
	}
	svc := New(nil, nil, Config{RetroHuntWindow: -1, Now: func() time.Time { return now }})
	dl := &distList{byKey: map[string]*intel.IOC{}, cache: map[string]rendered{}}
	for _, i := range res.IOCs {
		if svc.distributable(i) {
			dl.put(i.Key(), slim(i), false)
		}
	}
	dl.resort()
	svc.lists["default"], svc.loaded["default"] = dl, true
	p := intel.Policy{MinConfidence: svc.cfg.DefaultMinConfidence}
	formats := []string{"edl/ip", "nftables", "ipset", "suricata", "rpz"}
	ctx := context.Background()
	size := 0
	for _, f := range formats { // the renders before the first change
		body, _, err := svc.Export(ctx, "default", f, p)
		if err != nil {
			b.Fatal(err)
		}
		if f == "suricata" {
			size = body.Len()
		}
	}
	render := make([]time.Duration, len(formats))
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		i, _ := intel.Prepare(intel.IOC{Type: intel.IPv4, Value: fmt.Sprintf("198.18.%d.%d", n/250%250, 1+n%250), Confidence: 90, ToBlock: true}, now)
		i.Seq = int64(n + 1)
		svc.apply("default", []intel.IOC{i})
		for k, f := range formats {
			t := time.Now()
			if _, _, err := svc.Export(ctx, "default", f, p); err != nil {
				b.Fatal(err)
			}
			render[k] += time.Since(t)
		}
	}
	for k, f := range formats {
		b.ReportMetric(float64(render[k].Microseconds())/float64(b.N)/1000, "ms-"+strings.ReplaceAll(f, "/", "-"))
	}
	b.ReportMetric(float64(size)/1e6, "MB-suricata")
}
