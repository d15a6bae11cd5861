package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/yagura-soc/yagura/internal/store"
)

// retention is one tenant's retention settings; every statement binds it.
type retention scoped

func (r retention) Policy(ctx context.Context) (store.RetentionPolicy, error) {
	p := store.RetentionPolicy{Tenant: r.tenant}
	var updated int64
	err := r.s.db.QueryRowContext(ctx, `SELECT hot_days, delete_after_days, alert_days, case_days, updated_at
		FROM retention_policies WHERE tenant = ?`, r.tenant).Scan(&p.HotDays, &p.DeleteAfterDays, &p.AlertDays, &p.CaseDays, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return store.DefaultRetention(r.tenant), nil
	}
	if err != nil {
		return p, fmt.Errorf("retention policy: %w", err)
	}
	p.UpdatedAt = fromNanos(updated)
	return p, nil
}

func (r retention) SetPolicy(ctx context.Context, p store.RetentionPolicy) error {
	if p.UpdatedAt.IsZero() {
		p.UpdatedAt = r.s.now()
	}
	if p.CaseDays == 0 {
		p.CaseDays = store.DefaultRetention(r.tenant).CaseDays
	}
	_, err := r.s.db.ExecContext(ctx, `INSERT INTO retention_policies(tenant, hot_days, delete_after_days, alert_days, case_days, updated_at)
		VALUES (?,?,?,?,?,?) ON CONFLICT(tenant) DO UPDATE SET hot_days = excluded.hot_days,
		delete_after_days = excluded.delete_after_days, alert_days = excluded.alert_days,
		case_days = excluded.case_days, updated_at = excluded.updated_at`,
		r.tenant, p.HotDays, p.DeleteAfterDays, p.AlertDays, p.CaseDays, toNanos(p.UpdatedAt))
	if err != nil {
		return fmt.Errorf("set retention policy: %w", err)
	}
	return nil
}

func (r retention) Holds(ctx context.Context) ([]store.LegalHold, error) {
	return queryAll(ctx, r.s.db, "legal holds", func(row scanner) (store.LegalHold, error) {
		h := store.LegalHold{Tenant: r.tenant}
		var from, to, created int64
		var released sql.NullInt64
		err := row.Scan(&h.ID, &h.CaseID, &h.Reason, &from, &to, &h.CreatedBy, &created, &released)
		h.From, h.To, h.CreatedAt, h.ReleasedAt = fromNanos(from), fromNanos(to), fromNanos(created), timePtr(released)
		return h, err
	}, `SELECT id, case_id, reason, from_time, to_time, created_by, created_at, released_at
		FROM legal_holds WHERE tenant = ? ORDER BY created_at`, r.tenant)
}

func (r retention) AddHold(ctx context.Context, h store.LegalHold) (store.LegalHold, error) {
	h.Tenant = r.tenant
	if h.ID == "" {
		h.ID = ulid.Make().String()
	}
	if h.CreatedAt.IsZero() {
		h.CreatedAt = r.s.now()
	}
	_, err := r.s.db.ExecContext(ctx, `INSERT INTO legal_holds(id, tenant, case_id, reason, from_time, to_time, created_by, created_at)
		VALUES (?,?,?,?,?,?,?,?)`, h.ID, r.tenant, h.CaseID, h.Reason, toNanos(h.From), toNanos(h.To), h.CreatedBy, toNanos(h.CreatedAt))
	if err != nil {
		return h, fmt.Errorf("add legal hold: %w", err)
	}
	return h, nil
}

func (r retention) ReleaseHold(ctx context.Context, id string, at time.Time) error {
	res, err := r.s.db.ExecContext(ctx, `UPDATE legal_holds SET released_at = ? WHERE tenant = ? AND id = ? AND released_at IS NULL`,
		toNanos(at), r.tenant, id)
	if err != nil {
		return fmt.Errorf("release legal hold: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}

func (r retention) Archives(ctx context.Context) ([]store.Archive, error) {
	return queryAll(ctx, r.s.db, "archives", func(row scanner) (store.Archive, error) {
		a := store.Archive{Tenant: r.tenant}
		var day, archived int64
		var deleted sql.NullInt64
		err := row.Scan(&day, &a.Path, &a.SHA256, &a.Events, &a.Bytes, &archived, &deleted)
		a.Day, a.ArchivedAt, a.DeletedAt = fromNanos(day), fromNanos(archived), timePtr(deleted)
		return a, err
	}, `SELECT day, path, sha256, events, bytes, archived_at, deleted_at
		FROM archives WHERE tenant = ? ORDER BY day`, r.tenant)
}

func (r retention) RecordArchive(ctx context.Context, a store.Archive) error {
	_, err := r.s.db.ExecContext(ctx, `INSERT INTO archives(tenant, day, path, sha256, events, bytes, archived_at)
		VALUES (?,?,?,?,?,?,?) ON CONFLICT(tenant, day) DO UPDATE SET path = excluded.path, sha256 = excluded.sha256,
		events = excluded.events, bytes = excluded.bytes, archived_at = excluded.archived_at, deleted_at = NULL`,
		r.tenant, toNanos(a.Day), a.Path, a.SHA256, a.Events, a.Bytes, toNanos(a.ArchivedAt))
	if err != nil {
		return fmt.Errorf("record archive: %w", err)
	}
	return nil
}

func (r retention) MarkArchiveDeleted(ctx context.Context, day time.Time, at time.Time) error {
	res, err := r.s.db.ExecContext(ctx, `UPDATE archives SET deleted_at = ? WHERE tenant = ? AND day = ?`, toNanos(at), r.tenant, toNanos(day))
	if err != nil {
		return fmt.Errorf("mark archive deleted: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}
