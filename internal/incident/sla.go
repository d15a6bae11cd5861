package incident

import "time"

// SLA timers.
const (
	TimerAcknowledge = "acknowledge" // until Detect is completed
	TimerContain     = "contain"     // until Respond is completed
	TimerResolve     = "resolve"     // until the case is closed
)

// SLALimits are the allowed durations of one severity.
type SLALimits struct {
	Acknowledge time.Duration `json:"acknowledge"`
	Contain     time.Duration `json:"contain"`
	Resolve     time.Duration `json:"resolve"`
}

// SLAPolicy maps severities to limits. WarnAt is the share of a limit
// after which a running timer warns (e.g. 0.8).
type SLAPolicy struct {
	Limits map[string]SLALimits `json:"limits"`
	WarnAt float64              `json:"warn_at"`
}

// DefaultSLA is a common SOC service level.
func DefaultSLA() SLAPolicy {
	h := time.Hour
	return SLAPolicy{WarnAt: 0.8, Limits: map[string]SLALimits{
		"critical":      {15 * time.Minute, 4 * h, 24 * h},
		"high":          {h, 8 * h, 72 * h},
		"medium":        {4 * h, 24 * h, 7 * 24 * h},
		"low":           {24 * h, 72 * h, 30 * 24 * h},
		"informational": {72 * h, 7 * 24 * h, 30 * 24 * h},
	}}
}

// Timer states.
const (
	TimerMet      = "met"
	TimerRunning  = "running"
	TimerWarning  = "warning"
	TimerBreached = "breached" // still running past the limit
	TimerLate     = "late"     // done, but after the limit
)

// Timer is one SLA clock of a case.
type Timer struct {
	Name     string        `json:"name"`
	Limit    time.Duration `json:"limit_seconds"`
	Deadline time.Time     `json:"deadline"`
	DoneAt   *time.Time    `json:"done_at,omitempty"`
	State    string        `json:"state"`
	// Remaining is negative once breached; zero when done.
	Remaining time.Duration `json:"remaining_seconds"`
}

// Timers computes the case's SLA clocks at now. The stage keys that stop
// the acknowledge and contain clocks are the default playbook's
// ("detect", "respond").
func (c Case) Timers(pol SLAPolicy, now time.Time) []Timer {
	lim, ok := pol.Limits[c.Severity]
	if !ok {
		lim = pol.Limits["medium"]
	}
	timers := []Timer{
		c.timer(TimerAcknowledge, lim.Acknowledge, c.StageCompleted("detect"), pol.WarnAt, now),
		c.timer(TimerContain, lim.Contain, c.StageCompleted("respond"), pol.WarnAt, now),
		c.timer(TimerResolve, lim.Resolve, c.ClosedAt, pol.WarnAt, now),
	}
	return timers
}

func (c Case) timer(name string, limit time.Duration, done *time.Time, warnAt float64, now time.Time) Timer {
	t := Timer{Name: name, Limit: limit, Deadline: c.CreatedAt.Add(limit), DoneAt: done}
	switch {
	case done != nil && !done.After(t.Deadline):
		t.State = TimerMet
	case done != nil:
		t.State = TimerLate
	case now.After(t.Deadline):
		t.State, t.Remaining = TimerBreached, t.Deadline.Sub(now)
	case now.Sub(c.CreatedAt) >= time.Duration(float64(limit)*warnAt):
		t.State, t.Remaining = TimerWarning, t.Deadline.Sub(now)
	default:
		t.State, t.Remaining = TimerRunning, t.Deadline.Sub(now)
	}
	return t
}
