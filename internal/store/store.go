// Package store defines what Yagura persists and how callers reach it: the
// event store (append-only log records, searched by time) and the state
// store (tenants, tokens, alerts, and later cases, IOCs, users, audit).
//
// Callers import this package only, never an implementation: the embedded
// defaults live in store/duckdb and store/sqlite, and scale-out backends
// (ClickHouse, PostgreSQL) implement the same interfaces and pass the same
// conformance suites in store/storetest.
//
// Tenant isolation is enforced here, not in handlers: every tenant-owned
// object is reached through a Scoped handle obtained for one tenant, and the
// implementations add the tenant predicate to every query they run.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/yagura-soc/yagura/internal/event"
)

// ErrNotFound is returned when an object does not exist in the caller's
// tenant. Objects of other tenants are indistinguishable from missing ones.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a create would duplicate a unique object.
var ErrConflict = errors.New("already exists")

// EventStore persists events. Append returns only once the events are
// durable: an acknowledgement to a client may follow it.
type EventStore interface {
	Append(ctx context.Context, events []*event.Event) error
	// Search returns matching events of one tenant, newest first.
	Search(ctx context.Context, q EventQuery) (EventPage, error)
	// Query runs a compiled hunt (see CompiledQuery) over the tenant's
	// events in [from, to); zero times are unbounded.
	Query(ctx context.Context, tenant string, from, to time.Time, q CompiledQuery) (QueryResult, error)
	// Partitions lists the stored time partitions of a tenant, oldest first.
	Partitions(ctx context.Context, tenant string) ([]Partition, error)
	// DropPartition deletes one whole partition (retention).
	DropPartition(ctx context.Context, tenant string, day time.Time) error
	// Coverage counts a tenant's stored events per UTC day and source in
	// [from, to), for the compliance view (gaps in collection).
	Coverage(ctx context.Context, tenant string, from, to time.Time) ([]CoverageRow, error)
	// ArchivePartition writes one partition to a compressed Parquet file
	// at path and returns the number of events written. The partition is
	// left in place; the caller drops it once the archive is recorded.
	ArchivePartition(ctx context.Context, tenant string, day time.Time, path string) (int64, error)
	Close() error
}

// PreparedEvents is a batch an event store has already turned into its own
// row format (see EventPreparer).
type PreparedEvents interface {
	Len() int
}

// EventPreparer is implemented by event stores whose writes start with a
// costly step that needs no lock (encoding rows). The pipeline runs Prepare
// on its parallel workers, so that its one serial writer only appends and
// commits.
type EventPreparer interface {
	Prepare(events []*event.Event) (PreparedEvents, error)
	// AppendPrepared writes batches this store's Prepare made, durably and
	// in one transaction, as Append would write their events.
	AppendPrepared(ctx context.Context, batches []PreparedEvents) error
}

// EventQuery selects events of one tenant. Terms are ANDed.
type EventQuery struct {
	Tenant string
	From   time.Time // inclusive; zero means unbounded
	To     time.Time // exclusive; zero means unbounded
	Terms  []Term
	Limit  int
}

// Term is one condition. With Field empty, Value is searched for in the
// raw text and message (case-insensitive substring). Otherwise the field
// must equal Value, case-insensitively; `*` and `?` in Value are wildcards.
type Term struct {
	Field string
	Value string
}

// EventPage is a page of search results: Total counts every match, Items
// holds at most Limit of them.
type EventPage struct {
	Items []*event.Event
	Total int
}

// CoverageRow is how many events one source delivered on one day.
type CoverageRow struct {
	Day     time.Time `json:"day"`
	Source  string    `json:"source"`
	Dataset string    `json:"dataset"`
	Events  int64     `json:"events"`
}

// Partition is one day of one tenant's events.
type Partition struct {
	Day    time.Time // UTC midnight
	Events int64
}
