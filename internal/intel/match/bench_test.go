package match

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/demo"
	"github.com/yagura-soc/yagura/internal/detect"
	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/intel"
	"github.com/yagura-soc/yagura/internal/normalize"
)

// MixedIOCs makes n indicators of mixed types, deterministic for a seed:
// 30% IPv4, 5% IPv4 networks, 5% IPv6, 30% domains, 15% URLs, 15% SHA-256.
func MixedIOCs(n int, seed uint64) []intel.IOC {
	r := rand.New(rand.NewPCG(seed, 7))
	out := make([]intel.IOC, 0, n)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for k := 0; k < n; k++ {
		i := intel.IOC{ID: fmt.Sprintf("%026d", k), Confidence: 50 + r.IntN(51), TLP: "amber", ToBlock: true,
			Sources: []intel.Source{{Name: "bench", Confidence: 80}}, FirstSeen: t0, LastSeen: t0}
		switch p := k % 20; {
		case p < 6:
			i.Type, i.Value = intel.IPv4, fmt.Sprintf("%d.%d.%d.%d", 11+r.IntN(200), r.IntN(256), r.IntN(256), 1+r.IntN(254))
		case p < 7:
			i.Type, i.Value = intel.CIDR, fmt.Sprintf("%d.%d.%d.0/24", 11+r.IntN(200), r.IntN(256), r.IntN(256))
		case p < 8:
			i.Type, i.Value = intel.IPv6, fmt.Sprintf("2001:db8:%x:%x::%x", r.IntN(65536), r.IntN(65536), 1+r.IntN(65535))
		case p < 14:
			i.Type, i.Value = intel.Domain, fmt.Sprintf("h%d.bad%d.example", r.IntN(1000), k)
		case p < 17:
			i.Type, i.Value = intel.URL, fmt.Sprintf("http://u%d.example/p/%d.php", k, r.IntN(1e6))
		default:
			i.Type, i.Value = intel.SHA256, fmt.Sprintf("%016x%016x%016x%016x", r.Uint64(), r.Uint64(), r.Uint64(), uint64(k))
		}
		out = append(out, i)
	}
	return out
}

// BenchEvents are network/file events: nine in ten miss, one hits.
func BenchEvents(n int, iocs []intel.IOC) []*event.Event {
	evs := make([]*event.Event, n)
	for k := range evs {
		ecs := event.Fields{
			"source.ip":         fmt.Sprintf("10.1.%d.%d", k%200, k%250),
			"destination.ip":    fmt.Sprintf("%d.%d.%d.%d", 1+k%220, k%256, (k/7)%256, k%253),
			"dns.question.name": fmt.Sprintf("cdn%d.static.site%d.example", k%10, k),
			"url.full":          fmt.Sprintf("https://site%d.example/index.html", k),
			"file.hash.sha256":  fmt.Sprintf("%064x", k),
			"host.name":         "ws-01",
		}
		if k%10 == 0 && len(iocs) > 0 {
			i := iocs[k%len(iocs)]
			switch i.Type {
			case intel.IPv4, intel.IPv6:
				ecs["destination.ip"] = i.Value
			case intel.Domain:
				ecs["dns.question.name"] = "www." + i.Value
			case intel.URL:
				ecs["url.full"] = i.Value
			case intel.SHA256:
				ecs["file.hash.sha256"] = i.Value
			}
		}
		evs[k] = &event.Event{Tenant: "default", ID: fmt.Sprint(k), ECS: ecs}
	}
	return evs
}

func heap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkDetect1M: per-event cost with 1,000,000 mixed indicators
// loaded; reports the memory the indicator set takes and its build time.
func BenchmarkDetect1M(b *testing.B) {
	iocs := MixedIOCs(1_000_000, 1)
	before := heap()
	m := New(nil)
	start := time.Now()
	m.Replace("default", iocs)
	build := time.Since(start)
	after := heap()
	evs := BenchEvents(10000, iocs)
	b.ResetTimer() // (also drops metrics reported before it)
	var out []detect.Match
	hits := 0
	for n := 0; n < b.N; n++ {
		ev := evs[n%len(evs)]
		out = m.Detect(ev, out[:0])
		hits += len(out)
	}
	b.StopTimer()
	b.ReportMetric(float64(after-before)/(1<<20), "MB-iocset")
	b.ReportMetric(build.Seconds(), "s-build")
	if b.N >= len(evs) && hits == 0 {
		b.Fatal("no hits: the benchmark measures nothing")
	}
	runtime.KeepAlive(iocs)
}

// BenchmarkDetectNoIOCs: the same events against an empty set.
func BenchmarkDetectNoIOCs(b *testing.B) {
	m := New(nil)
	m.Replace("default", nil)
	evs := BenchEvents(10000, nil)
	b.ResetTimer()
	var out []detect.Match
	for n := 0; n < b.N; n++ {
		out = m.Detect(evs[n%len(evs)], out[:0])
	}
}

// BenchmarkLookupScaling: one address and one domain lookup (miss) at
// growing set sizes: flat for hash lookups, logarithmic for the radix tree.
func BenchmarkLookupScaling(b *testing.B) {
	for _, size := range []int{10_000, 100_000, 1_000_000} {
		iocs := MixedIOCs(size, 2)
		m := New(nil)
		m.Replace("default", iocs)
		v := (*m.views.Load())["default"]
		b.Run(fmt.Sprintf("ip/%d", size), func(b *testing.B) {
			r := rand.New(rand.NewPCG(3, 3))
			addrs := make([][4]byte, 4096)
			for k := range addrs {
				addrs[k] = [4]byte{byte(11 + r.IntN(200)), byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))}
			}
			b.ResetTimer()
			for n := 0; n < b.N; n++ {
				v.base.ip(netip.AddrFrom4(addrs[n%len(addrs)]))
			}
		})
		b.Run(fmt.Sprintf("domain/%d", size), func(b *testing.B) {
			for n := 0; n < b.N; n++ {
				v.base.domain("cdn.static.site.example")
			}
		})
	}
}

// BenchmarkApplyOne1M: one new indicator folded into a 1M set (the
// matcher part of delivery latency).
func BenchmarkApplyOne1M(b *testing.B) {
	m := New(nil)
	m.Replace("default", MixedIOCs(1_000_000, 1))
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		i := intel.IOC{ID: fmt.Sprint(n), Type: intel.IPv4, Value: fmt.Sprintf("198.51.%d.%d", (n/250)%250, 1+n%250), Confidence: 90}
		m.Apply("default", []intel.IOC{i})
	}
}

// BenchmarkDetectDemo is what the matcher adds to ingest: the demo
// company's normalized traffic (every source; the attack stories' C2
// addresses are among the indicators) is parsed, normalized and matched
// with no indicators, then with 1,000,000 mixed indicators loaded, then
// with none again, in one process and one run. Each phase reports CPU
// time per event (getrusage: the garbage collector's work on the larger
// heap included, other processes' load excluded) and wall time. Parse and
// normalize are far from a whole pipeline, so the share added is an upper
// bound of the ingest drop. b.N is passes over 20,000 events per phase.
//
//	go test ./internal/intel/match -run XXX -bench DetectDemo -benchtime 10x
func BenchmarkDetectDemo(b *testing.B) {
	start := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	g := demo.New(7, start, demo.WithRate(2000))
	var lines [][]byte
	for t := start; len(lines) < 20000; {
		t = t.Add(time.Second)
		for _, r := range g.Next(t) {
			lines = append(lines, []byte(r.Line))
		}
	}
	lines = lines[:20000]
	m := New(nil)
	m.Replace("default", nil)
	hits := 0
	phase := func(name string) (cpu float64) {
		heap()
		t, c := time.Now(), cpuTime()
		var out []detect.Match
		for n := 0; n < b.N; n++ {
			for _, l := range lines {
				ev := &event.Event{Tenant: "default"}
				normalize.Event(ev, l, "")
				out = m.Detect(ev, out[:0])
				hits += len(out)
			}
		}
		events := float64(b.N * len(lines))
		cpu = float64((cpuTime() - c).Nanoseconds()) / events
		b.ReportMetric(cpu, "cpu-ns/event-"+name)
		b.ReportMetric(float64(time.Since(t).Nanoseconds())/events, "ns/event-"+name)
		return cpu
	}
	b.ResetTimer()
	none := phase("no-iocs")
	iocs := MixedIOCs(1_000_000, 1)
	for k, c2 := range g.C2Addresses() {
		iocs[k] = intel.IOC{ID: "c2-" + c2, Type: intel.IPv4, Value: c2, Confidence: 90, ToBlock: true}
	}
	m.Replace("default", iocs)
	iocs = nil // the matcher keeps its own entries; the input is garbage
	loaded := phase("1M-iocs")
	if hits == 0 {
		b.Fatal("no hits: the C2 addresses of the demo stories should match")
	}
	m.Replace("default", nil)
	again := phase("no-iocs-again")
	b.ReportMetric(100*(loaded-(none+again)/2)/((none+again)/2), "%-cpu-added")
}

// cpuTime is the CPU time this process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
