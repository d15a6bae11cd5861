package store

import (
	"context"
	"time"
)

// Alert statuses, in their order of life.
const (
	StatusNew          = "new"
	StatusAcknowledged = "acknowledged"
	StatusInProgress   = "in_progress"
	StatusClosed       = "closed"
)

// Alert is a detection that needs a human: one or many matches of one rule
// on one set of entities, deduplicated by Fingerprint.
type Alert struct {
	ID          string            `json:"id"`
	Tenant      string            `json:"tenant"`
	RuleID      string            `json:"rule_id"`
	RuleTitle   string            `json:"rule_title"`
	Severity    string            `json:"severity"`
	RiskScore   int               `json:"risk_score"`
	Status      string            `json:"status"`
	Resolution  string            `json:"resolution,omitempty"`
	Assignee    string            `json:"assignee,omitempty"`
	Count       int64             `json:"count"`
	Entities    map[string]string `json:"entities"`
	Tags        []string          `json:"tags"`
	Fingerprint string            `json:"fingerprint"`
	EventIDs    []string          `json:"event_ids"`
	FirstSeen   time.Time         `json:"first_seen"`
	LastSeen    time.Time         `json:"last_seen"`
	CreatedAt   time.Time         `json:"created_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
}

// AlertFilter selects alerts; zero fields do not filter.
type AlertFilter struct {
	Status   string
	Severity string
	RuleID   string
	From, To time.Time // on last_seen
	Limit    int
	Offset   int
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
}

// MaxAlertEventIDs bounds the event references an alert keeps.
const MaxAlertEventIDs = 100
