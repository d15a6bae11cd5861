package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/intel"
	"github.com/yagura-soc/yagura/internal/store"
)

// The bulk upsert turns the tenant's foreign key off on its connection;
// the connection must come back to the pool with it on again, whether the
// upsert succeeded or failed.
func TestUpsertRestoresForeignKeys(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.db.SetMaxOpenConns(1) // the upsert's connection is the one checked
	i, err := intel.Prepare(intel.IOC{Type: intel.Domain, Value: "evil.example"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, tenant := range []string{store.DefaultTenant, "nobody"} {
		_, err := s.Scope(tenant).IOCs().Upsert(ctx, []intel.IOC{i})
		if tenant == "nobody" && !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown tenant: %v, want ErrNotFound", err)
		}
		var on int
		if err := s.db.QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&on); err != nil || on != 1 {
			t.Fatalf("after an upsert for %s: foreign_keys = %d (%v), want 1", tenant, on, err)
		}
	}
}

// The hand-written JSON of tags and sources reads back as encoding/json
// writes it, also for values that need escaping.
func TestSourcesJSON(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 8, 0, 0, 123456789, time.UTC)
	sources := []intel.Source{
		{Name: "feodo", Confidence: 80, Ref: "line 7", FirstSeen: t0, LastSeen: t0},
		{Name: `quote " and \ back`, Confidence: 0, FirstSeen: t0.Add(time.Hour), LastSeen: t0.Add(2 * time.Hour)},
		{Name: "<tag> & ünïcode\n", Ref: "\x01", FirstSeen: t0, LastSeen: t0},
	}
	tags := []string{"c2", `"quoted"`, "日本"}
	var times timeFormat
	for _, tf := range []*timeFormat{nil, &times, &times} {
		want, _ := json.Marshal(sources)
		if got := appendSources(nil, sources, tf); string(got) != string(want) {
			t.Errorf("sources:\n got %s\nwant %s", got, want)
		}
	}
	want, _ := json.Marshal(tags)
	if got := appendTags(nil, tags); string(got) != string(want) {
		t.Errorf("tags: got %s, want %s", got, want)
	}
	if got := appendTags(nil, nil); string(got) != "[]" {
		t.Errorf("no tags: %s", got)
	}
}
