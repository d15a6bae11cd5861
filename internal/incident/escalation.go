package incident

import (
	"slices"
	"strings"
	"time"
)

// Severities, lowest first: the one scale alerts and cases share.
var Severities = []string{"informational", "low", "medium", "high", "critical"}

// severityRank is a severity's place on the scale; an unknown one ranks
// with informational.
func severityRank(s string) int { return max(slices.Index(Severities, s), 0) }

// AtLeast reports whether severity s is at or above threshold t.
func AtLeast(s, t string) bool { return severityRank(s) >= severityRank(t) }

// Settings are a tenant's incident settings.
type Settings struct {
	// EscalationThreshold: a case at or above it escalates out of Detect.
	EscalationThreshold string
	SLA                 SLAPolicy
}

// DefaultSettings apply to a tenant that set none.
func DefaultSettings() Settings {
	return Settings{EscalationThreshold: "high", SLA: DefaultSLA()}
}

// Criterion decides whether a case meets an escalation condition. Facts
// are set by people ("damage is possible"); some criteria also derive from
// the case itself.
type Criterion func(c Case, s Settings) bool

// Criteria are the escalation conditions playbooks may name.
var Criteria = map[string]Criterion{
	"severity_at_least_threshold": func(c Case, s Settings) bool { return AtLeast(c.Severity, s.EscalationThreshold) },
	"damage_possible":             func(c Case, _ Settings) bool { return c.Facts["damage_possible"] },
	"business_impact_expected":    func(c Case, _ Settings) bool { return c.Facts["business_impact_expected"] },
	// Spreading is declared, or evident when the case spans several hosts.
	"damage_may_spread": func(c Case, _ Settings) bool {
		hosts := 0
		for _, e := range c.Entities {
			if strings.HasPrefix(e, "host.name=") {
				hosts++
			}
		}
		return c.Facts["damage_may_spread"] || hosts > 1
	},
	"external_sharing_needed": func(c Case, _ Settings) bool { return c.Facts["external_sharing_needed"] },
	"always":                  func(Case, Settings) bool { return true },
}

// Evaluate raises the escalation of the current stage when its criterion
// holds and it was not raised before. It returns the new escalation, if
// any; handing the case to the CSIRT also grants the csirt role access.
func (c *Case) Evaluate(p Playbook, s Settings, now time.Time) *Escalation {
	if c.Status == StatusClosed {
		return nil
	}
	stage := p.Stages[c.Stage]
	crit, ok := Criteria[stage.EscalateWhen]
	if !ok || !crit(*c, s) {
		return nil
	}
	if slices.ContainsFunc(c.Escalations, func(e Escalation) bool { return e.Stage == stage.Key }) {
		return nil
	}
	e := Escalation{Stage: stage.Key, Criterion: stage.EscalateWhen, To: stage.EscalateTo, At: now}
	c.Escalations = append(c.Escalations, e)
	if e.To == "csirt" {
		c.CSIRT = true
	}
	c.UpdatedAt = now
	return &e
}
