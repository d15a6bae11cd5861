package store

import (
	"context"
	"io"
)

// Blobs stores evidence files by the SHA-256 of their content, per
// tenant. Content-addressing makes a stored file immutable: the same
// name can never hold other bytes.
type Blobs interface {
	// Put stores r's content and returns its SHA-256 (hex) and size.
	Put(ctx context.Context, tenant string, r io.Reader) (sha256 string, size int64, err error)
	// Open returns the content stored under sha256.
	Open(ctx context.Context, tenant, sha256 string) (io.ReadCloser, error)
	// Delete removes a stored file (retention); a missing file is no error.
	Delete(ctx context.Context, tenant, sha256 string) error
}
