package store

import (
	"context"
	"time"
)

// Hunt is a saved query of the hunting language (package hunt). With an
// Interval it is a scheduled hunt: every Interval it runs over the last
// Lookback and raises an alert when it finds at least Threshold results.
type Hunt struct {
	ID          string        `json:"id"`
	Tenant      string        `json:"tenant"`
	Name        string        `json:"name"`
	Description string        `json:"description,omitempty"`
	Query       string        `json:"query"`
	Interval    time.Duration `json:"interval_ns"` // 0: saved only, never scheduled
	Lookback    time.Duration `json:"lookback_ns"` // the range each run searches; 0 means Interval
	Threshold   int64         `json:"threshold"`   // results needed to raise an alert; at least 1
	Severity    string        `json:"severity"`    // of the alerts it raises
	Enabled     bool          `json:"enabled"`
	CreatedBy   string        `json:"created_by"`
	CreatedAt   time.Time     `json:"created_at"`
	UpdatedAt   time.Time     `json:"updated_at"`
	// The last scheduled (or manual) run.
	LastRun    *time.Time `json:"last_run,omitempty"`
	LastTotal  int64      `json:"last_total"`
	LastError  string     `json:"last_error,omitempty"`
	LastAlerts int64      `json:"last_alerts"` // alerts raised by the last run
}

// Scheduled reports whether the hunt runs on its own.
func (h Hunt) Scheduled() bool { return h.Enabled && h.Interval > 0 }

// Due reports whether a scheduled hunt should run at now.
func (h Hunt) Due(now time.Time) bool {
	return h.Scheduled() && (h.LastRun == nil || !h.LastRun.Add(h.Interval).After(now))
}

// HuntRun is the outcome of one run, recorded on the hunt.
type HuntRun struct {
	At     time.Time
	Total  int64
	Alerts int64
	Error  string
}

// Hunts stores one tenant's saved and scheduled hunts.
type Hunts interface {
	// Create stores a new hunt; ID, Tenant and the times are set by the
	// store when empty.
	Create(ctx context.Context, h Hunt) (Hunt, error)
	Get(ctx context.Context, id string) (Hunt, error)
	// List returns the hunts by name.
	List(ctx context.Context) ([]Hunt, error)
	// Update replaces the definition (name, description, query,
	// schedule, severity, enabled); the run record is kept.
	Update(ctx context.Context, h Hunt) (Hunt, error)
	Delete(ctx context.Context, id string) error
	// RecordRun stores the outcome of a run.
	RecordRun(ctx context.Context, id string, run HuntRun) error
}
