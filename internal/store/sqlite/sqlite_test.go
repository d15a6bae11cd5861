package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
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

func TestAuditConformance(t *testing.T) {
	storetest.RunAudit(t, func(t *testing.T, dir string) store.State { return open(t, dir) })
}

// Every kind of tampering with the file is detected and named.
func TestAuditTampering(t *testing.T) {
	cases := []struct {
		name    string
		tamper  string
		wantSeq int64
		want    string
	}{
		{"altered record", `UPDATE audit SET actor = 'mallory' WHERE seq = 3`, 3, "altered"},
		{"altered details", `UPDATE audit SET details = '{"n":99}' WHERE seq = 2`, 2, "altered"},
		{"deleted record", `DELETE FROM audit WHERE seq = 2`, 2, "missing"},
		{"deleted newest", `DELETE FROM audit WHERE seq = 5`, 5, "deleted"},
		{"forged record rehashed", `UPDATE audit SET hash = 'f00d' WHERE seq = 4`, 4, "altered"},
		{"inserted record", `UPDATE audit SET seq = seq + 100 WHERE seq >= 3; UPDATE audit SET seq = seq - 99 WHERE seq >= 103;
			INSERT INTO audit SELECT tenant, 3, time, 'mallory', role, remote, action, object, details, hash, hash FROM audit WHERE seq = 2`, 3, "altered"},
		{"appended record", `INSERT INTO audit SELECT tenant, 6, time, 'mallory', role, remote, action, object, details, hash, hash FROM audit WHERE seq = 5`, 6, "altered"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := open(t, t.TempDir())
			defer s.Close()
			a := s.Scope(store.DefaultTenant).Audit()
			for i := range 5 {
				if _, err := a.Append(context.Background(), store.AuditRecord{Actor: "alice", Action: "x", Details: map[string]any{"n": i}}); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := s.DB().Exec(c.tamper); err != nil {
				t.Fatalf("tamper: %v", err)
			}
			_, err := a.Verify(context.Background())
			var ce *store.ChainError
			if !errors.As(err, &ce) {
				t.Fatalf("Verify = %v, want a ChainError", err)
			}
			if ce.Seq != c.wantSeq || !strings.Contains(ce.Reason, c.want) {
				t.Errorf("ChainError = %v, want record %d (%q)", ce, c.wantSeq, c.want)
			}
		})
	}
}

func TestCasesConformance(t *testing.T) {
	storetest.RunCases(t, func(t *testing.T, dir string) store.State { return open(t, dir) })
}

func TestUsersConformance(t *testing.T) {
	storetest.RunUsers(t, func(t *testing.T, dir string) store.State { return open(t, dir) })
}

func TestRetentionConformance(t *testing.T) {
	storetest.RunRetention(t, func(t *testing.T, dir string) store.State { return open(t, dir) })
}
