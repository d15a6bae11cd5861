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

// KeyReader is a Detector that can name the event keys (native or ECS) it
// reads; all is set when it reads the whole event. A caller holding events
// in a store decodes only those keys (a retro-hunt over months of wide
// events), and the detector must match the cut-down events exactly as the
// whole ones.
type KeyReader interface {
	Detector
	EventKeys() (keys []string, all bool)
}

// Scoper is a Detector that can say which events it could match at all,
// so a reader of stored events may skip the others unread.
type Scoper interface {
	Detector
	Scope() Scope
}

// Scope describes the events a detector could match, by their dataset
// (event.dataset, or the dataset a Windows channel names) and event code.
// It may be wider than what the detector matches, never narrower.
type Scope struct {
	// All is set when the detector may match any event.
	All bool
	// Datasets maps a dataset to the event codes the detector needs in
	// it, or to nil for any code.
	Datasets map[string][]int64
	// Prefixes are dataset prefixes whose events may match with any code.
	Prefixes []string
	// Needs, for some datasets of Datasets, lists conditions one of which
	// holds for every event of the dataset the detector matches: the
	// value of Field, lower-cased, contains Text.
	Needs map[string][]Need
}

// Need is one condition of Scope.Needs.
type Need struct {
	Field string // an event key, read as is (no other key stands in for it)
	Text  string // lower case ASCII
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
