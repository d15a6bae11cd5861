// Package sqlite is the embedded state store: tenants, tokens, alerts (and,
// as the product grows, cases, IOCs, users and the audit log) in one SQLite
// file, through the pure-Go driver so the binary needs no system library.
//
// The schema evolves only through the numbered files in migrations/, applied
// in order inside a transaction and recorded in schema_migrations. Every
// tenant-owned query is issued through a scoped handle that adds the tenant
// predicate itself.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/yagura-soc/yagura/internal/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Store is the SQLite state store.
type Store struct {
	db  *sql.DB
	now func() time.Time
	// searchLimit is how many alerts an entity or text filter may name for
	// the alert list to read them by id (alerts.go); tests lower it to
	// exercise both plans.
	searchLimit int
}

// Open opens or creates the store at path and applies pending migrations.
func Open(ctx context.Context, path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("state store: create folder: %w", err)
	}
	// WAL lets readers run beside the writer; synchronous=FULL makes a
	// committed transaction survive power loss, which acknowledgements and
	// the notification outbox rely on.
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)" +
		"&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("state store: open %s: %w", path, err)
	}
	s := &Store{db: db, now: func() time.Time { return time.Now().UTC() }, searchLimit: 10_000}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("state store: %s: %w", path, err)
	}
	if _, err := s.Tenants().Create(ctx, store.DefaultTenant); err != nil && err != store.ErrConflict {
		db.Close()
		return nil, fmt.Errorf("state store: default tenant: %w", err)
	}
	return s, nil
}

// migrate applies every migration not yet recorded, in number order, each
// in its own transaction. Applied versions are tracked one by one (not as
// a high-water mark), so migrations written in parallel branches with
// interleaved numbers all get applied.
func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("migrations table: %w", err)
	}
	applied := map[int]bool{}
	rows, err := s.db.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("read schema versions: %w", err)
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return err
		}
		applied[v] = true
	}
	rows.Close()
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	seen := map[int]string{}
	for _, name := range names {
		version, err := strconv.Atoi(strings.SplitN(filepath.Base(name), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: name must start with its number", name)
		}
		if other, dup := seen[version]; dup {
			return fmt.Errorf("migrations %s and %s share number %d", other, name, version)
		}
		seen[version] = name
		if applied[version] {
			continue
		}
		body, err := migrationFiles.ReadFile(name)
		if err != nil {
			return err
		}
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations VALUES (?, ?)`, version, s.now().UnixNano()); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", name, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

// SchemaVersion reports the highest applied migration.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.db.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

// Tenants implements store.State.
func (s *Store) Tenants() store.Tenants { return tenants{s} }

// Tokens implements store.State.
func (s *Store) Tokens() store.Tokens { return tokens{s} }

// Scope implements store.State.
func (s *Store) Scope(tenant string) store.Scoped { return scoped{s: s, tenant: tenant} }

type scoped struct {
	s      *Store
	tenant string
}

func (sc scoped) Tenant() string             { return sc.tenant }
func (sc scoped) Alerts() store.Alerts       { return alerts(sc) }
func (sc scoped) Audit() store.Audit         { return audit(sc) }
func (sc scoped) Retention() store.Retention { return retention(sc) }
func (sc scoped) Cases() store.Cases         { return cases(sc) }
func (sc scoped) IOCs() store.IOCs           { return iocs(sc) }
func (sc scoped) Hunts() store.Hunts         { return hunts(sc) }
func (sc scoped) Rules() store.Rules         { return rules(sc) }

// Times are stored as Unix nanoseconds, UTC.
func toNanos(t time.Time) int64 { return t.UTC().UnixNano() }

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

func nullableNanos(t *time.Time) any {
	if t == nil {
		return nil
	}
	return toNanos(*t)
}

func timePtr(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromNanos(n.Int64)
	return &t
}

// filter is a WHERE clause being built. It starts with the tenant, so no
// list can leave that predicate out.
type filter struct {
	conds []string
	args  []any
}

func tenantFilter(tenant string) *filter {
	return &filter{conds: []string{"tenant = ?"}, args: []any{tenant}}
}

func (f *filter) add(cond string, args ...any) {
	f.conds = append(f.conds, cond)
	f.args = append(f.args, args...)
}

// listPage counts the rows of table that f matches and reads the page of
// them at offset in order; limit 0 or less reads defaultLimit rows. what
// names the rows in errors.
func listPage[T any](ctx context.Context, db dbtx, what string, scan func(scanner) (T, error),
	columns, table string, f *filter, order string, limit, defaultLimit, offset int) ([]T, int, error) {
	where := strings.Join(f.conds, " AND ")
	var total int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM `+table+` WHERE `+where, f.args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count %s: %w", what, err)
	}
	if limit <= 0 {
		limit = defaultLimit
	}
	args := append(append([]any{}, f.args...), limit, offset)
	out, err := queryAll(ctx, db, "list "+what, scan,
		`SELECT `+columns+` FROM `+table+` WHERE `+where+` ORDER BY `+order+` LIMIT ? OFFSET ?`, args...)
	return out, total, err
}

// queryAll runs q and scans every row with scan; what names the rows in
// the error of a failed query.
func queryAll[T any](ctx context.Context, db dbtx, what string, scan func(scanner) (T, error), q string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// scanJSON reads a row of one JSON column (a body) into a T.
func scanJSON[T any](r scanner) (T, error) {
	var v T
	var body []byte
	if err := r.Scan(&body); err != nil {
		return v, err
	}
	return v, json.Unmarshal(body, &v)
}

func isUniqueViolation(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}
