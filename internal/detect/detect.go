// Package detect is the seam between the pipeline and the detection
// engines. The pipeline only knows the Detector interface; the Sigma engine
// (detect/sigma), the correlation engine and the threat-intel matcher
// implement it. A detector produces Match records, never alerts: turning
// matches into alerts (dedup, scoring, suppression) is the alert package's job.
package detect

import (
	"time"

	"github.com/yagura-soc/yagura/internal/event"
)

// Match is one rule firing on one event, or one correlation firing on a
// group of events.
type Match struct {
	Tenant         string
	RuleID         string
	RuleTitle      string
	Level          string   // Sigma level: informational, low, medium, high, critical
	Tags           []string // e.g. attack.t1059.001
	FalsePositives []string
	Time           time.Time // @timestamp of the (last) triggering event
	// Events are the events that made the match: one for a single rule,
	// the contributing events (bounded) for a correlation.
	Events []*event.Event
	// Correlation is true when the match comes from a correlation rule.
	Correlation bool
	// GroupBy holds the correlation's group-by values, if any.
	GroupBy map[string]string
	// Fields carries detector-specific facts the alert stage may use, e.g.
	// "threat.indicator.confidence" for intel hits.
	Fields event.Fields
}

// Detector evaluates events. Implementations must be safe for concurrent
// use; Detect appends its matches to out and returns the extended slice so
// the hot path allocates nothing when nothing matches.
type Detector interface {
	Detect(ev *event.Event, out []Match) []Match
}

// Chain runs several detectors in order on every event.
type Chain []Detector

// Detect implements Detector.
func (c Chain) Detect(ev *event.Event, out []Match) []Match {
	for _, d := range c {
		out = d.Detect(ev, out)
	}
	return out
}
