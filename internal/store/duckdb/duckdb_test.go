package duckdb_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/yagura-soc/yagura/internal/store"
	"github.com/yagura-soc/yagura/internal/store/duckdb"
	"github.com/yagura-soc/yagura/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.RunEventStore(t, func(t *testing.T, dir string) store.EventStore {
		s, err := duckdb.Open(context.Background(), filepath.Join(dir, "events.duckdb"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
