package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/yagura-soc/yagura/internal/store"
)

// alerts is one tenant's alert table; every statement binds sc.tenant.
type alerts scoped

const alertColumns = `id, tenant, rule_id, rule_title, severity, risk_score, status, resolution,
	assignee, count, entities, tags, fingerprint, event_ids, first_seen, last_seen, created_at, updated_at`

func (a alerts) Upsert(ctx context.Context, in []store.Alert, window time.Duration) ([]store.Alert, error) {
	tx, err := a.s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("upsert alerts: %w", err)
	}
	defer tx.Rollback()
	out := make([]store.Alert, len(in))
	now := a.s.now()
	for i, al := range in {
		al.Tenant = a.tenant
		stored, err := a.upsertOne(ctx, tx, al, window, now)
		if err != nil {
			return nil, fmt.Errorf("upsert alert %s: %w", al.RuleID, err)
		}
		out[i] = stored
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("upsert alerts: commit: %w", err)
	}
	return out, nil
}

func (a alerts) upsertOne(ctx context.Context, tx *sql.Tx, al store.Alert, window time.Duration, now time.Time) (store.Alert, error) {
	row := tx.QueryRowContext(ctx, `SELECT `+alertColumns+` FROM alerts
		WHERE tenant = ? AND fingerprint = ? AND status != ? AND last_seen >= ?
		ORDER BY last_seen DESC LIMIT 1`,
		a.tenant, al.Fingerprint, store.StatusClosed, toNanos(al.FirstSeen.Add(-window)))
	open, err := scanAlert(row)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return a.insert(ctx, tx, al, now)
	case err != nil:
		return store.Alert{}, err
	}
	open.Count += al.Count
	if al.LastSeen.After(open.LastSeen) {
		open.LastSeen = al.LastSeen
	}
	if al.FirstSeen.Before(open.FirstSeen) {
		open.FirstSeen = al.FirstSeen
	}
	if al.RiskScore > open.RiskScore {
		open.RiskScore = al.RiskScore
	}
	open.EventIDs = appendBounded(open.EventIDs, al.EventIDs, store.MaxAlertEventIDs)
	open.UpdatedAt = now
	ids, _ := json.Marshal(open.EventIDs)
	_, err = tx.ExecContext(ctx, `UPDATE alerts SET count = ?, last_seen = ?, first_seen = ?, risk_score = ?,
		event_ids = ?, updated_at = ? WHERE tenant = ? AND id = ?`,
		open.Count, toNanos(open.LastSeen), toNanos(open.FirstSeen), open.RiskScore, string(ids),
		toNanos(now), a.tenant, open.ID)
	return open, err
}

func (a alerts) insert(ctx context.Context, tx *sql.Tx, al store.Alert, now time.Time) (store.Alert, error) {
	if al.ID == "" {
		al.ID = ulid.Make().String()
	}
	if al.Status == "" {
		al.Status = store.StatusNew
	}
	if al.Count == 0 {
		al.Count = 1
	}
	if al.Entities == nil {
		al.Entities = map[string]string{}
	}
	if al.Tags == nil {
		al.Tags = []string{}
	}
	al.EventIDs = appendBounded(nil, al.EventIDs, store.MaxAlertEventIDs)
	al.CreatedAt, al.UpdatedAt = now, now
	entities, _ := json.Marshal(al.Entities)
	tags, _ := json.Marshal(al.Tags)
	ids, _ := json.Marshal(al.EventIDs)
	_, err := tx.ExecContext(ctx, `INSERT INTO alerts(`+alertColumns+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		al.ID, a.tenant, al.RuleID, al.RuleTitle, al.Severity, al.RiskScore, al.Status, al.Resolution,
		al.Assignee, al.Count, string(entities), string(tags), al.Fingerprint, string(ids),
		toNanos(al.FirstSeen), toNanos(al.LastSeen), toNanos(now), toNanos(now))
	return al, err
}

// appendBounded appends add to ids, keeping at most max, first ones kept:
// the events that opened an alert are its most useful evidence.
func appendBounded(ids, add []string, max int) []string {
	if ids == nil {
		ids = []string{}
	}
	for _, id := range add {
		if len(ids) >= max {
			break
		}
		ids = append(ids, id)
	}
	return ids
}

func (a alerts) Get(ctx context.Context, id string) (store.Alert, error) {
	al, err := scanAlert(a.s.db.QueryRowContext(ctx, `SELECT `+alertColumns+` FROM alerts WHERE tenant = ? AND id = ?`, a.tenant, id))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Alert{}, store.ErrNotFound
	}
	if err != nil {
		return store.Alert{}, fmt.Errorf("get alert: %w", err)
	}
	return al, nil
}

func (a alerts) List(ctx context.Context, f store.AlertFilter) ([]store.Alert, int, error) {
	conds := []string{"tenant = ?"}
	args := []any{a.tenant}
	add := func(cond string, v any) {
		conds = append(conds, cond)
		args = append(args, v)
	}
	if f.Status != "" {
		add("status = ?", f.Status)
	}
	if f.Severity != "" {
		add("severity = ?", f.Severity)
	}
	if f.RuleID != "" {
		add("rule_id = ?", f.RuleID)
	}
	if !f.From.IsZero() {
		add("last_seen >= ?", toNanos(f.From))
	}
	if !f.To.IsZero() {
		add("last_seen < ?", toNanos(f.To))
	}
	where := strings.Join(conds, " AND ")
	var total int
	if err := a.s.db.QueryRowContext(ctx, `SELECT count(*) FROM alerts WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count alerts: %w", err)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	rows, err := a.s.db.QueryContext(ctx, `SELECT `+alertColumns+` FROM alerts WHERE `+where+
		` ORDER BY last_seen DESC, id DESC LIMIT ? OFFSET ?`, append(args, limit, f.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list alerts: %w", err)
	}
	defer rows.Close()
	out := []store.Alert{}
	for rows.Next() {
		al, err := scanAlert(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, al)
	}
	return out, total, rows.Err()
}

func scanAlert(r scanner) (store.Alert, error) {
	var al store.Alert
	var entities, tags, ids string
	var first, last, created, updated int64
	err := r.Scan(&al.ID, &al.Tenant, &al.RuleID, &al.RuleTitle, &al.Severity, &al.RiskScore, &al.Status,
		&al.Resolution, &al.Assignee, &al.Count, &entities, &tags, &al.Fingerprint, &ids,
		&first, &last, &created, &updated)
	if err != nil {
		return store.Alert{}, err
	}
	if err := json.Unmarshal([]byte(entities), &al.Entities); err != nil {
		return store.Alert{}, fmt.Errorf("alert %s entities: %w", al.ID, err)
	}
	if err := json.Unmarshal([]byte(tags), &al.Tags); err != nil {
		return store.Alert{}, fmt.Errorf("alert %s tags: %w", al.ID, err)
	}
	if err := json.Unmarshal([]byte(ids), &al.EventIDs); err != nil {
		return store.Alert{}, fmt.Errorf("alert %s event ids: %w", al.ID, err)
	}
	al.FirstSeen, al.LastSeen, al.CreatedAt, al.UpdatedAt = fromNanos(first), fromNanos(last), fromNanos(created), fromNanos(updated)
	return al, nil
}

func (a alerts) DeleteClosedBefore(ctx context.Context, t time.Time) (int64, error) {
	res, err := a.s.db.ExecContext(ctx, `DELETE FROM alerts WHERE tenant = ? AND status = ? AND last_seen < ?`,
		a.tenant, store.StatusClosed, toNanos(t))
	if err != nil {
		return 0, fmt.Errorf("delete closed alerts: %w", err)
	}
	return res.RowsAffected()
}
