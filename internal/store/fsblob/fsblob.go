// Package fsblob keeps evidence files in a folder tree, named by the
// SHA-256 of their content: <root>/<tenant>/<aa>/<sha256>. A file is
// written to a temporary name, fsynced and renamed, so a crash never
// leaves a partial file under a final name; files are read-only (0440).
package fsblob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/yagura-soc/yagura/internal/store"
)

// Store is a blob store rooted at a folder.
type Store struct{ root string }

// New returns a store under root (created on first write).
func New(root string) *Store { return &Store{root: root} }

func (s *Store) path(tenant, sum string) (string, error) {
	if err := store.ValidTenantName(tenant); err != nil {
		return "", err
	}
	if _, err := hex.DecodeString(sum); err != nil || len(sum) != 64 {
		return "", fmt.Errorf("blob: %q is not a SHA-256", sum)
	}
	return filepath.Join(s.root, tenant, sum[:2], sum), nil
}

// Put implements store.Blobs.
func (s *Store) Put(_ context.Context, tenant string, r io.Reader) (string, int64, error) {
	if err := store.ValidTenantName(tenant); err != nil {
		return "", 0, err
	}
	dir := filepath.Join(s.root, tenant)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", 0, fmt.Errorf("blob: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".incoming-*")
	if err != nil {
		return "", 0, fmt.Errorf("blob: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), r)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", 0, fmt.Errorf("blob: write: %w", err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	final, _ := s.path(tenant, sum)
	if _, err := os.Stat(final); err == nil {
		return sum, n, nil // already stored: same content, same name
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o750); err != nil {
		return "", 0, fmt.Errorf("blob: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o440); err != nil {
		return "", 0, fmt.Errorf("blob: %w", err)
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return "", 0, fmt.Errorf("blob: %w", err)
	}
	return sum, n, nil
}

// Open implements store.Blobs.
func (s *Store) Open(_ context.Context, tenant, sum string) (io.ReadCloser, error) {
	p, err := s.path(tenant, sum)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, store.ErrNotFound
	}
	return f, err
}

// Delete implements store.Blobs.
func (s *Store) Delete(_ context.Context, tenant, sum string) error {
	p, err := s.path(tenant, sum)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("blob: delete: %w", err)
	}
	return nil
}
