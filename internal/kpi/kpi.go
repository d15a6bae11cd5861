// Package kpi computes the numbers a SOC is managed by — mean time to
// detect (MTTD), to acknowledge (MTTA), to contain and to resolve (MTTR),
// alert volumes, false-positive rates and SLA compliance — from plain
// slices of alert and case records, so that every figure can be checked
// by hand.
//
// It computes from whatever timestamps exist: a record without an
// acknowledgement, containment or resolution time simply does not count
// in that figure (and an SLA clock past its deadline counts as missed).
// This package must never read a store or the clock itself: callers pass
// the records and "now", which keeps reports reproducible.
package kpi

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// Alert is one alert's history.
type Alert struct {
	Tenant    string
	ID        string
	RuleID    string
	RuleTitle string
	Severity  string // informational, low, medium, high, critical
	Source    string // what raised it: sigma, correlation, risk, intel, hunt, …
	// Resolution is how it was closed (true_positive, false_positive,
	// benign_positive, duplicate); empty while open.
	Resolution string
	// FirstEvent is the @timestamp of the first malicious event.
	FirstEvent time.Time
	Created    time.Time
	// Acknowledged, Contained and Resolved are nil until they happen.
	// Contained comes from the alert's case (its containment stage).
	Acknowledged *time.Time
	Contained    *time.Time
	Resolved     *time.Time
	// InCase is true when the alert belongs to a case: only then is it
	// expected to be contained.
	InCase bool
}

// Case is one case's history, for case-level MTTR.
type Case struct {
	Tenant    string
	ID        string
	Severity  string
	Created   time.Time
	Contained *time.Time
	Closed    *time.Time
}

// Resolutions (the values of store.Resolution*).
const (
	TruePositive   = "true_positive"
	FalsePositive  = "false_positive"
	BenignPositive = "benign_positive"
	Duplicate      = "duplicate"
)

// SLA is the allowed time per severity for acknowledging, containing and
// resolving.
type SLA map[string]SLALimits

// SLALimits are one severity's limits.
type SLALimits struct {
	Acknowledge, Contain, Resolve time.Duration
}

// Input is what a report is computed from.
type Input struct {
	Alerts []Alert
	Cases  []Case
	SLA    SLA
	From   time.Time // the period: records created in [From, To)
	To     time.Time
	Now    time.Time // open SLA clocks are judged at Now
}

// Durations summarises a set of durations, in seconds.
type Durations struct {
	Count  int     `json:"count"`
	Mean   float64 `json:"mean"`
	Median float64 `json:"median"`
	P90    float64 `json:"p90"`
}

// Compliance counts SLA clocks that met or missed their limit. Clocks
// still running within their limit are not counted yet.
type Compliance struct {
	Met    int     `json:"met"`
	Missed int     `json:"missed"`
	Rate   float64 `json:"rate"` // met / (met + missed); 0 when nothing counted
}

// SLACompliance is one severity's three clocks.
type SLACompliance struct {
	Acknowledge Compliance `json:"acknowledge"`
	Contain     Compliance `json:"contain"`
	Resolve     Compliance `json:"resolve"`
}

// RuleCount is the alert volume and false positives of one rule.
type RuleCount struct {
	RuleID         string  `json:"rule_id"`
	RuleTitle      string  `json:"rule_title"`
	Alerts         int     `json:"alerts"`
	Closed         int     `json:"closed"` // closed as true, false or benign positive
	FalsePositives int     `json:"false_positives"`
	FPRate         float64 `json:"false_positive_rate"`
}

// Summary holds the headline figures of one period (and one tenant).
type Summary struct {
	Alerts            int       `json:"alerts"`
	MTTD              Durations `json:"mttd"`
	MTTA              Durations `json:"mtta"`
	MTTRContain       Durations `json:"mttr_contain"`
	MTTRResolve       Durations `json:"mttr_resolve"`
	FalsePositiveRate float64   `json:"false_positive_rate"`
	SLARate           float64   `json:"sla_rate"` // all clocks of all severities
}

// Report is the KPI report of a period.
type Report struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	Summary
	CaseMTTRContain  Durations                `json:"case_mttr_contain"`
	CaseMTTRResolve  Durations                `json:"case_mttr_resolve"`
	AlertsBySeverity map[string]int           `json:"alerts_by_severity"`
	AlertsBySource   map[string]int           `json:"alerts_by_source"`
	AlertsByTenant   map[string]int           `json:"alerts_by_tenant"`
	Rules            []RuleCount              `json:"rules"`          // by alert volume
	NoisiestRules    []RuleCount              `json:"noisiest_rules"` // by false positives
	SLA              map[string]SLACompliance `json:"sla_compliance"`
	Tenants          map[string]Summary       `json:"tenants,omitempty"`
	// Previous is the same figures for the period of equal length just
	// before, for trends; nil when not computed.
	Previous *Summary `json:"previous,omitempty"`
}

// Compute builds the report of in.From–in.To. Alerts and cases outside
// the period are ignored, so callers may pass more than the period.
func Compute(in Input) Report {
	b := newBuilder(in, in.From, in.To)
	for i := range in.Alerts {
		if a := &in.Alerts[i]; b.covers(a.Created) {
			b.add(a)
		}
	}
	return b.report(in.Cases)
}

// WithPrevious computes the report and the headline figures of the
// period of equal length just before it, in one pass over the alerts.
func WithPrevious(in Input) Report {
	cur := newBuilder(in, in.From, in.To)
	prev := newBuilder(in, in.From.Add(-in.To.Sub(in.From)), in.From)
	for i := range in.Alerts {
		a := &in.Alerts[i]
		switch {
		case cur.covers(a.Created):
			cur.add(a)
		case prev.covers(a.Created):
			prev.add(a)
		}
	}
	r := cur.report(in.Cases)
	p := prev.report(nil).Summary
	r.Previous = &p
	return r
}

// builder accumulates one period's report, one alert at a time.
type builder struct {
	in                             Input
	from, to, now                  int64 // Unix nanoseconds
	all                            *acc
	bySeverity, bySource, byTenant counter
	tenants                        map[string]*acc
	lastTenant                     string
	last                           *acc
	rules                          map[string]*RuleCount
	lastRule                       *RuleCount
	slas                           severityTable
}

func newBuilder(in Input, from, to time.Time) *builder {
	all := &acc{}
	// Room for a period of a million alerts without repeated growth.
	c := len(in.Alerts) / 2
	all.mttd, all.mtta, all.resolve = make([]float64, 0, c), make([]float64, 0, c), make([]float64, 0, c)
	return &builder{in: in, from: from.UnixNano(), to: to.UnixNano(), now: in.Now.UnixNano(), all: all,
		tenants: map[string]*acc{}, rules: map[string]*RuleCount{}}
}

func (b *builder) covers(t time.Time) bool {
	n := t.UnixNano()
	return n >= b.from && n < b.to
}

func (b *builder) add(a *Alert) {
	b.bySeverity.inc(a.Severity)
	b.bySource.inc(a.Source)
	b.byTenant.inc(a.Tenant)
	rc := b.lastRule
	if rc == nil || rc.RuleID != a.RuleID {
		if rc = b.rules[a.RuleID]; rc == nil {
			rc = &RuleCount{RuleID: a.RuleID, RuleTitle: a.RuleTitle}
			b.rules[a.RuleID] = rc
		}
		b.lastRule = rc
	}
	rc.Alerts++
	if closedAs(a.Resolution) {
		rc.Closed++
		if a.Resolution == FalsePositive {
			rc.FalsePositives++
		}
	}
	t := b.last
	if t == nil || a.Tenant != b.lastTenant {
		if t = b.tenants[a.Tenant]; t == nil {
			t = &acc{}
			b.tenants[a.Tenant] = t
		}
		b.last, b.lastTenant = t, a.Tenant
	}
	i := b.slas.find(a.Severity)
	if i < 0 {
		lim, ok := b.in.SLA[a.Severity]
		b.slas.add(a.Severity, lim, ok)
		i = len(b.slas.keys) - 1
	}
	// The pointer is used before the next add can grow the table.
	b.all.add(a, b.slas.limits[i], b.slas.has[i], &b.slas.counts[i], b.now)
	t.add(a, b.slas.limits[i], b.slas.has[i], nil, b.now)
}

func (b *builder) report(cases []Case) Report {
	r := Report{From: time.Unix(0, b.from).UTC(), To: time.Unix(0, b.to).UTC(),
		AlertsBySeverity: map[string]int{}, AlertsBySource: map[string]int{}, AlertsByTenant: map[string]int{},
		SLA: map[string]SLACompliance{}, Tenants: map[string]Summary{}}
	r.Summary = b.all.summary()
	for name, t := range b.tenants {
		r.Tenants[name] = t.summary()
	}
	for i, sev := range b.slas.keys {
		if b.slas.has[i] {
			c := b.slas.counts[i]
			c.Acknowledge.Rate, c.Contain.Rate, c.Resolve.Rate = rate(c.Acknowledge), rate(c.Contain), rate(c.Resolve)
			r.SLA[sev] = c
		}
	}
	b.bySeverity.into(r.AlertsBySeverity)
	b.bySource.into(r.AlertsBySource)
	b.byTenant.into(r.AlertsByTenant)

	for _, rc := range b.rules {
		if rc.Closed > 0 {
			rc.FPRate = float64(rc.FalsePositives) / float64(rc.Closed)
		}
		r.Rules = append(r.Rules, *rc)
	}
	slices.SortFunc(r.Rules, func(a, b RuleCount) int {
		return cmp.Or(cmp.Compare(b.Alerts, a.Alerts), cmp.Compare(a.RuleID, b.RuleID))
	})
	for _, rc := range r.Rules {
		if rc.FalsePositives > 0 {
			r.NoisiestRules = append(r.NoisiestRules, rc)
		}
	}
	slices.SortFunc(r.NoisiestRules, func(a, b RuleCount) int {
		return cmp.Or(cmp.Compare(b.FalsePositives, a.FalsePositives), cmp.Compare(b.FPRate, a.FPRate), cmp.Compare(a.RuleID, b.RuleID))
	})

	var contain, resolve []float64
	for _, c := range cases {
		if !b.covers(c.Created) {
			continue
		}
		if c.Contained != nil {
			contain = append(contain, seconds(c.Contained.UnixNano()-c.Created.UnixNano()))
		}
		if c.Closed != nil {
			resolve = append(resolve, seconds(c.Closed.UnixNano()-c.Created.UnixNano()))
		}
	}
	r.CaseMTTRContain, r.CaseMTTRResolve = summarize(contain), summarize(resolve)
	return r
}

// counter counts string keys. The keys of a report (severities, sources,
// tenants) are few, so a linear scan beats hashing a million times; past
// 32 keys it falls back to a map.
type counter struct {
	keys  []string
	n     []int
	index map[string]int
}

func (c *counter) inc(k string) {
	if c.index != nil {
		if i, ok := c.index[k]; ok {
			c.n[i]++
			return
		}
	} else {
		for i, key := range c.keys {
			if key == k {
				c.n[i]++
				return
			}
		}
	}
	c.keys, c.n = append(c.keys, k), append(c.n, 1)
	if c.index != nil || len(c.keys) > 32 {
		if c.index == nil {
			c.index = make(map[string]int, 64)
			for i, key := range c.keys {
				c.index[key] = i
			}
		}
		c.index[k] = len(c.keys) - 1
	}
}

func (c *counter) into(m map[string]int) {
	for i, k := range c.keys {
		m[k] = c.n[i]
	}
}

// severityTable holds each severity's SLA limits and clocks.
type severityTable struct {
	keys   []string
	limits []SLALimits
	has    []bool
	counts []SLACompliance
}

func (t *severityTable) find(sev string) int {
	for i, k := range t.keys {
		if k == sev {
			return i
		}
	}
	return -1
}

func (t *severityTable) add(sev string, lim SLALimits, has bool) {
	t.keys, t.limits, t.has = append(t.keys, sev), append(t.limits, lim), append(t.has, has)
	t.counts = append(t.counts, SLACompliance{})
}

func closedAs(res string) bool {
	return res == TruePositive || res == FalsePositive || res == BenignPositive
}

// acc accumulates one population's durations and clocks.
type acc struct {
	alerts                       int
	mttd, mtta, contain, resolve []float64
	closed, falsePos             int
	met, missed                  int
}

// add counts one alert. Times are compared as Unix nanoseconds: this loop
// runs a million times per report.
func (t *acc) add(a *Alert, lim SLALimits, hasSLA bool, sev *SLACompliance, now int64) {
	t.alerts++
	created := a.Created.UnixNano()
	if a.Resolution == TruePositive && !a.FirstEvent.IsZero() {
		t.mttd = append(t.mttd, seconds(created-a.FirstEvent.UnixNano()))
	}
	ack, contained, resolved := nanos(a.Acknowledged), nanos(a.Contained), nanos(a.Resolved)
	if ack != 0 {
		t.mtta = append(t.mtta, seconds(ack-created))
	}
	if contained != 0 {
		t.contain = append(t.contain, seconds(contained-created))
	}
	if resolved != 0 && a.Resolution == TruePositive {
		t.resolve = append(t.resolve, seconds(resolved-created))
	}
	if closedAs(a.Resolution) {
		t.closed++
		if a.Resolution == FalsePositive {
			t.falsePos++
		}
	}
	if !hasSLA {
		return
	}
	var scratch SLACompliance
	if sev == nil {
		sev = &scratch
	}
	t.clock(&sev.Acknowledge, created, ack, lim.Acknowledge, now, true)
	t.clock(&sev.Contain, created, contained, lim.Contain, now, a.InCase)
	t.clock(&sev.Resolve, created, resolved, lim.Resolve, now, true)
}

// nanos is a time as Unix nanoseconds, 0 for nil.
func nanos(t *time.Time) int64 {
	if t == nil {
		return 0
	}
	return t.UnixNano()
}

// clock judges one SLA clock: met when done within the limit; missed when
// done late, or not done and the deadline has passed at now. A clock that
// does not apply (containment of an alert outside any case that was never
// contained) is not counted. done is 0 when not done.
func (t *acc) clock(c *Compliance, start, done int64, limit time.Duration, now int64, applies bool) {
	if limit <= 0 {
		return
	}
	deadline := start + int64(limit)
	switch {
	case done != 0 && done <= deadline:
		c.Met++
		t.met++
	case done != 0:
		c.Missed++
		t.missed++
	case !applies:
	case now > deadline:
		c.Missed++
		t.missed++
	}
}

func (t *acc) summary() Summary {
	s := Summary{Alerts: t.alerts, MTTD: summarize(t.mttd), MTTA: summarize(t.mtta),
		MTTRContain: summarize(t.contain), MTTRResolve: summarize(t.resolve)}
	if t.closed > 0 {
		s.FalsePositiveRate = float64(t.falsePos) / float64(t.closed)
	}
	s.SLARate = rate(Compliance{Met: t.met, Missed: t.missed})
	return s
}

func rate(c Compliance) float64 {
	if c.Met+c.Missed == 0 {
		return 0
	}
	return float64(c.Met) / float64(c.Met+c.Missed)
}

// seconds of a duration in nanoseconds; negative durations (clock skew
// between a source and Yagura) count as zero.
func seconds(ns int64) float64 { return max(float64(ns)/1e9, 0) }

// summarize computes mean, median and p90. The median of an even count is
// the mean of the two middle values; p90 is the nearest-rank percentile
// (the value at rank ceil(0.9·n)). xs is reordered.
func summarize(xs []float64) Durations {
	n := len(xs)
	if n == 0 {
		return Durations{}
	}
	sum := 0.0
	for _, x := range xs {
		sum += x
	}
	d := Durations{Count: n, Mean: sum / float64(n)}
	if n%2 == 1 {
		d.Median = nth(xs, n/2)
	} else {
		lo := nth(xs, n/2-1)
		// After selecting rank n/2-1, the smallest of the upper part is rank n/2.
		d.Median = (lo + slices.Min(xs[n/2:])) / 2
	}
	d.P90 = nth(xs, int(math.Ceil(0.9*float64(n)))-1)
	return d
}

// nth returns the k-th smallest value (0-based), partially reordering xs
// so that xs[:k] <= xs[k] <= xs[k+1:]: linear time on average, so a
// million durations cost milliseconds rather than a sort.
func nth(xs []float64, k int) float64 {
	lo, hi := 0, len(xs)-1
	for lo < hi {
		// Median of three as the pivot keeps sorted input linear.
		mid := lo + (hi-lo)/2
		if xs[mid] < xs[lo] {
			xs[mid], xs[lo] = xs[lo], xs[mid]
		}
		if xs[hi] < xs[lo] {
			xs[hi], xs[lo] = xs[lo], xs[hi]
		}
		if xs[hi] < xs[mid] {
			xs[hi], xs[mid] = xs[mid], xs[hi]
		}
		pivot := xs[mid]
		i, j := lo, hi
		for i <= j {
			for xs[i] < pivot {
				i++
			}
			for xs[j] > pivot {
				j--
			}
			if i <= j {
				xs[i], xs[j] = xs[j], xs[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return xs[k]
		}
	}
	return xs[k]
}
