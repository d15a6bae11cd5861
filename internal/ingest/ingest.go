// Package ingest defines what a source is. Each source kind lives in its
// own sub-package (ingest/syslog, later ingest/hec, ingest/bulk, …) with the
// same shape: a Config, a constructor, a Run loop that hands batches to the
// pipeline, and its metrics. A source never parses: it frames records and
// says which tenant they belong to.
package ingest

import (
	"context"

	"github.com/yagura-soc/yagura/internal/pipeline"
)

// Sink is where sources deliver batches: the pipeline.
type Sink interface {
	Enqueue(ctx context.Context, b pipeline.Batch) (<-chan pipeline.Result, error)
}

// Source is a running intake.
type Source interface {
	// Run receives until ctx ends, then returns after delivering what it
	// had already received.
	Run(ctx context.Context) error
	// Addr is where the source listens, once Run has started listening.
	Addr() string
}
