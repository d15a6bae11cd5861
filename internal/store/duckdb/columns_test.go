package duckdb

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/store"
)

// String values of typed columns are stored once, in their column; rows
// written before that (the value in the JSON as well) read back the same.
func TestTypedStringsAreStoredOnce(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "e.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ts := time.Date(2026, 3, 10, 1, 0, 0, 0, time.UTC)
	ev := &event.Event{Tenant: "acme", ID: "new", Timestamp: ts, Ingested: ts, Raw: "r",
		ECS: event.Fields{"host.name": "ws-01", "message": "a long message", "event.category": []any{"process"},
			"event.outcome": "", "process.pid": int64(7)}}
	if err := s.Append(ctx, []*event.Event{ev}); err != nil {
		t.Fatal(err)
	}
	tbl := s.tablesFor("acme", time.Time{}, time.Time{})[0]
	var ecs string
	if err := s.db.QueryRowContext(ctx, "SELECT ecs FROM "+tbl).Scan(&ecs); err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{"ws-01", "a long message"} {
		if strings.Contains(ecs, gone) {
			t.Errorf("ECS JSON %s repeats %q, which its typed column holds", ecs, gone)
		}
	}
	// The old layout: the value in both places.
	if _, err := s.db.ExecContext(ctx, "INSERT INTO "+tbl+` (tenant, id, ts, ingested, host_name, raw, fields, ecs)
		VALUES ('acme', 'old', ?, ?, 'ws-02', 'r', '{}', '{"host.name":"ws-02","process.pid":8}')`, ts, ts); err != nil {
		t.Fatal(err)
	}
	page, err := s.Search(ctx, store.EventQuery{Tenant: "acme"})
	if err != nil || len(page.Items) != 2 {
		t.Fatalf("Search = %+v, %v", page, err)
	}
	want := map[string]string{
		"new": "map[event.category:[process] event.outcome: host.name:ws-01 message:a long message process.pid:7]",
		"old": "map[host.name:ws-02 process.pid:8]",
	}
	for _, got := range page.Items {
		if s := fmt.Sprint(got.ECS); s != want[got.ID] {
			t.Errorf("%s: ECS = %s, want %s", got.ID, s, want[got.ID])
		}
	}
}
