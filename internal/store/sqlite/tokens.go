package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/yagura-soc/yagura/internal/store"
)

type tokens struct{ s *Store }

const tokenColumns = `id, tenant, role, name, hash, created_at, expires_at, last_used, revoked`

func (t tokens) Create(ctx context.Context, tok store.Token) error {
	_, err := t.s.db.ExecContext(ctx, `INSERT INTO tokens(`+tokenColumns+`) VALUES (?,?,?,?,?,?,?,?,?)`,
		tok.ID, tok.Tenant, tok.Role, tok.Name, tok.Hash, toNanos(tok.CreatedAt),
		nullableNanos(tok.ExpiresAt), nullableNanos(tok.LastUsed), tok.Revoked)
	if isUniqueViolation(err) {
		return store.ErrConflict
	}
	if err != nil && isForeignKeyViolation(err) {
		return fmt.Errorf("create token: tenant %q does not exist: %w", tok.Tenant, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	return nil
}

func isForeignKeyViolation(err error) bool {
	return err != nil && (errors.Is(err, sql.ErrNoRows) || strings.Contains(err.Error(), "FOREIGN KEY constraint failed"))
}

func (t tokens) ByHash(ctx context.Context, hash []byte) (store.Token, error) {
	row := t.s.db.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE hash = ?`, hash)
	tok, err := scanToken(row)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Token{}, store.ErrNotFound
	}
	return tok, err
}

func (t tokens) Touch(ctx context.Context, id string, at time.Time) error {
	_, err := t.s.db.ExecContext(ctx, `UPDATE tokens SET last_used = ? WHERE id = ?`, toNanos(at), id)
	return err
}

func (t tokens) List(ctx context.Context, tenant string) ([]store.Token, error) {
	return queryAll(ctx, t.s.db, "list tokens", scanToken,
		`SELECT `+tokenColumns+` FROM tokens WHERE tenant = ? ORDER BY created_at`, tenant)
}

func (t tokens) Revoke(ctx context.Context, tenant, id string) error {
	res, err := t.s.db.ExecContext(ctx, `UPDATE tokens SET revoked = 1 WHERE tenant = ? AND id = ?`, tenant, id)
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}

type scanner interface{ Scan(dest ...any) error }

func scanToken(r scanner) (store.Token, error) {
	var tok store.Token
	var created int64
	var expires, used sql.NullInt64
	if err := r.Scan(&tok.ID, &tok.Tenant, &tok.Role, &tok.Name, &tok.Hash, &created, &expires, &used, &tok.Revoked); err != nil {
		return store.Token{}, err
	}
	tok.CreatedAt, tok.ExpiresAt, tok.LastUsed = fromNanos(created), timePtr(expires), timePtr(used)
	return tok, nil
}
