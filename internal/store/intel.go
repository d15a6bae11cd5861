package store

import (
	"context"
	"time"

	"github.com/yagura-soc/yagura/internal/intel"
)

// IOCFilter selects indicators; zero fields do not filter.
type IOCFilter struct {
	Type    intel.Type
	Value   string // exact canonical value
	Search  string // substring of the value, case-insensitive
	Source  string // reported by this source
	ToBlock *bool
	Revoked bool // include revoked indicators
	Limit   int
	Offset  int
}

// IOCUpsert is what an import changed.
type IOCUpsert struct {
	Created int
	Updated int
	// Changed holds the stored form of every created indicator, then of
	// every altered one, each group in change-number order (which a store
	// may choose, e.g. its index order, rather than input order);
	// unchanged re-imports are left out.
	Changed []intel.IOC
}

// IOCs is one tenant's indicator store. Indicators are unique by type and
// value; reports from several sources merge (intel.Merge). Every change
// takes the next number of the tenant's change sequence (IOC.Seq), and a
// withdrawn indicator stays as a revoked record, so that a consumer
// polling Changes learns about removals too.
type IOCs interface {
	// Upsert merges prepared indicators (see intel.Prepare) in one
	// transaction.
	Upsert(ctx context.Context, in []intel.IOC) (IOCUpsert, error)
	Get(ctx context.Context, id string) (intel.IOC, error)
	Find(ctx context.Context, t intel.Type, value string) (intel.IOC, error)
	// List returns indicators newest change first.
	List(ctx context.Context, f IOCFilter) ([]intel.IOC, int, error)
	// Update sets the fields an analyst edits: confidence, TLP, tags,
	// description, expiry and to_block.
	Update(ctx context.Context, in intel.IOC) (intel.IOC, error)
	// Revoke withdraws an indicator.
	Revoke(ctx context.Context, id string) (intel.IOC, error)
	// Changes returns indicators whose last change is after seq, oldest
	// change first, at most limit (revoked and lapsed ones included).
	Changes(ctx context.Context, since int64, limit int) ([]intel.IOC, error)
	// Head is the tenant's latest change number (0 when nothing changed).
	Head(ctx context.Context) (int64, error)
	// Each calls fn for every indicator not revoked, in no set order.
	Each(ctx context.Context, fn func(intel.IOC) error) error
	// Lapse gives every indicator that expired at or before now and has
	// not been announced as expired a new change number, so change-feed
	// consumers remove it. It returns how many lapsed.
	Lapse(ctx context.Context, now time.Time) (int, error)
	// RecordHits adds match counts by indicator id and moves last_hit.
	RecordHits(ctx context.Context, hits map[string]int64, at time.Time) error
	// ConsumerMinConfidence is the confidence threshold set for the
	// export consumer authenticated by token id; ok is false when none is
	// set.
	ConsumerMinConfidence(ctx context.Context, tokenID string) (min int, ok bool, err error)
	SetConsumerMinConfidence(ctx context.Context, tokenID string, min int) error
}
