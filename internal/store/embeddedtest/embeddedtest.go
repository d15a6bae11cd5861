// Package embeddedtest opens the embedded default stores — DuckDB for
// events, SQLite for state — in a test's temporary folder, so the packages
// above the store layer test against the real engines with one line of
// setup. It is for tests only.
package embeddedtest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/yagura-soc/yagura/internal/store/duckdb"
	"github.com/yagura-soc/yagura/internal/store/sqlite"
)

// Open returns a fresh event store and state store; both close when the
// test ends (after its deferred calls, so a pipeline stopped by defer is
// gone before its stores close).
func Open(tb testing.TB) (*duckdb.Store, *sqlite.Store) {
	tb.Helper()
	ctx := context.Background()
	dir := tb.TempDir()
	evs, err := duckdb.Open(ctx, filepath.Join(dir, "events.duckdb"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { evs.Close() })
	st, err := sqlite.Open(ctx, filepath.Join(dir, "state.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return evs, st
}
