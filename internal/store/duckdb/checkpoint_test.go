package duckdb

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/event"
)

// The store's file is written in row groups of rowGroupRows (what bounds a
// checkpoint's rewrite) with its text columns FSST-compressed, checkpoints
// at walCheckpoint, spills beside itself, and holds its events when opened
// again.
func TestCheckpointSettings(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "e.duckdb")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { s.Close() }()
	day := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	const n = 2*rowGroupRows + 100
	evs := make([]*event.Event, n)
	for i := range evs {
		ts := day.Add(time.Duration(i) * time.Second)
		evs[i] = &event.Event{Tenant: "acme", ID: fmt.Sprintf("e%06d", i), Timestamp: ts, Ingested: ts, Raw: fmt.Sprintf("line %d", i)}
	}
	if err := s.Append(ctx, evs); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.ExecContext(ctx, "CHECKPOINT"); err != nil {
		t.Fatal(err)
	}
	var groups int
	if err := s.db.QueryRowContext(ctx, `SELECT count(DISTINCT row_group_id) FROM pragma_storage_info('`+s.parts[partKey{"acme", day.Unix()}]+`')`).Scan(&groups); err != nil {
		t.Fatal(err)
	}
	if groups != 3 {
		t.Errorf("%d events stored in %d row groups, want 3 of at most %d rows", n, groups, rowGroupRows)
	}
	// Every event has the same (empty) fields, which DuckDB left to choose
	// would store as a dictionary or a constant.
	for _, col := range []string{"raw", "fields", "ecs"} {
		var methods string
		if err := s.db.QueryRowContext(ctx, `SELECT string_agg(DISTINCT compression, ',') FROM pragma_storage_info('`+
			s.parts[partKey{"acme", day.Unix()}]+`') WHERE column_name = ? AND segment_type = 'VARCHAR'`, col).Scan(&methods); err != nil {
			t.Fatal(err)
		}
		if methods != "FSST" {
			t.Errorf("column %s compressed with %s, want FSST", col, methods)
		}
	}
	for setting, want := range map[string]string{"wal_autocheckpoint": "61.0 MiB" /* 64MB, decimal */, "temp_directory": path + ".tmp"} {
		var got string
		if err := s.db.QueryRowContext(ctx, "SELECT current_setting('"+setting+"')::VARCHAR").Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s = %q, want %q", setting, got, want)
		}
	}
	s.Close()
	if s, err = Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	var stored int
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM "+s.parts[partKey{"acme", day.Unix()}]).Scan(&stored); err != nil || stored != n {
		t.Errorf("reopened: %d events (%v), want %d", stored, err, n)
	}
}

// A data folder whose path holds a quote opens, spills beside itself and
// archives: the path reaches ATTACH, SET and COPY as a quoted literal.
func TestPathWithQuote(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "o'brien")
	s, err := Open(ctx, filepath.Join(dir, "e.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var spill string
	if err := s.db.QueryRowContext(ctx, "SELECT current_setting('temp_directory')::VARCHAR").Scan(&spill); err != nil || spill != filepath.Join(dir, "e.duckdb.tmp") {
		t.Errorf("temp_directory = %q (%v), want beside the file", spill, err)
	}
	day := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	if err := s.Append(ctx, []*event.Event{{Tenant: "acme", ID: "q1", Timestamp: day, Ingested: day, Raw: "x"}}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.ArchivePartition(ctx, "acme", day, filepath.Join(dir, "archive.parquet")); err != nil || n != 1 {
		t.Errorf("archived %d events (%v), want 1", n, err)
	}
}
