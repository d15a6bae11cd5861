// Package shareddata locates the public test data set that lives beside the
// repository in ../shared/data (see ../shared/data/README.md). Tests and
// benchmarks read it in place; it is never copied into the repository.
package shareddata

import (
	"os"
	"path/filepath"
	"testing"
)

// EnvDir overrides the location of the shared data folder.
const EnvDir = "YAGURA_SHARED_DATA"

// Dir returns the shared data folder, or fails the test when it cannot be
// found: CI always has it, so a missing folder is a broken checkout, not a
// reason to skip.
func Dir(tb testing.TB) string {
	tb.Helper()
	if d := os.Getenv(EnvDir); d != "" {
		return d
	}
	root, err := repoRoot()
	if err != nil {
		tb.Fatalf("shared data: %v", err)
	}
	d := filepath.Join(root, "..", "shared", "data")
	if _, err := os.Stat(d); err != nil {
		tb.Fatalf("shared data not found at %s (set %s to its location): %v", d, EnvDir, err)
	}
	return d
}

// Path joins elements onto Dir.
func Path(tb testing.TB, elem ...string) string {
	tb.Helper()
	return filepath.Join(append([]string{Dir(tb)}, elem...)...)
}

// repoRoot walks up from the working directory to the folder with go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
}
