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
	r := Report{From: in.From, To: in.To,
		AlertsBySeverity: map[string]int{}, AlertsBySource: map[string]int{}, AlertsByTenant: map[string]int{},
		SLA: map[string]SLACompliance{}, Tenants: map[string]Summary{}}
	inPeriod := func(t time.Time) bool { return !t.Before(in.From) && t.Before(in.To) }

	all := newAcc()
	// One allocation for each population instead of repeated growth: a
	// million alerts is the design point.
	all.mttd = make([]float64, 0, len(in.Alerts))
	all.mtta = make([]float64, 0, len(in.Alerts))
	all.contain = make([]float64, 0, len(in.Alerts)/4)
	all.resolve = make([]float64, 0, len(in.Alerts))
	byTenant := map[string]*acc{}
	var lastTenant string
	var last *acc
	var lastRule *RuleCount
	perSeverity := map[string]*SLACompliance{}
	now := in.Now.UnixNano()
	rules := map[string]*RuleCount{}
	for i := range in.Alerts {
		a := &in.Alerts[i]
		if !inPeriod(a.Created) {
			continue
		}
		r.AlertsBySeverity[a.Severity]++
		r.AlertsBySource[a.Source]++
		r.AlertsByTenant[a.Tenant]++
		rc := lastRule
		if rc == nil || rc.RuleID != a.RuleID {
			if rc = rules[a.RuleID]; rc == nil {
				rc = &RuleCount{RuleID: a.RuleID, RuleTitle: a.RuleTitle}
				rules[a.RuleID] = rc
			}
			lastRule = rc
		}
		rc.Alerts++
		if closedAs(a.Resolution) {
			rc.Closed++
			if a.Resolution == FalsePositive {
				rc.FalsePositives++
			}
		}
		t := last
		if t == nil || a.Tenant != lastTenant {
			if t = byTenant[a.Tenant]; t == nil {
				t = newAcc()
				byTenant[a.Tenant] = t
			}
			last, lastTenant = t, a.Tenant
		}
		lim, hasSLA := in.SLA[a.Severity]
		var sev *SLACompliance
		if hasSLA {
			if sev = perSeverity[a.Severity]; sev == nil {
				sev = &SLACompliance{}
				perSeverity[a.Severity] = sev
			}
		}
		all.add(a, lim, hasSLA, sev, now)
		t.add(a, lim, hasSLA, nil, now)
	}
	r.Summary = all.summary()
	for name, t := range byTenant {
		r.Tenants[name] = t.summary()
	}
	for sev, c := range perSeverity {
		r.SLA[sev] = *c
	}
	for sev, c := range r.SLA {
		c.Acknowledge.Rate, c.Contain.Rate, c.Resolve.Rate = rate(c.Acknowledge), rate(c.Contain), rate(c.Resolve)
		r.SLA[sev] = c
	}

	for _, rc := range rules {
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
	for _, c := range in.Cases {
		if !inPeriod(c.Created) {
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

// WithPrevious computes the report and the headline figures of the
// period of equal length just before it.
func WithPrevious(in Input) Report {
	r := Compute(in)
	prev := in
	prev.From, prev.To = in.From.Add(-in.To.Sub(in.From)), in.From
	p := Compute(prev).Summary
	r.Previous = &p
	return r
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

func newAcc() *acc { return &acc{} }

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
