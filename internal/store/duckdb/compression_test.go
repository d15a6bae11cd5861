package duckdb

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/event"
)

// columnCompression tells how DuckDB stored each of tbl's text columns
// after a checkpoint: "Uncompressed", "FSST", "Dictionary", ...
func columnCompression(t *testing.T, s *Store, tbl string) map[string][]string {
	t.Helper()
	ctx := context.Background()
	if _, err := s.db.ExecContext(ctx, "CHECKPOINT"); err != nil {
		t.Fatal(err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT column_name, compression FROM pragma_storage_info('`+tbl+`')
		WHERE segment_type = 'VARCHAR' ORDER BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var col, c string
		if err := rows.Scan(&col, &c); err != nil {
			t.Fatal(err)
		}
		out[col] = append(out[col], c)
	}
	return out
}

// UncompressedText leaves raw, fields and ecs uncompressed in new
// partitions and nothing else; without it DuckDB compresses them.
func TestUncompressedText(t *testing.T) {
	for _, uncompressed := range []bool{false, true} {
		t.Run(fmt.Sprint("uncompressed=", uncompressed), func(t *testing.T) {
			ctx := context.Background()
			s, err := OpenWith(ctx, filepath.Join(t.TempDir(), "e.duckdb"), Options{UncompressedText: uncompressed})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			day := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
			var evs []*event.Event
			for i := range 5000 {
				ts := day.Add(time.Duration(i) * time.Second)
				evs = append(evs, &event.Event{Tenant: "acme", ID: fmt.Sprintf("e%05d", i), Timestamp: ts, Ingested: ts,
					Raw:    fmt.Sprintf("sshd[%d]: Failed password for invalid user admin from 10.0.0.%d port 22 ssh2", i, i%200),
					Fields: event.Fields{"program": "sshd", "pid": i}, ECS: event.Fields{"host.name": "web-1", "event.outcome": "failure", "n": i,
						"user_agent.original": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"}})
			}
			if err := s.Append(ctx, evs); err != nil {
				t.Fatal(err)
			}
			got := columnCompression(t, s, s.parts[partKey{"acme", day.Unix()}])
			for _, col := range []string{"raw", "fields", "ecs", "host_name"} {
				plain := slices.Equal(got[col], []string{"Uncompressed"})
				if want := uncompressed && col != "host_name"; plain != want {
					t.Errorf("%s stored %v", col, got[col])
				}
			}
		})
	}
}
