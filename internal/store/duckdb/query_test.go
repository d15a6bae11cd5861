package duckdb_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/yagura-soc/yagura/internal/hunt"
	"github.com/yagura-soc/yagura/internal/store"
	"github.com/yagura-soc/yagura/internal/store/duckdb"
	"github.com/yagura-soc/yagura/internal/store/storetest"
)

func TestQueryConformance(t *testing.T) {
	open := func(t *testing.T, dir string) store.EventStore {
		s, err := duckdb.Open(context.Background(), filepath.Join(dir, "events.duckdb"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	storetest.RunEventQuery(t, open, func(q string, limit int) (store.CompiledQuery, error) {
		parsed, err := hunt.Parse(q)
		if err != nil {
			return store.CompiledQuery{}, err
		}
		return hunt.Compile(parsed, q, hunt.Options{Limit: limit})
	})
}
