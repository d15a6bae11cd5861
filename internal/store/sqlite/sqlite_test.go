package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/yagura-soc/yagura/internal/store"
	"github.com/yagura-soc/yagura/internal/store/sqlite"
	"github.com/yagura-soc/yagura/internal/store/storetest"
)

func open(t *testing.T, dir string) *sqlite.Store {
	s, err := sqlite.Open(context.Background(), filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.RunState(t, func(t *testing.T, dir string) store.State { return open(t, dir) })
}

func TestMigrationsApplyOnce(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	v1, err := s.SchemaVersion(context.Background())
	if err != nil || v1 < 1 {
		t.Fatalf("version %d, %v", v1, err)
	}
	s.Close()
	s = open(t, dir)
	defer s.Close()
	v2, _ := s.SchemaVersion(context.Background())
	if v2 != v1 {
		t.Errorf("version after reopen %d, want %d", v2, v1)
	}
}
