package kpi

import (
	"fmt"
	"math"
	"math/rand"
	"slices"
	"testing"
	"time"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func ptr(t time.Time) *time.Time { return &t }

var (
	h     = time.Hour
	tNov1 = at("2026-11-01T00:00:00Z")
	tDec1 = at("2026-12-01T00:00:00Z")
	sla   = SLA{
		"high": {Acknowledge: h, Contain: 8 * h, Resolve: 72 * h},
		"low":  {Acknowledge: 24 * h, Contain: 72 * h, Resolve: 720 * h},
	}
)

// history is a month of a small SOC, built so that every figure below can
// be worked out with pencil and paper (the working is in the comments).
func history() Input {
	t0 := at("2026-11-10T09:00:00Z")
	t1 := at("2026-11-11T09:00:00Z")
	t2 := at("2026-11-12T09:00:00Z")
	t3 := at("2026-11-13T09:00:00Z")
	t4 := at("2026-11-20T09:00:00Z")
	t5 := at("2026-11-25T09:00:00Z")
	t6 := at("2026-11-26T09:00:00Z")
	t8 := at("2026-10-15T09:00:00Z")
	m := time.Minute
	return Input{From: tNov1, To: tDec1, Now: tDec1, SLA: sla,
		Alerts: []Alert{
			// A1: detected 10m after the first event, acked in 30m,
			// contained in 4h, resolved in 24h: every clock met.
			{Tenant: "acme", ID: "A1", RuleID: "R1", RuleTitle: "Brute force", Severity: "high", Source: "sigma", Resolution: TruePositive,
				FirstEvent: t0.Add(-10 * m), Created: t0, Acknowledged: ptr(t0.Add(30 * m)), InCase: true, Contained: ptr(t0.Add(4 * h)), Resolved: ptr(t0.Add(24 * h))},
			// A2: MTTD 30m; ack 2h (missed), contain 10h (missed), resolve 48h (met).
			{Tenant: "acme", ID: "A2", RuleID: "R1", RuleTitle: "Brute force", Severity: "high", Source: "sigma", Resolution: TruePositive,
				FirstEvent: t1.Add(-30 * m), Created: t1, Acknowledged: ptr(t1.Add(2 * h)), InCase: true, Contained: ptr(t1.Add(10 * h)), Resolved: ptr(t1.Add(48 * h))},
			// A3: false positive: ack 1h (met), resolved 2h (met); no MTTD, no MTTR.
			{Tenant: "acme", ID: "A3", RuleID: "R2", RuleTitle: "Scanner", Severity: "low", Source: "sigma", Resolution: FalsePositive,
				FirstEvent: t2.Add(-m), Created: t2, Acknowledged: ptr(t2.Add(h)), Resolved: ptr(t2.Add(2 * h))},
			// A4: false positive: ack 30h (missed), resolved 31h (met).
			{Tenant: "acme", ID: "A4", RuleID: "R2", RuleTitle: "Scanner", Severity: "low", Source: "sigma", Resolution: FalsePositive,
				Created: t3, Acknowledged: ptr(t3.Add(30 * h)), Resolved: ptr(t3.Add(31 * h))},
			// A5: another tenant, still open on Dec 1, in a case: all three clocks missed.
			{Tenant: "beta", ID: "A5", RuleID: "R3", RuleTitle: "C2 beacon", Severity: "high", Source: "intel",
				FirstEvent: t4.Add(-h), Created: t4, InCase: true},
			// A6: benign positive: ack 1h, resolved 1h (met).
			{Tenant: "acme", ID: "A6", RuleID: "R2", RuleTitle: "Scanner", Severity: "low", Source: "sigma", Resolution: BenignPositive,
				Created: t5, Acknowledged: ptr(t5.Add(h)), Resolved: ptr(t5.Add(h))},
			// A7: duplicate: ack and resolve 10m (met); not in a case, so no contain clock; not in the FP rate.
			{Tenant: "acme", ID: "A7", RuleID: "R1", RuleTitle: "Brute force", Severity: "high", Source: "sigma", Resolution: Duplicate,
				Created: t6, Acknowledged: ptr(t6.Add(10 * m)), Resolved: ptr(t6.Add(10 * m))},
			// A8: the previous period (October).
			{Tenant: "acme", ID: "A8", RuleID: "R1", RuleTitle: "Brute force", Severity: "high", Source: "sigma", Resolution: TruePositive,
				FirstEvent: t8.Add(-20 * m), Created: t8, Acknowledged: ptr(t8.Add(20 * m)), InCase: true, Contained: ptr(t8.Add(2 * h)), Resolved: ptr(t8.Add(10 * h))},
			// A9: after the period: ignored.
			{Tenant: "acme", ID: "A9", RuleID: "R1", Severity: "high", Source: "sigma", Created: at("2026-12-02T00:00:00Z")},
			// A10: medium has no SLA; raised by a scheduled hunt.
			{Tenant: "acme", ID: "A10", RuleID: "R4", RuleTitle: "Hunt", Severity: "medium", Source: "hunt", Created: at("2026-11-30T23:00:00Z")},
		},
		Cases: []Case{
			// C1: opened 20m after A1: contained after 3h40m = 13200s, closed after 23h40m = 85200s.
			{Tenant: "acme", ID: "C1", Severity: "high", Created: t0.Add(20 * m), Contained: ptr(t0.Add(4 * h)), Closed: ptr(t0.Add(24 * h))},
			{Tenant: "beta", ID: "C2", Severity: "high", Created: t4.Add(h)},
			{Tenant: "acme", ID: "C3", Severity: "high", Created: t8, Contained: ptr(t8.Add(h)), Closed: ptr(t8.Add(2 * h))},
		},
	}
}

func TestComputeByHand(t *testing.T) {
	r := WithPrevious(history())
	checks := []struct {
		name      string
		got, want any
	}{
		// A1..A7 and A10 are in November.
		{"alerts", r.Alerts, 8},
		{"by severity", fmt.Sprint(r.AlertsBySeverity), "map[high:4 low:3 medium:1]"},
		{"by source", fmt.Sprint(r.AlertsBySource), "map[hunt:1 intel:1 sigma:6]"},
		{"by tenant", fmt.Sprint(r.AlertsByTenant), "map[acme:7 beta:1]"},
		// True positives with a first event: A1 600s, A2 1800s.
		{"mttd", r.MTTD, Durations{Count: 2, Mean: 1200, Median: 1200, P90: 1800}},
		// Acks: 600 1800 3600 3600 7200 108000; sum 124800 / 6 = 20800;
		// median (3600+3600)/2; p90 is rank ceil(5.4) = 6.
		{"mtta", r.MTTA, Durations{Count: 6, Mean: 20800, Median: 3600, P90: 108000}},
		// Contained: A1 4h = 14400s, A2 10h = 36000s.
		{"mttr contain", r.MTTRContain, Durations{Count: 2, Mean: 25200, Median: 25200, P90: 36000}},
		// Resolved true positives: A1 24h = 86400s, A2 48h = 172800s.
		{"mttr resolve", r.MTTRResolve, Durations{Count: 2, Mean: 129600, Median: 129600, P90: 172800}},
		// Closed as true/false/benign: A1 A2 A3 A4 A6; false: A3 A4.
		{"fp rate", r.FalsePositiveRate, 0.4},
		{"case contain", r.CaseMTTRContain, Durations{Count: 1, Mean: 13200, Median: 13200, P90: 13200}},
		{"case resolve", r.CaseMTTRResolve, Durations{Count: 1, Mean: 85200, Median: 85200, P90: 85200}},
		// high: ack met A1 A7, missed A2 A5; contain met A1, missed A2 A5
		// (A7 is in no case); resolve met A1 A2 A7, missed A5.
		{"sla high", r.SLA["high"], SLACompliance{
			Acknowledge: Compliance{Met: 2, Missed: 2, Rate: 0.5},
			Contain:     Compliance{Met: 1, Missed: 2, Rate: 1.0 / 3},
			Resolve:     Compliance{Met: 3, Missed: 1, Rate: 0.75}}},
		// low: ack met A3 A6, missed A4; no contain clock; resolve met all three.
		{"sla low", r.SLA["low"], SLACompliance{
			Acknowledge: Compliance{Met: 2, Missed: 1, Rate: 2.0 / 3},
			Resolve:     Compliance{Met: 3, Rate: 1}}},
		{"no sla for medium", len(r.SLA), 2},
		// 6 + 5 met, 5 + 1 missed.
		{"sla overall", r.SLARate, 11.0 / 17},
		{"rules", fmt.Sprint(r.Rules), "[{R1 Brute force 3 2 0 0} {R2 Scanner 3 3 2 0.6666666666666666} {R3 C2 beacon 1 0 0 0} {R4 Hunt 1 0 0 0}]"},
		{"noisiest", fmt.Sprint(r.NoisiestRules), "[{R2 Scanner 3 3 2 0.6666666666666666}]"},
		// beta: one open alert, three missed clocks.
		{"tenant beta", r.Tenants["beta"], Summary{Alerts: 1}},
		// acme: all but A5; its clocks: 11 met, 3 missed (A2 ack and contain, A4 ack).
		{"tenant acme alerts", r.Tenants["acme"].Alerts, 7},
		{"tenant acme sla", r.Tenants["acme"].SLARate, 11.0 / 14},
		{"tenant acme fp", r.Tenants["acme"].FalsePositiveRate, 0.4},
		{"tenant acme mttd", r.Tenants["acme"].MTTD, r.MTTD},
		// October (Oct 2 – Nov 1): A8 only, every clock met.
		{"previous", *r.Previous, Summary{Alerts: 1,
			MTTD: Durations{1, 1200, 1200, 1200}, MTTA: Durations{1, 1200, 1200, 1200},
			MTTRContain: Durations{1, 7200, 7200, 7200}, MTTRResolve: Durations{1, 36000, 36000, 36000}, SLARate: 1}},
	}
	for _, c := range checks {
		if !approx(c.got, c.want) {
			t.Errorf("%s = %+v, want %+v", c.name, c.got, c.want)
		}
	}
}

// approx compares floats (alone or inside structs) to 1e-9.
func approx(a, b any) bool {
	if fa, ok := a.(float64); ok {
		fb, ok := b.(float64)
		return ok && math.Abs(fa-fb) < 1e-9
	}
	if ca, ok := a.(SLACompliance); ok {
		cb := b.(SLACompliance)
		for _, p := range [][2]Compliance{{ca.Acknowledge, cb.Acknowledge}, {ca.Contain, cb.Contain}, {ca.Resolve, cb.Resolve}} {
			if p[0].Met != p[1].Met || p[0].Missed != p[1].Missed || math.Abs(p[0].Rate-p[1].Rate) > 1e-9 {
				return false
			}
		}
		return true
	}
	return fmt.Sprint(a) == fmt.Sprint(b)
}

func TestSummarize(t *testing.T) {
	cases := []struct {
		in   []float64
		want Durations
	}{
		{nil, Durations{}},
		{[]float64{5}, Durations{1, 5, 5, 5}},
		{[]float64{3, 1, 2}, Durations{3, 2, 2, 3}},
		{[]float64{4, 1, 3, 2}, Durations{4, 2.5, 2.5, 4}},
		{[]float64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, Durations{10, 5.5, 5.5, 9}},
		{[]float64{7, 7, 7, 7}, Durations{4, 7, 7, 7}},
		{[]float64{0, 0, 100}, Durations{3, 100.0 / 3, 0, 100}},
	}
	for _, c := range cases {
		if got := summarize(slices.Clone(c.in)); !approx(fmt.Sprintf("%.6f", []float64{float64(got.Count), got.Mean, got.Median, got.P90}),
			fmt.Sprintf("%.6f", []float64{float64(c.want.Count), c.want.Mean, c.want.Median, c.want.P90})) {
			t.Errorf("summarize(%v) = %+v, want %+v", c.in, got, c.want)
		}
	}
}

// TestNthAgreesWithSort checks the selection against a full sort on
// random data with many ties.
func TestNthAgreesWithSort(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for trial := range 300 {
		n := 1 + rng.Intn(200)
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = float64(rng.Intn(1 + trial%20))
		}
		sorted := slices.Sorted(slices.Values(xs))
		k := rng.Intn(n)
		if got := nth(slices.Clone(xs), k); got != sorted[k] {
			t.Fatalf("nth(%v, %d) = %v, want %v", xs, k, got, sorted[k])
		}
	}
}

func TestNegativeDurationsCountAsZero(t *testing.T) {
	c := at("2026-11-10T00:00:00Z")
	r := Compute(Input{From: tNov1, To: tDec1, Now: tDec1, Alerts: []Alert{
		{ID: "skew", Severity: "high", Resolution: TruePositive, FirstEvent: c.Add(time.Minute), Created: c},
	}})
	if r.MTTD != (Durations{Count: 1}) {
		t.Errorf("MTTD with a first event after creation = %+v, want zero", r.MTTD)
	}
}

// synthetic builds n alerts spread over November, for benchmarks.
func synthetic(n int) Input {
	rng := rand.New(rand.NewSource(7))
	sev := []string{"low", "medium", "high", "critical"}
	res := []string{"", TruePositive, FalsePositive, BenignPositive, Duplicate}
	in := Input{From: tNov1, To: tDec1, Now: tDec1, SLA: sla, Alerts: make([]Alert, n)}
	for i := range in.Alerts {
		c := tNov1.Add(time.Duration(rng.Int63n(int64(30 * 24 * h))))
		a := Alert{Tenant: fmt.Sprintf("t%d", i%20), ID: fmt.Sprint(i), RuleID: fmt.Sprintf("R%d", i%300),
			Severity: sev[i%4], Source: "sigma", Resolution: res[i%5], Created: c, FirstEvent: c.Add(-time.Duration(rng.Intn(3600)) * time.Second)}
		if i%3 != 0 {
			a.Acknowledged = ptr(c.Add(time.Duration(rng.Intn(7200)) * time.Second))
		}
		if i%7 == 0 {
			a.InCase = true
			a.Contained = ptr(c.Add(time.Duration(rng.Intn(36000)) * time.Second))
		}
		if a.Resolution != "" {
			a.Resolved = ptr(c.Add(time.Duration(rng.Intn(200000)) * time.Second))
		}
		in.Alerts[i] = a
	}
	return in
}

// BenchmarkCompute1M: the KPIs of a month with a million alerts (target
// under 200 ms; see docs/performance.md).
func BenchmarkCompute1M(b *testing.B) {
	in := synthetic(1_000_000)
	b.ResetTimer()
	for b.Loop() {
		WithPrevious(in)
	}
}
