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

// hunts is one tenant's saved hunts; every statement binds the tenant.
type hunts scoped

const huntColumns = `id, tenant, name, description, query, interval_ns, lookback_ns, threshold, severity, enabled,
	created_by, created_at, updated_at, last_run, last_total, last_alerts, last_error`

func scanHunt(row scanner) (store.Hunt, error) {
	var h store.Hunt
	var interval, lookback, created, updated int64
	var lastRun sql.NullInt64
	err := row.Scan(&h.ID, &h.Tenant, &h.Name, &h.Description, &h.Query, &interval, &lookback, &h.Threshold, &h.Severity,
		&h.Enabled, &h.CreatedBy, &created, &updated, &lastRun, &h.LastTotal, &h.LastAlerts, &h.LastError)
	if err != nil {
		return h, err
	}
	h.Interval, h.Lookback = durationOf(interval), durationOf(lookback)
	h.CreatedAt, h.UpdatedAt, h.LastRun = fromNanos(created), fromNanos(updated), timePtr(lastRun)
	return h, nil
}

func (hs hunts) Create(ctx context.Context, h store.Hunt) (store.Hunt, error) {
	now := hs.s.now()
	if h.ID == "" {
		h.ID = ulid.Make().String()
	}
	h.Tenant = hs.tenant
	if h.CreatedAt.IsZero() {
		h.CreatedAt = now
	}
	h.UpdatedAt = h.CreatedAt
	_, err := hs.s.db.ExecContext(ctx, `INSERT INTO hunts (id, tenant, name, description, query, interval_ns, lookback_ns,
		threshold, severity, enabled, created_by, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		h.ID, h.Tenant, h.Name, h.Description, h.Query, int64(h.Interval), int64(h.Lookback), h.Threshold, h.Severity,
		h.Enabled, h.CreatedBy, toNanos(h.CreatedAt), toNanos(h.UpdatedAt))
	if isUniqueViolation(err) {
		return store.Hunt{}, store.ErrConflict
	}
	if err != nil {
		return store.Hunt{}, fmt.Errorf("create hunt: %w", err)
	}
	return h, nil
}

func (hs hunts) Get(ctx context.Context, id string) (store.Hunt, error) {
	h, err := scanHunt(hs.s.db.QueryRowContext(ctx, `SELECT `+huntColumns+` FROM hunts WHERE tenant = ? AND id = ?`, hs.tenant, id))
	if errors.Is(err, sql.ErrNoRows) {
		return h, store.ErrNotFound
	}
	if err != nil {
		return h, fmt.Errorf("get hunt: %w", err)
	}
	return h, nil
}

func (hs hunts) List(ctx context.Context) ([]store.Hunt, error) {
	return queryAll(ctx, hs.s.db, "list hunts", scanHunt,
		`SELECT `+huntColumns+` FROM hunts WHERE tenant = ? ORDER BY name, id`, hs.tenant)
}

func (hs hunts) Update(ctx context.Context, h store.Hunt) (store.Hunt, error) {
	h.UpdatedAt = hs.s.now()
	res, err := hs.s.db.ExecContext(ctx, `UPDATE hunts SET name = ?, description = ?, query = ?, interval_ns = ?, lookback_ns = ?,
		threshold = ?, severity = ?, enabled = ?, updated_at = ? WHERE tenant = ? AND id = ?`,
		h.Name, h.Description, h.Query, int64(h.Interval), int64(h.Lookback), h.Threshold, h.Severity, h.Enabled,
		toNanos(h.UpdatedAt), hs.tenant, h.ID)
	if isUniqueViolation(err) {
		return store.Hunt{}, store.ErrConflict
	}
	if err != nil {
		return store.Hunt{}, fmt.Errorf("update hunt: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.Hunt{}, store.ErrNotFound
	}
	return hs.Get(ctx, h.ID)
}

func (hs hunts) Delete(ctx context.Context, id string) error {
	res, err := hs.s.db.ExecContext(ctx, `DELETE FROM hunts WHERE tenant = ? AND id = ?`, hs.tenant, id)
	if err != nil {
		return fmt.Errorf("delete hunt: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}

func (hs hunts) RecordRun(ctx context.Context, id string, run store.HuntRun) error {
	res, err := hs.s.db.ExecContext(ctx, `UPDATE hunts SET last_run = ?, last_total = ?, last_alerts = ?, last_error = ?
		WHERE tenant = ? AND id = ?`, toNanos(run.At), run.Total, run.Alerts, run.Error, hs.tenant, id)
	if err != nil {
		return fmt.Errorf("record hunt run: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}

func durationOf(ns int64) time.Duration { return time.Duration(ns) }
