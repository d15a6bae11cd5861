package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/yagura-soc/yagura/internal/store"
)

// Users implements store.State.
func (s *Store) Users() store.Users { return users{s} }

// Sessions implements store.State.
func (s *Store) Sessions() store.Sessions { return sessions{s} }

type users struct{ s *Store }

const userColumns = `name, password_hash, totp_secret, totp_last_step, failed_logins, locked_until, disabled, language, time_zone, created_at`

func (u users) Create(ctx context.Context, usr store.User) error {
	if usr.Language == "" {
		usr.Language = "en"
	}
	if usr.TimeZone == "" {
		usr.TimeZone = "UTC"
	}
	if usr.CreatedAt.IsZero() {
		usr.CreatedAt = u.s.now()
	}
	_, err := u.s.db.ExecContext(ctx, `INSERT INTO users(`+userColumns+`) VALUES (?,?,?,?,?,?,?,?,?,?)`,
		usr.Name, usr.PasswordHash, usr.TOTPSecret, usr.TOTPLastStep, usr.FailedLogins, nullableNanos(usr.LockedUntil),
		usr.Disabled, usr.Language, usr.TimeZone, toNanos(usr.CreatedAt))
	if isUniqueViolation(err) {
		return store.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	return nil
}

func scanUser(r scanner) (store.User, error) {
	var usr store.User
	var locked sql.NullInt64
	var created int64
	err := r.Scan(&usr.Name, &usr.PasswordHash, &usr.TOTPSecret, &usr.TOTPLastStep, &usr.FailedLogins, &locked,
		&usr.Disabled, &usr.Language, &usr.TimeZone, &created)
	usr.LockedUntil, usr.CreatedAt = timePtr(locked), fromNanos(created)
	return usr, err
}

func (u users) Get(ctx context.Context, name string) (store.User, error) {
	usr, err := scanUser(u.s.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return store.User{}, store.ErrNotFound
	}
	if err != nil {
		return store.User{}, fmt.Errorf("get user: %w", err)
	}
	return usr, nil
}

func (u users) List(ctx context.Context) ([]store.User, error) {
	return queryAll(ctx, u.s.db, "list users", scanUser, `SELECT `+userColumns+` FROM users ORDER BY name`)
}

func (u users) Update(ctx context.Context, usr store.User) error {
	res, err := u.s.db.ExecContext(ctx, `UPDATE users SET password_hash = ?, totp_secret = ?, totp_last_step = ?,
		failed_logins = ?, locked_until = ?, disabled = ?, language = ?, time_zone = ? WHERE name = ?`,
		usr.PasswordHash, usr.TOTPSecret, usr.TOTPLastStep, usr.FailedLogins, nullableNanos(usr.LockedUntil),
		usr.Disabled, usr.Language, usr.TimeZone, usr.Name)
	if err != nil {
		return fmt.Errorf("update user: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}

func (u users) Bind(ctx context.Context, b store.RoleBinding) error {
	_, err := u.s.db.ExecContext(ctx, `INSERT INTO role_bindings(user, tenant, role) VALUES (?, ?, ?)
		ON CONFLICT(user, tenant) DO UPDATE SET role = excluded.role`, b.User, b.Tenant, b.Role)
	if err != nil && isForeignKeyViolation(err) {
		return fmt.Errorf("bind %s in %s: user or tenant does not exist: %w", b.User, b.Tenant, store.ErrNotFound)
	}
	return err
}

func (u users) Unbind(ctx context.Context, user, tenant string) error {
	res, err := u.s.db.ExecContext(ctx, `DELETE FROM role_bindings WHERE user = ? AND tenant = ?`, user, tenant)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}

func (u users) bindings(ctx context.Context, where string, arg string) ([]store.RoleBinding, error) {
	return queryAll(ctx, u.s.db, "role bindings", func(r scanner) (store.RoleBinding, error) {
		var b store.RoleBinding
		err := r.Scan(&b.User, &b.Tenant, &b.Role)
		return b, err
	}, `SELECT user, tenant, role FROM role_bindings WHERE `+where+` ORDER BY tenant, user`, arg)
}

func (u users) Bindings(ctx context.Context, user string) ([]store.RoleBinding, error) {
	return u.bindings(ctx, "user = ?", user)
}

func (u users) Members(ctx context.Context, tenant string) ([]store.RoleBinding, error) {
	return u.bindings(ctx, "tenant = ?", tenant)
}

func (u users) SetRecoveryCodes(ctx context.Context, user string, hashes [][]byte) error {
	tx, err := u.s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user = ?`, user); err != nil {
		return err
	}
	for _, h := range hashes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO recovery_codes(user, hash) VALUES (?, ?)`, user, h); err != nil {
			return fmt.Errorf("recovery codes: %w", err)
		}
	}
	return tx.Commit()
}

func (u users) UseRecoveryCode(ctx context.Context, user string, hash []byte, at time.Time) (bool, error) {
	res, err := u.s.db.ExecContext(ctx, `UPDATE recovery_codes SET used_at = ? WHERE user = ? AND hash = ? AND used_at IS NULL`,
		toNanos(at), user, hash)
	if err != nil {
		return false, fmt.Errorf("recovery code: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

type sessions struct{ s *Store }

func (ss sessions) Create(ctx context.Context, s store.Session) error {
	_, err := ss.s.db.ExecContext(ctx, `INSERT INTO sessions(hash, user, tenant, csrf, created_at, expires_at, last_seen)
		VALUES (?,?,?,?,?,?,?)`, s.Hash, s.User, s.Tenant, s.CSRF, toNanos(s.CreatedAt), toNanos(s.ExpiresAt), toNanos(s.LastSeen))
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

func (ss sessions) ByHash(ctx context.Context, hash []byte) (store.Session, error) {
	var s store.Session
	var created, expires, seen int64
	err := ss.s.db.QueryRowContext(ctx, `SELECT hash, user, tenant, csrf, created_at, expires_at, last_seen FROM sessions WHERE hash = ?`, hash).
		Scan(&s.Hash, &s.User, &s.Tenant, &s.CSRF, &created, &expires, &seen)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Session{}, store.ErrNotFound
	}
	if err != nil {
		return store.Session{}, fmt.Errorf("session: %w", err)
	}
	s.CreatedAt, s.ExpiresAt, s.LastSeen = fromNanos(created), fromNanos(expires), fromNanos(seen)
	return s, nil
}

func (ss sessions) Touch(ctx context.Context, hash []byte, tenant string, at time.Time) error {
	_, err := ss.s.db.ExecContext(ctx, `UPDATE sessions SET last_seen = ?, tenant = ? WHERE hash = ?`, toNanos(at), tenant, hash)
	return err
}

func (ss sessions) Delete(ctx context.Context, hash []byte) error {
	_, err := ss.s.db.ExecContext(ctx, `DELETE FROM sessions WHERE hash = ?`, hash)
	return err
}

func (ss sessions) DeleteUser(ctx context.Context, user string) error {
	_, err := ss.s.db.ExecContext(ctx, `DELETE FROM sessions WHERE user = ?`, user)
	return err
}
