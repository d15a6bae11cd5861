package store

import (
	"context"
	"time"
)

// RetentionPolicy says how long one tenant's data is kept.
type RetentionPolicy struct {
	Tenant string `json:"tenant"`
	// HotDays: events stay searchable in the event store this long, then
	// their day is archived to a compressed Parquet file.
	HotDays int `json:"hot_days"`
	// DeleteAfterDays: archives are deleted when their day is this old.
	DeleteAfterDays int `json:"delete_after_days"`
	// AlertDays: closed alerts are deleted when last seen this long ago.
	AlertDays int `json:"alert_days"`
	// CaseDays: closed cases, with their evidence, are deleted when last
	// changed this long ago.
	CaseDays  int       `json:"case_days"`
	UpdatedAt time.Time `json:"updated_at"`
}

// DefaultRetention applies to a tenant that has set no policy: a month
// hot, a year in all — the common floor of log-retention rules (e.g. PCI
// DSS 10.5.1: one year, three months immediately available).
func DefaultRetention(tenant string) RetentionPolicy {
	return RetentionPolicy{Tenant: tenant, HotDays: 90, DeleteAfterDays: 365, AlertDays: 365, CaseDays: 3 * 365}
}

// LegalHold keeps a tenant's events, archives and evidence in a time range
// regardless of the retention policy, until released.
type LegalHold struct {
	ID         string     `json:"id"`
	Tenant     string     `json:"tenant"`
	CaseID     string     `json:"case_id,omitempty"`
	Reason     string     `json:"reason"`
	From       time.Time  `json:"from"`
	To         time.Time  `json:"to"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	ReleasedAt *time.Time `json:"released_at,omitempty"`
}

// Covers reports whether an active hold covers any part of the UTC day.
func (h LegalHold) Covers(day time.Time) bool {
	end := day.Add(24 * time.Hour)
	return h.ReleasedAt == nil && h.From.Before(end) && day.Before(h.To)
}

// Archive is one archived day of a tenant's events.
type Archive struct {
	Tenant     string     `json:"tenant"`
	Day        time.Time  `json:"day"`
	Path       string     `json:"path"`
	SHA256     string     `json:"sha256"`
	Events     int64      `json:"events"`
	Bytes      int64      `json:"bytes"`
	ArchivedAt time.Time  `json:"archived_at"`
	DeletedAt  *time.Time `json:"deleted_at,omitempty"`
}

// Retention stores one tenant's policy, legal holds and archive index.
type Retention interface {
	// Policy returns the tenant's policy, or DefaultRetention.
	Policy(ctx context.Context) (RetentionPolicy, error)
	SetPolicy(ctx context.Context, p RetentionPolicy) error
	Holds(ctx context.Context) ([]LegalHold, error)
	AddHold(ctx context.Context, h LegalHold) (LegalHold, error)
	ReleaseHold(ctx context.Context, id string, at time.Time) error
	Archives(ctx context.Context) ([]Archive, error)
	RecordArchive(ctx context.Context, a Archive) error
	MarkArchiveDeleted(ctx context.Context, day time.Time, at time.Time) error
}
