package store

import (
	"context"
	"time"
)

// RuleState is one tenant's decision about one detection rule. Rules are
// enabled unless a tenant turned them off, so only changes are stored.
type RuleState struct {
	RuleID    string    `json:"rule_id"`
	Enabled   bool      `json:"enabled"`
	ChangedBy string    `json:"changed_by"`
	ChangedAt time.Time `json:"changed_at"`
}

// RuleHits is how often a rule raised alerts in a tenant.
type RuleHits struct {
	Alerts  int64     `json:"alerts"`  // alerts carrying the rule id
	Matches int64     `json:"matches"` // matches folded into those alerts
	Last    time.Time `json:"last"`    // last_seen of the newest alert
}

// Rules stores one tenant's per-rule settings of the detection engine.
type Rules interface {
	// Set records whether the rule runs for the tenant.
	Set(ctx context.Context, s RuleState) error
	// Disabled lists the ids of the rules the tenant turned off.
	Disabled(ctx context.Context) ([]string, error)
	// Hits counts the tenant's alerts per rule id (from the alert store).
	Hits(ctx context.Context) (map[string]RuleHits, error)
}
