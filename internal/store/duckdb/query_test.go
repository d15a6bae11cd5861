package duckdb_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

// TestQueryRefusesTables: a compiled query may read only "events"; one
// that names a partition or the catalog would bypass the tenant predicate.
func TestQueryRefusesTables(t *testing.T) {
	s, err := duckdb.Open(context.Background(), filepath.Join(t.TempDir(), "events.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, q := range []store.CompiledQuery{
		{SQL: "SELECT count(*) FROM ev_0", Columns: []string{"n"}},
		{SQL: "SELECT count(*) FROM events", Where: "id IN (SELECT id FROM ev_1)", Columns: []string{"n"}},
		{SQL: "SELECT tbl FROM partitions", Columns: []string{"t"}},
		{SQL: "SELECT 1; DROP TABLE partitions", Columns: []string{"n"}},
		{SQL: "SELECT 1 -- x", Columns: []string{"n"}},
		{SQL: "SELECT count(*) FROM events", CountSQL: "SELECT count(*) FROM EV_2", Columns: []string{"n"}},
		{SQL: "COPY events TO '/tmp/x.csv'", Columns: []string{"n"}},
	} {
		if _, err := s.Query(context.Background(), "acme", time.Time{}, time.Time{}, q); err == nil || !strings.Contains(err.Error(), "refused") {
			t.Errorf("%q: %v, want refused", q.SQL+" "+q.Where+" "+q.CountSQL, err)
		}
	}
	if _, err := s.Query(context.Background(), "acme", time.Time{}, time.Time{},
		store.CompiledQuery{SQL: "SELECT count(*) AS c0 FROM events", Columns: []string{"n"}}); err != nil {
		t.Errorf("plain query refused: %v", err)
	}
}
