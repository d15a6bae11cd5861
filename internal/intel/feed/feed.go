// Package feed is what every threat-intelligence feed reader shares: the
// options a feed is read with (source name, default confidence, TLP, expiry,
// whether its indicators are to be blocked) and the result (indicators plus
// the parts of the feed that did not become indicators, each with a reason).
//
// Each format lives in its own package with the same shape: a Format
// constant, Read(r, Options) (Result, error), table tests on real samples
// and a fuzz target. A reader must never drop an entry silently: what it
// cannot turn into an indicator goes to Result.Rejected with a reason. It
// must never panic on input, whatever the input.
package feed

import (
	"fmt"
	"time"

	"github.com/yagura-soc/yagura/internal/intel"
)

// Options describe the feed being read.
type Options struct {
	Source     string        // name kept on every indicator, e.g. "urlhaus"
	Confidence int           // for entries that carry none; 0 means 50
	TLP        string        // for entries that carry none; "" means clear
	ToBlock    bool          // mark the indicators for blocking devices
	TTL        time.Duration // expiry after last seen; 0 means never
	Tags       []string      // added to every indicator
	Now        time.Time     // stands in for missing dates
	// MaxEntries bounds what one document may produce; 0 means 5,000,000.
	MaxEntries int
}

// Rejection is a feed entry that did not become an indicator.
type Rejection struct {
	Ref    string `json:"ref,omitempty"`   // where: STIX id, line number, attribute uuid
	Value  string `json:"value,omitempty"` // the offending text, shortened
	Reason string `json:"reason"`
}

// Result is what a reader produced.
type Result struct {
	IOCs     []intel.IOC
	Rejected []Rejection
}

// Defaults fills unset options.
func (o Options) Defaults() Options {
	if o.Source == "" {
		o.Source = "import"
	}
	if o.Confidence == 0 {
		o.Confidence = 50
	}
	if o.Now.IsZero() {
		o.Now = time.Now().UTC()
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = 5_000_000
	}
	return o
}

// Add completes an indicator with the options (source, defaults, expiry),
// checks it with intel.Prepare and keeps it, or records why not.
func (r *Result) Add(o Options, ref string, i intel.IOC) {
	if len(r.IOCs) >= o.MaxEntries {
		if len(r.Rejected) == 0 || r.Rejected[len(r.Rejected)-1].Reason != "too many entries" {
			r.Reject(ref, i.Value, "too many entries")
		}
		return
	}
	if i.Confidence == 0 {
		i.Confidence = o.Confidence
	}
	if i.TLP == "" {
		i.TLP = o.TLP
	}
	i.ToBlock = i.ToBlock || o.ToBlock
	i.Tags = append(i.Tags, o.Tags...)
	if len(i.Sources) == 0 {
		i.Sources = []intel.Source{{Name: o.Source, Ref: ref}}
	}
	p, err := intel.Prepare(i, o.Now)
	if err != nil {
		r.Reject(ref, i.Value, err.Error())
		return
	}
	if p.Expires == nil && o.TTL > 0 {
		e := p.LastSeen.Add(o.TTL)
		p.Expires = &e
	}
	r.IOCs = append(r.IOCs, p)
}

// Reject records an entry that did not become an indicator.
func (r *Result) Reject(ref, value, reason string) {
	if len(value) > 200 {
		value = value[:197] + "..."
	}
	r.Rejected = append(r.Rejected, Rejection{Ref: ref, Value: value, Reason: reason})
}

// Rejectf is Reject with a formatted reason.
func (r *Result) Rejectf(ref, value, format string, a ...any) {
	r.Reject(ref, value, fmt.Sprintf(format, a...))
}
