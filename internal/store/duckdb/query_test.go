package duckdb_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/event"
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
	s := openTemp(t)
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

// EventColumnsFor leaves out the raw text and the typed columns of fields
// the caller does not read, and reads the same events otherwise.
func TestEventColumnsFor(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	ts := time.Date(2026, 3, 10, 1, 0, 0, 0, time.UTC)
	ev := &event.Event{Tenant: "acme", ID: "e1", Timestamp: ts, Ingested: ts, Source: "test", Raw: "the raw line",
		Fields: event.Fields{"Image": `C:\x.exe`, "Other": "o"},
		ECS:    event.Fields{"host.name": "ws-01", "user.name": "alice", "network.bytes": int64(7)}}
	// Typed columns go through the database's JSON encoding on the lean
	// read: values that need escaping come back the same.
	odd := &event.Event{Tenant: "acme", ID: "e2", Timestamp: ts, Ingested: ts, Source: "test", Raw: "x\x00y\"z\\", ParseError: "bad \x00 \"line\"",
		ECS: event.Fields{"host.name": "ws\"01\\x\n\t\x01 é 日本 \u2028", "process.command_line": `cmd /c "a\b" & echo '%x%'`,
			"event.code": "4625", "url.original": "/a?b=\"c\""}}
	if err := s.Append(ctx, []*event.Event{ev, odd}); err != nil {
		t.Fatal(err)
	}
	oddKeys := []string{"host.name", "process.command_line", "event.code", "url.original"}
	res, err := s.Query(ctx, "acme", time.Time{}, time.Time{}, store.CompiledQuery{Events: true, EventKeys: oddKeys,
		SQL: "SELECT " + duckdb.EventColumnsFor(oddKeys) + " FROM events WHERE id = 'e2'"})
	if err != nil || len(res.Events) != 1 {
		t.Fatalf("odd values: %d events, %v", len(res.Events), err)
	}
	if got := res.Events[0]; !reflect.DeepEqual(got.ECS, odd.ECS) || got.Tenant != "acme" || got.Source != "" || got.Raw != "" || got.ParseError != "" {
		t.Errorf("odd values read back as %q, want %q", got.ECS, odd.ECS)
	}
	if _, err := s.Query(ctx, "acme", time.Time{}, time.Time{}, store.CompiledQuery{Events: true,
		SQL: "SELECT " + duckdb.EventColumnsFor(oddKeys) + " FROM events"}); err == nil || !strings.Contains(err.Error(), "EventKeys") {
		t.Errorf("a lean select without EventKeys: %v, want an error naming EventKeys", err)
	}
	attrKeys := []string{event.FieldOriginal, event.FieldParseError, event.FieldSource}
	res, err = s.Query(ctx, "acme", time.Time{}, time.Time{}, store.CompiledQuery{Events: true, EventKeys: attrKeys,
		SQL: "SELECT " + duckdb.EventColumnsFor(attrKeys) + " FROM events WHERE id = 'e2'"})
	if err != nil || len(res.Events) != 1 {
		t.Fatalf("attributes: %d events, %v", len(res.Events), err)
	}
	if got := res.Events[0]; got.Raw != odd.Raw || got.ParseError != odd.ParseError || got.Source != "test" || len(got.ECS) != 0 {
		t.Errorf("attributes read back as %q, %q, %q, %v", got.Raw, got.ParseError, got.Source, got.ECS)
	}
	for _, tc := range []struct {
		keys []string
		raw  string
		want event.Fields // Fields and ECS together
	}{
		{[]string{"Image", "host.name"}, "", event.Fields{"Image": `C:\x.exe`, "host.name": "ws-01"}},
		{[]string{"user.name", "network.bytes", event.FieldOriginal, event.FieldSource}, "the raw line", event.Fields{"user.name": "alice", "network.bytes": int64(7)}},
	} {
		res, err := s.Query(ctx, "acme", time.Time{}, time.Time{}, store.CompiledQuery{Events: true, EventKeys: tc.keys,
			SQL: "SELECT " + duckdb.EventColumnsFor(tc.keys) + " FROM events WHERE id = 'e1'"})
		if err != nil || len(res.Events) != 1 {
			t.Fatalf("%v: %d events, %v", tc.keys, len(res.Events), err)
		}
		got := res.Events[0]
		all := event.Fields{}
		for _, f := range []event.Fields{got.Fields, got.ECS} {
			for k, v := range f {
				all[k] = v
			}
		}
		wantSource := ""
		if tc.raw != "" {
			wantSource = "test"
		}
		if got.Raw != tc.raw || got.Source != wantSource || got.ID != "e1" || !got.Timestamp.Equal(ts) || !reflect.DeepEqual(all, tc.want) {
			t.Errorf("%v: raw %q, fields %v; want %q, %v", tc.keys, got.Raw, all, tc.raw, tc.want)
		}
	}
}

// A NUL byte in a log line, a parse error or a typed value is stored and
// read back, not cut off there.
func TestNULBytesKept(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	ts := time.Date(2026, 3, 10, 1, 0, 0, 0, time.UTC)
	ev := &event.Event{Tenant: "acme", ID: "n1", Timestamp: ts, Ingested: ts, Source: "syslog", Raw: "before\x00after",
		ParseError: "bad byte \x00 here", ECS: event.Fields{"message": "m\x00m", "process.command_line": "c\x00c", "url.original": "/u\x00u"},
		Fields: event.Fields{"Native": "n\x00n"}}
	if err := s.Append(ctx, []*event.Event{ev}); err != nil {
		t.Fatal(err)
	}
	res, err := s.Query(ctx, "acme", time.Time{}, time.Time{}, store.CompiledQuery{Events: true, SQL: "SELECT " + duckdb.EventColumns + " FROM events"})
	if err != nil || len(res.Events) != 1 {
		t.Fatalf("%d events, %v", len(res.Events), err)
	}
	got := res.Events[0]
	if got.Raw != ev.Raw || got.ParseError != ev.ParseError || !reflect.DeepEqual(got.ECS, ev.ECS) || !reflect.DeepEqual(got.Fields, ev.Fields) {
		t.Errorf("read back %q %q %q %q, want %q %q %q %q", got.Raw, got.ParseError, got.ECS, got.Fields, ev.Raw, ev.ParseError, ev.ECS, ev.Fields)
	}
}

// A store written before http.response.status_code had its own column
// gets the column on Open, filled from the ECS JSON, so hunts on it see
// the old rows too.
func TestAddedColumnFilledOnOpen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "events.duckdb")
	s, err := duckdb.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Date(2026, 3, 10, 1, 0, 0, 0, time.UTC)
	var batch []*event.Event
	for i, code := range []any{int64(200), int64(404), int64(503), nil} {
		ecs := event.Fields{"event.dataset": "web.access"}
		if code != nil {
			ecs["http.response.status_code"] = code
		}
		batch = append(batch, &event.Event{Tenant: "acme", ID: fmt.Sprintf("w%d", i), Timestamp: ts, Ingested: ts, Source: "test", ECS: ecs})
	}
	if err := s.Append(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Make it an old store: no status column in its partition.
	db, err := sql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("ALTER TABLE ev_0 DROP COLUMN http_response_status_code"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err = duckdb.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	q := "http.response.status_code:>=400"
	parsed, err := hunt.Parse(q)
	if err != nil {
		t.Fatal(err)
	}
	cq, err := hunt.Compile(parsed, q, hunt.Options{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(cq.Where, "http_response_status_code") {
		t.Fatalf("the hunt does not use the column: %s", cq.Where)
	}
	res, err := s.Query(ctx, "acme", time.Time{}, time.Time{}, cq)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, ev := range res.Events {
		ids = append(ids, ev.ID)
		if _, ok := ev.ECS["http.response.status_code"].(int64); !ok {
			t.Errorf("%s: status read back as %T", ev.ID, ev.ECS["http.response.status_code"])
		}
	}
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"w1", "w2"}) {
		t.Errorf("%s found %v, want w1 w2", q, ids)
	}
}

// OpenWith caps DuckDB's memory as asked, and names a bad size instead of
// passing it on.
func TestOpenWithMemoryLimit(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "events.duckdb")
	s, err := duckdb.OpenWith(ctx, path, duckdb.Options{MemoryLimit: "1GB"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Query(ctx, "acme", time.Time{}, time.Time{}, store.CompiledQuery{
		SQL: "SELECT current_setting('memory_limit') AS c0 FROM (SELECT 1) AS one", Columns: []string{"limit"}})
	s.Close()
	if err != nil || len(res.Rows) != 1 {
		t.Fatalf("%v %v", res.Rows, err)
	}
	// DuckDB reports it in its own units: 1GB is 953.6 MiB.
	if got := fmt.Sprint(res.Rows[0][0]); !strings.Contains(got, "953") {
		t.Errorf("memory_limit = %s, want 1GB", got)
	}
	for _, bad := range []string{"lots", "2GB'; DROP TABLE partitions; --", "-1GB", "1 PB"} {
		if _, err := duckdb.OpenWith(ctx, path, duckdb.Options{MemoryLimit: bad}); err == nil || !strings.Contains(err.Error(), "2GB or 512MB") {
			t.Errorf("%q: %v, want an error naming the form", bad, err)
		}
	}
}

// openTemp opens a fresh store in a temporary folder, closed with the test.
func openTemp(t *testing.T) *duckdb.Store {
	t.Helper()
	s, err := duckdb.Open(context.Background(), filepath.Join(t.TempDir(), "events.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
