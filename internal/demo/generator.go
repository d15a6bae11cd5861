package demo

import (
	"container/heap"
	"math"
	"math/rand"
	"slices"
	"time"
)

// Sources of a Record: which kind of intake would have received the line.
const (
	SourceWindows = "windows" // one evtx_dump JSON object per event
	SourceSyslog  = "syslog"  // RFC 3164 syslog line with <PRI> (Linux auth, cron, firewall)
	SourceAuditd  = "auditd"  // raw auditd record as written to audit.log, node= prefixed
	SourceWeb     = "web"     // Apache combined access log line of the public web site
)

// Record is one raw log line the demo company produced.
type Record struct {
	Time   time.Time // when the source wrote it, UTC
	Source string    // one of the Source* constants
	Host   string    // the machine that wrote it (short name)
	Line   string    // the raw text, exactly as the source writes it
	// Story names the attack story that wrote the record (see Stories);
	// empty for benign background traffic. It is the demo's ground truth
	// and never part of the line.
	Story string
}

// DefaultRate is the background traffic at the busiest hour of the working
// day, in events per second.
const DefaultRate = 200

// Option adjusts a Generator.
type Option func(*Generator)

// WithRate sets the background traffic at the busiest hour of the day in
// events per second; the night runs at a quarter of it. Attack stories
// are added on top and do not depend on the rate. A rate <= 0 turns the
// background off, leaving only the attack stories.
func WithRate(eventsPerSecond float64) Option {
	return func(g *Generator) { g.rate = eventsPerSecond }
}

// WithoutStories turns the attack stories off: only benign background
// traffic is produced. Tests use it to measure false positives.
func WithoutStories() Option {
	return func(g *Generator) { g.stories = nil }
}

// Generator produces the demo company's logs. It is a simulation driven by
// the caller's clock: Next(now) returns what happened up to now. It is not
// safe for concurrent use; one goroutine drives it.
type Generator struct {
	rng   *rand.Rand
	co    *company
	rate  float64
	start time.Time

	// generated is the end of the last one-second slot whose background
	// traffic and story starts have been generated. Work is done slot by
	// slot so the output does not depend on how often Next is called.
	generated time.Time
	pending   pendingHeap
	seq       uint64

	stories []*story
	c2      []string // the attackers' command-and-control addresses
	playing string   // the story being scheduled, stamped on its records

	// Per-host counters that real sources keep: Windows EventRecordID per
	// host and channel, auditd serial per host.
	recordIDs map[string]int64
	auditSeq  map[string]int64
	pids      map[string]int

	linesPerActivity float64
}

// New returns a generator for the company derived from seed, whose
// simulated clock starts at start. The first occurrence of every attack
// story falls within the first 60 seconds after start.
func New(seed int64, start time.Time, opts ...Option) *Generator {
	rng := rand.New(rand.NewSource(seed))
	start = start.UTC()
	g := &Generator{
		rng:       rng,
		co:        newCompany(rng, 50),
		rate:      DefaultRate,
		start:     start,
		generated: start,
		recordIDs: map[string]int64{},
		auditSeq:  map[string]int64{},
		pids:      map[string]int{},

		linesPerActivity: meanLines(),
	}
	g.stories = defaultStories(start)
	for len(g.c2) < 3 {
		if ip := c2IP(rng); !slices.Contains(g.c2, ip) {
			g.c2 = append(g.c2, ip)
		}
	}
	for _, o := range opts {
		o(g)
	}
	return g
}

// C2Addresses returns the command-and-control addresses the attack stories
// beacon to. They are fixed by the seed, so a demo can load them as threat
// intelligence (or as the %c2_ips% Sigma placeholder) before traffic
// starts, the way a real feed would know them.
func (g *Generator) C2Addresses() []string { return slices.Clone(g.c2) }

// Next returns, in time order, every record whose time is after the
// previous call's now and at or before now. A now before the previous one
// returns nothing.
func (g *Generator) Next(now time.Time) []Record {
	now = now.UTC()
	for !g.generated.After(now) {
		g.generateSlot(g.generated)
		g.generated = g.generated.Add(time.Second)
	}
	var out []Record
	for len(g.pending) > 0 && !g.pending[0].t.After(now) {
		p := heap.Pop(&g.pending).(*pending)
		out = append(out, Record{Time: p.t, Source: p.source, Host: p.host, Story: p.story, Line: p.render(p.t)})
	}
	return out
}

// generateSlot schedules the background traffic and the story starts of
// the second beginning at slot.
func (g *Generator) generateSlot(slot time.Time) {
	end := slot.Add(time.Second)
	for _, s := range g.stories {
		for s.next.Before(end) {
			g.playing = s.name
			s.play(g, s.next)
			g.playing = ""
			s.runs++
			s.next = s.next.Add(s.period(g.rng))
		}
	}
	if g.rate <= 0 {
		return
	}
	// The rate counts records; one activity writes several.
	mean := g.rate * rhythm(slot) / g.linesPerActivity
	n := int(math.Round(mean + math.Sqrt(mean)*g.rng.NormFloat64()))
	for i := 0; i < n; i++ {
		at := slot.Add(time.Duration(g.rng.Int63n(int64(time.Second))))
		g.background(at)
	}
}

// rhythm is the share of the peak rate at time t: quiet nights, a busy
// morning, a lunch dip, a slow evening. The company works in UTC.
func rhythm(t time.Time) float64 {
	h := float64(t.Hour()) + float64(t.Minute())/60
	switch {
	case h < 6.5:
		return 0.25
	case h < 8:
		return 0.25 + 0.75*(h-6.5)/1.5
	case h < 12:
		return 1
	case h < 13.5:
		return 0.75
	case h < 17.5:
		return 1
	case h < 20:
		return 1 - 0.75*(h-17.5)/2.5
	default:
		return 0.25
	}
}

// emit schedules one record. render runs when the record is handed out, in
// time order, so per-host counters (EventRecordID, audit serials) increase
// with time as they do on a real host. render must not touch g.rng: when
// it runs depends on how often Next is called, so randomness drawn there
// would break determinism. Draw everything before calling emit.
func (g *Generator) emit(t time.Time, source, host string, render func(t time.Time) string) {
	g.seq++
	heap.Push(&g.pending, &pending{t: t.UTC(), seq: g.seq, source: source, host: host, story: g.playing, render: render})
}

type pending struct {
	t      time.Time
	seq    uint64
	source string
	host   string
	story  string
	render func(time.Time) string
}

// pendingHeap orders by time, then by scheduling order, so that ties come
// out the same way every run.
type pendingHeap []*pending

func (h pendingHeap) Len() int { return len(h) }
func (h pendingHeap) Less(i, j int) bool {
	if !h[i].t.Equal(h[j].t) {
		return h[i].t.Before(h[j].t)
	}
	return h[i].seq < h[j].seq
}
func (h pendingHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *pendingHeap) Push(x any)   { *h = append(*h, x.(*pending)) }
func (h *pendingHeap) Pop() any {
	old := *h
	p := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return p
}

// pid hands out a fresh, plausible process id on host.
func (g *Generator) pid(h *host) int {
	p, ok := g.pids[h.Name]
	if !ok {
		p = h.pidBase
	}
	p += 4 * (1 + g.rng.Intn(40))
	if p > 60000 {
		p = 500 + g.rng.Intn(500)
	}
	if h.Windows {
		p &^= 3 // Windows process ids are multiples of four
	}
	g.pids[h.Name] = p
	return p
}

// pick returns a random element of xs.
func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.Intn(len(xs))] }

// jitter returns d scaled by a random factor in [1-f, 1+f].
func jitter(rng *rand.Rand, d time.Duration, f float64) time.Duration {
	return time.Duration(float64(d) * (1 - f + 2*f*rng.Float64()))
}
