package store

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Alert statuses, in their order of life.
const (
	StatusNew          = "new"
	StatusAcknowledged = "acknowledged"
	StatusInProgress   = "in_progress"
	StatusClosed       = "closed"
)

// AlertStatuses lists the statuses in their order of life.
var AlertStatuses = []string{StatusNew, StatusAcknowledged, StatusInProgress, StatusClosed}

// Resolutions an alert may be closed with.
const (
	ResolutionTruePositive   = "true_positive"
	ResolutionFalsePositive  = "false_positive"
	ResolutionBenignPositive = "benign_positive"
	ResolutionDuplicate      = "duplicate"
)

// Resolutions lists every resolution.
var Resolutions = []string{ResolutionTruePositive, ResolutionFalsePositive, ResolutionBenignPositive, ResolutionDuplicate}

// Alert kinds: a detection raised by rules, or a risk alert raised when an
// entity's accumulated risk crossed the threshold.
const (
	KindDetection = "detection"
	KindRisk      = "risk"
)

// Alert is a detection that needs a human: one or many matches of one rule
// on one set of entities, deduplicated by Fingerprint.
type Alert struct {
	ID          string            `json:"id"`
	Tenant      string            `json:"tenant"`
	Kind        string            `json:"kind"`
	RuleID      string            `json:"rule_id"`
	RuleTitle   string            `json:"rule_title"`
	RuleLevel   string            `json:"rule_level"`
	Severity    string            `json:"severity"`
	RiskScore   int               `json:"risk_score"`
	Status      string            `json:"status"`
	Resolution  string            `json:"resolution,omitempty"`
	Assignee    string            `json:"assignee,omitempty"`
	CaseID      string            `json:"case_id,omitempty"`
	Count       int64             `json:"count"`
	Entities    map[string]string `json:"entities"`
	Tags        []string          `json:"tags"`
	Fingerprint string            `json:"fingerprint"`
	EventIDs    []string          `json:"event_ids"`
	// Contributing are the alerts whose risk made a risk alert.
	Contributing []string `json:"contributing,omitempty"`
	// FirstSeen is the time of the first malicious event (MTTD starts here).
	FirstSeen      time.Time  `json:"first_seen"`
	LastSeen       time.Time  `json:"last_seen"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
	ClosedAt       *time.Time `json:"closed_at,omitempty"`
	// Escalations counts the escalation steps already notified.
	Escalations int `json:"escalations"`

	// Opened is set by Upsert when this write opened the alert (as
	// opposed to updating an open one). It is not stored.
	Opened bool `json:"-"`
}

// AlertFilter selects alerts; zero fields do not filter.
type AlertFilter struct {
	Status   string
	Severity string
	RuleID   string
	Assignee string
	Kind     string
	// EntityValue matches any entity; with EntityField, only that one.
	EntityField, EntityValue string
	// Text is searched (case-insensitively) in the rule title, rule id
	// and entity values.
	Text     string
	From, To time.Time // on last_seen
	// CreatedBefore selects alerts created before it (escalation).
	CreatedBefore time.Time
	// EscalationsBelow > 0 selects alerts with fewer escalation steps
	// notified (escalation).
	EscalationsBelow int
	// Sort is one of AlertSorts; empty means -last_seen.
	Sort   string
	Limit  int
	Offset int
	// CountUpTo > 0 lets List stop counting matches past it: a total of
	// CountUpTo+1 then means "more than CountUpTo". A page view needs no
	// exact count of a million alerts, and counting them costs more than
	// the page. Zero counts every match.
	CountUpTo int
}

// AlertSorts are the orders List accepts; a leading - means descending.
var AlertSorts = []string{"last_seen", "-last_seen", "first_seen", "-first_seen", "risk_score", "-risk_score",
	"count", "-count", "created_at", "-created_at"}

// AlertChange is a triage update; nil fields are left as they are.
type AlertChange struct {
	Status     *string `json:"status,omitempty"`
	Resolution *string `json:"resolution,omitempty"`
	Assignee   *string `json:"assignee,omitempty"`
	CaseID     *string `json:"case_id,omitempty"`
}

// transitions are the status changes triage may make. Reopening a closed
// alert is allowed (a wrong close must be correctable) and clears the
// resolution.
var transitions = map[string][]string{
	StatusNew:          {StatusAcknowledged, StatusInProgress, StatusClosed},
	StatusAcknowledged: {StatusInProgress, StatusClosed},
	StatusInProgress:   {StatusAcknowledged, StatusClosed},
	StatusClosed:       {StatusInProgress},
}

// ChangeError is a triage change the rules refuse (as opposed to a
// failure of the store).
type ChangeError struct{ Reason string }

func (e *ChangeError) Error() string { return e.Reason }

func refuse(format string, args ...any) error {
	return &ChangeError{Reason: fmt.Sprintf(format, args...)}
}

// ValidTransition reports why an alert cannot go from one status to
// another, or nil. Staying in the same status is always valid.
func ValidTransition(from, to string) error {
	if from == to {
		return nil
	}
	for _, s := range transitions[from] {
		if s == to {
			return nil
		}
	}
	return refuse("an alert cannot go from %s to %s (allowed from %s: %v)", from, to, from, transitions[from])
}

// Apply applies a change to an alert at now, checking the transition and
// the resolution. It is the one place the triage rules live; every store
// implementation calls it.
func (c AlertChange) Apply(a *Alert, now time.Time) error {
	status := a.Status
	if c.Status != nil {
		status = *c.Status
		if !slices.Contains(AlertStatuses, status) {
			return refuse("status %q: use one of %v", status, AlertStatuses)
		}
		if err := ValidTransition(a.Status, status); err != nil {
			return err
		}
	}
	resolution := a.Resolution
	if c.Resolution != nil {
		resolution = *c.Resolution
	}
	switch {
	case status == StatusClosed && resolution == "":
		return refuse("closing an alert needs a resolution: one of %v", Resolutions)
	case status == StatusClosed && !slices.Contains(Resolutions, resolution):
		return refuse("resolution %q: use one of %v", resolution, Resolutions)
	case status != StatusClosed && c.Resolution != nil && *c.Resolution != "":
		return refuse("a resolution is set only when closing (status %s)", status)
	case status != StatusClosed:
		resolution = ""
	}
	if status != a.Status {
		switch status {
		case StatusAcknowledged, StatusInProgress:
			if a.AcknowledgedAt == nil {
				t := now
				a.AcknowledgedAt = &t
			}
			a.ClosedAt = nil
		case StatusClosed:
			t := now
			a.ClosedAt = &t
			if a.AcknowledgedAt == nil { // closing is the first human look too
				a.AcknowledgedAt = &t
			}
		}
	}
	a.Status, a.Resolution = status, resolution
	if c.Assignee != nil {
		a.Assignee = *c.Assignee
	}
	if c.CaseID != nil {
		a.CaseID = *c.CaseID
	}
	a.UpdatedAt = now
	return nil
}

// AppendBounded appends add to ids until ids holds max, first ones kept:
// the events that opened an alert are its most useful evidence, and a storm
// must not grow an alert without bound. The result is never nil, so the list
// encodes as [] rather than null.
func AppendBounded(ids, add []string, max int) []string {
	if ids == nil {
		ids = []string{}
	}
	for _, id := range add {
		if len(ids) >= max {
			break
		}
		ids = append(ids, id)
	}
	return ids
}

// Comment is an analyst's note on an alert.
type Comment struct {
	ID        string    `json:"id"`
	AlertID   string    `json:"alert_id"`
	Author    string    `json:"author"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
}

// Alerts stores one tenant's alerts.
type Alerts interface {
	// Upsert records detections in one transaction. For each alert: when
	// an open alert with the same fingerprint was last seen within window,
	// it is updated (count added, last_seen moved, event ids appended up to
	// MaxAlertEventIDs); otherwise a new alert is created. The stored
	// alerts are returned in input order.
	Upsert(ctx context.Context, alerts []Alert, window time.Duration) ([]Alert, error)
	Get(ctx context.Context, id string) (Alert, error)
	List(ctx context.Context, f AlertFilter) ([]Alert, int, error)
	// DeleteClosedBefore removes closed alerts last seen before t
	// (retention) and returns how many went.
	DeleteClosedBefore(ctx context.Context, t time.Time) (int64, error)
	// Comments lists an alert's comments, oldest first.
	Comments(ctx context.Context, alertID string) ([]Comment, error)
	// Tx runs fn in one transaction: everything fn writes through tx
	// (alerts, entity risk, suppression hits, outbox events, audit
	// records) commits together or not at all.
	Tx(ctx context.Context, fn func(tx AlertTx) error) error
}

// AlertTx is the write side of the alert stage and of triage, inside one
// transaction.
type AlertTx interface {
	Upsert(ctx context.Context, alerts []Alert, window time.Duration) ([]Alert, error)
	Get(ctx context.Context, id string) (Alert, error)
	// Update applies change to one alert (AlertChange.Apply rules).
	Update(ctx context.Context, id string, change AlertChange) (before, after Alert, err error)
	// Escalated records that an alert's escalation step n was notified.
	Escalated(ctx context.Context, id string, n int) error
	AddComment(ctx context.Context, c Comment) (Comment, error)
	EntityRisk(ctx context.Context, typ, value string) (EntityRisk, error)
	// AddEntityRisk stores the entity's new score and the contribution
	// that made it.
	AddEntityRisk(ctx context.Context, r EntityRisk, c RiskContribution) error
	RiskContributions(ctx context.Context, typ, value string, since time.Time) ([]RiskContribution, error)
	// CountSuppressed adds n hits to a suppression.
	CountSuppressed(ctx context.Context, suppressionID string, n int64, at time.Time) error
	CreateSuppression(ctx context.Context, s Suppression) (Suppression, error)
	// Enqueue writes a notification event to the outbox.
	Enqueue(ctx context.Context, ev OutboxEvent) error
	Audit(ctx context.Context, rec AuditRecord) (AuditRecord, error)
}

// MaxAlertEventIDs bounds the event references an alert keeps.
const MaxAlertEventIDs = 100

// Suppression is an exception: matches whose fields satisfy every
// condition are not turned into alerts, but counted on the suppression.
type Suppression struct {
	ID string `json:"id"`
	// RuleID limits the suppression to one rule; empty means any rule.
	RuleID     string      `json:"rule_id,omitempty"`
	Conditions []Condition `json:"conditions"`
	Reason     string      `json:"reason"`
	Author     string      `json:"author"`
	CreatedAt  time.Time   `json:"created_at"`
	// ExpiresAt ends the suppression; nil means it never expires.
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	Hits      int64      `json:"hits"`
	LastHit   *time.Time `json:"last_hit,omitempty"`
	// FromAlert names the alert this suppression was made from, if any.
	FromAlert string `json:"from_alert,omitempty"`
}

// Condition is one field test of a suppression.
type Condition struct {
	Field string `json:"field"`
	// Op is equals (default), not_equals, contains, prefix, suffix, in or cidr.
	Op    string   `json:"op,omitempty"`
	Value string   `json:"value,omitempty"`
	Any   []string `json:"any,omitempty"` // for in
}

// Suppressions manages one tenant's exceptions.
type Suppressions interface {
	Create(ctx context.Context, s Suppression) (Suppression, error)
	Get(ctx context.Context, id string) (Suppression, error)
	// List returns every suppression, expired ones included, newest first.
	List(ctx context.Context) ([]Suppression, error)
	// Active returns the suppressions not expired at t.
	Active(ctx context.Context, t time.Time) ([]Suppression, error)
	Update(ctx context.Context, s Suppression) (Suppression, error)
	Delete(ctx context.Context, id string) error
}

// EntityRisk is an entity's accumulated risk, as of UpdatedAt (it decays
// from there).
type EntityRisk struct {
	Type      string    `json:"type"` // host, user, ip, …
	Value     string    `json:"value"`
	Score     float64   `json:"score"`
	UpdatedAt time.Time `json:"updated_at"`
	// RiskAlertID is the open risk alert of this entity, if one was raised.
	RiskAlertID string `json:"risk_alert_id,omitempty"`
}

// RiskContribution is one alert adding risk to one entity.
type RiskContribution struct {
	AlertID    string    `json:"alert_id"`
	RuleID     string    `json:"rule_id"`
	Points     float64   `json:"points"`
	ScoreAfter float64   `json:"score_after"`
	At         time.Time `json:"at"`
}

// EntityRisks reads one tenant's entity risk.
type EntityRisks interface {
	Get(ctx context.Context, typ, value string) (EntityRisk, error)
	// Contributions lists what added risk to the entity since t, oldest first.
	Contributions(ctx context.Context, typ, value string, since time.Time) ([]RiskContribution, error)
}
