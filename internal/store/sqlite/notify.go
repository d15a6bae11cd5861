package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/yagura-soc/yagura/internal/store"
)

// notifications is one tenant's channels, routes and outbox.
type notifications scoped

// Notifications implements store.Scoped.
func (sc scoped) Notifications() store.Notifications { return notifications(sc) }

func enqueue(ctx context.Context, db dbtx, tenant string, ev store.OutboxEvent, now time.Time) error {
	if ev.ID == "" {
		ev.ID = ulid.Make().String()
	}
	if ev.CreatedAt.IsZero() {
		ev.CreatedAt = now
	}
	if ev.AlertID == "" {
		ev.AlertID = ev.Alert.ID
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO notify_outbox(id, tenant, kind, alert_id, body, created_at)
		VALUES (?,?,?,?,?,?)`, ev.ID, tenant, ev.Kind, ev.AlertID, string(body), toNanos(ev.CreatedAt)); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	return nil
}

func (n notifications) Enqueue(ctx context.Context, ev store.OutboxEvent) error {
	return enqueue(ctx, n.s.db, n.tenant, ev, n.s.now())
}

func (n notifications) CreateChannel(ctx context.Context, c store.Channel) (store.Channel, error) {
	c.ID = ulid.Make().String()
	c.CreatedAt, c.UpdatedAt = n.s.now(), n.s.now()
	if len(c.Config) == 0 {
		c.Config = json.RawMessage(`{}`)
	}
	_, err := n.s.db.ExecContext(ctx, `INSERT INTO notify_channels(id, tenant, name, kind, config, rate_per_minute, enabled,
		created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)`, c.ID, n.tenant, c.Name, c.Kind, string(c.Config),
		c.RatePerMinute, c.Enabled, toNanos(c.CreatedAt), toNanos(c.UpdatedAt))
	if isUniqueViolation(err) {
		return c, store.ErrConflict
	}
	if err != nil {
		return c, fmt.Errorf("create channel: %w", err)
	}
	return c, nil
}

const channelColumns = `id, name, kind, config, rate_per_minute, enabled, created_at, updated_at`

func scanChannel(r scanner) (store.Channel, error) {
	var c store.Channel
	var cfg string
	var created, updated int64
	if err := r.Scan(&c.ID, &c.Name, &c.Kind, &cfg, &c.RatePerMinute, &c.Enabled, &created, &updated); err != nil {
		return c, err
	}
	c.Config = json.RawMessage(cfg)
	c.CreatedAt, c.UpdatedAt = fromNanos(created), fromNanos(updated)
	return c, nil
}

func (n notifications) Channel(ctx context.Context, id string) (store.Channel, error) {
	c, err := scanChannel(n.s.db.QueryRowContext(ctx, `SELECT `+channelColumns+` FROM notify_channels WHERE tenant = ? AND id = ?`, n.tenant, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, store.ErrNotFound
	}
	return c, err
}

func (n notifications) Channels(ctx context.Context) ([]store.Channel, error) {
	return queryAll(ctx, n.s.db, "list channels", scanChannel,
		`SELECT `+channelColumns+` FROM notify_channels WHERE tenant = ? ORDER BY name`, n.tenant)
}

func (n notifications) UpdateChannel(ctx context.Context, c store.Channel) (store.Channel, error) {
	res, err := n.s.db.ExecContext(ctx, `UPDATE notify_channels SET name = ?, kind = ?, config = ?, rate_per_minute = ?,
		enabled = ?, updated_at = ? WHERE tenant = ? AND id = ?`, c.Name, c.Kind, string(c.Config), c.RatePerMinute,
		c.Enabled, toNanos(n.s.now()), n.tenant, c.ID)
	if isUniqueViolation(err) {
		return c, store.ErrConflict
	}
	if err != nil {
		return c, fmt.Errorf("update channel: %w", err)
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return c, store.ErrNotFound
	}
	return n.Channel(ctx, c.ID)
}

func (n notifications) DeleteChannel(ctx context.Context, id string) error {
	res, err := n.s.db.ExecContext(ctx, `DELETE FROM notify_channels WHERE tenant = ? AND id = ?`, n.tenant, id)
	if err != nil {
		return fmt.Errorf("delete channel: %w", err)
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return store.ErrNotFound
	}
	return nil
}

func (n notifications) CreateRoute(ctx context.Context, r store.Route) (store.Route, error) {
	r.ID = ulid.Make().String()
	r.CreatedAt, r.UpdatedAt = n.s.now(), n.s.now()
	body, _ := json.Marshal(r)
	_, err := n.s.db.ExecContext(ctx, `INSERT INTO notify_routes(id, tenant, name, body, enabled, created_at, updated_at)
		VALUES (?,?,?,?,?,?,?)`, r.ID, n.tenant, r.Name, string(body), r.Enabled, toNanos(r.CreatedAt), toNanos(r.UpdatedAt))
	if isUniqueViolation(err) {
		return r, store.ErrConflict
	}
	if err != nil {
		return r, fmt.Errorf("create route: %w", err)
	}
	return r, nil
}

func scanRoute(r scanner) (store.Route, error) {
	rt, err := scanJSON[store.Route](r)
	if err != nil {
		return rt, fmt.Errorf("route: %w", err)
	}
	return rt, nil
}

func (n notifications) Route(ctx context.Context, id string) (store.Route, error) {
	rt, err := scanRoute(n.s.db.QueryRowContext(ctx, `SELECT body FROM notify_routes WHERE tenant = ? AND id = ?`, n.tenant, id))
	if errors.Is(err, sql.ErrNoRows) {
		return rt, store.ErrNotFound
	}
	return rt, err
}

func (n notifications) Routes(ctx context.Context) ([]store.Route, error) {
	return queryAll(ctx, n.s.db, "list routes", scanRoute, `SELECT body FROM notify_routes WHERE tenant = ? ORDER BY name`, n.tenant)
}

func (n notifications) UpdateRoute(ctx context.Context, r store.Route) (store.Route, error) {
	old, err := n.Route(ctx, r.ID)
	if err != nil {
		return r, err
	}
	r.CreatedAt, r.UpdatedAt = old.CreatedAt, n.s.now()
	body, _ := json.Marshal(r)
	_, err = n.s.db.ExecContext(ctx, `UPDATE notify_routes SET name = ?, body = ?, enabled = ?, updated_at = ?
		WHERE tenant = ? AND id = ?`, r.Name, string(body), r.Enabled, toNanos(r.UpdatedAt), n.tenant, r.ID)
	if isUniqueViolation(err) {
		return r, store.ErrConflict
	}
	if err != nil {
		return r, fmt.Errorf("update route: %w", err)
	}
	return r, nil
}

func (n notifications) DeleteRoute(ctx context.Context, id string) error {
	res, err := n.s.db.ExecContext(ctx, `DELETE FROM notify_routes WHERE tenant = ? AND id = ?`, n.tenant, id)
	if err != nil {
		return fmt.Errorf("delete route: %w", err)
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return store.ErrNotFound
	}
	return nil
}

func (n notifications) Unrouted(ctx context.Context, limit int) ([]store.OutboxEvent, error) {
	return queryAll(ctx, n.s.db, "outbox", scanJSON[store.OutboxEvent], `SELECT body FROM notify_outbox
		WHERE tenant = ? AND routed_at IS NULL ORDER BY id LIMIT ?`, n.tenant, limit)
}

func (n notifications) Routed(ctx context.Context, eventID string, ds []store.Delivery) error {
	tx, err := n.s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("route outbox event: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE notify_outbox SET routed_at = ? WHERE tenant = ? AND id = ? AND routed_at IS NULL`,
		toNanos(n.s.now()), n.tenant, eventID)
	if err != nil {
		return fmt.Errorf("route outbox event: %w", err)
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return nil // routed already (by an earlier run that committed)
	}
	for _, d := range ds {
		if err := insertDelivery(ctx, tx, n.tenant, d, n.s.now()); err != nil {
			return err
		}
	}
	return tx.Commit()
}

const deliveryColumns = `id, event_id, channel, kind, alert_id, idempotency_key, events, state, attempts,
	next_attempt, last_error, created_at, delivered_at`

func insertDelivery(ctx context.Context, db dbtx, tenant string, d store.Delivery, now time.Time) error {
	if d.ID == "" {
		d.ID = ulid.Make().String()
	}
	if d.NextAttempt.IsZero() {
		d.NextAttempt = now
	}
	events, err := json.Marshal(d.Events)
	if err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, `INSERT INTO notify_deliveries(tenant, `+deliveryColumns+`)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,NULL) ON CONFLICT(tenant, idempotency_key) DO NOTHING`,
		tenant, d.ID, d.EventID, d.Channel, d.Kind, d.AlertID, d.IdempotencyKey, string(events), d.State, d.Attempts,
		toNanos(d.NextAttempt), d.LastError, toNanos(now))
	if err != nil {
		return fmt.Errorf("store delivery: %w", err)
	}
	return nil
}

func scanDelivery(r scanner) (store.Delivery, error) {
	var d store.Delivery
	var events string
	var next, created int64
	var delivered sql.NullInt64
	if err := r.Scan(&d.ID, &d.EventID, &d.Channel, &d.Kind, &d.AlertID, &d.IdempotencyKey, &events, &d.State,
		&d.Attempts, &next, &d.LastError, &created, &delivered); err != nil {
		return d, err
	}
	if err := json.Unmarshal([]byte(events), &d.Events); err != nil {
		return d, fmt.Errorf("delivery %s: %w", d.ID, err)
	}
	d.NextAttempt, d.CreatedAt, d.DeliveredAt = fromNanos(next), fromNanos(created), timePtr(delivered)
	return d, nil
}

func (n notifications) deliveries(ctx context.Context, q string, args ...any) ([]store.Delivery, error) {
	return queryAll(ctx, n.s.db, "deliveries", scanDelivery, `SELECT `+deliveryColumns+` FROM notify_deliveries WHERE `+q, args...)
}

func (n notifications) Due(ctx context.Context, now time.Time, limit int) ([]store.Delivery, error) {
	return n.deliveries(ctx, `tenant = ? AND state = ? AND next_attempt <= ? ORDER BY next_attempt, id LIMIT ?`,
		n.tenant, store.DeliveryPending, toNanos(now), limit)
}

func (n notifications) Delivered(ctx context.Context, id string, at time.Time, ref string) error {
	tx, err := n.s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("mark delivered: %w", err)
	}
	defer tx.Rollback()
	var channel, alertID string
	if err := tx.QueryRowContext(ctx, `UPDATE notify_deliveries SET state = ?, delivered_at = ?, attempts = attempts + 1,
		last_error = '' WHERE tenant = ? AND id = ? RETURNING channel, alert_id`,
		store.DeliveryDelivered, toNanos(at), n.tenant, id).Scan(&channel, &alertID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		return fmt.Errorf("mark delivered: %w", err)
	}
	if ref != "" && alertID != "" {
		if _, err := tx.ExecContext(ctx, `INSERT INTO notify_refs(tenant, channel, alert_id, ref) VALUES (?,?,?,?)
			ON CONFLICT DO UPDATE SET ref = excluded.ref`, n.tenant, channel, alertID, ref); err != nil {
			return fmt.Errorf("store receiver reference: %w", err)
		}
	}
	return tx.Commit()
}

func (n notifications) Failed(ctx context.Context, id, reason string, next time.Time, dead bool) error {
	state := store.DeliveryPending
	if dead {
		state = store.DeliveryDead
	}
	res, err := n.s.db.ExecContext(ctx, `UPDATE notify_deliveries SET state = ?, attempts = attempts + 1, last_error = ?,
		next_attempt = ? WHERE tenant = ? AND id = ?`, state, reason, toNanos(next), n.tenant, id)
	if err != nil {
		return fmt.Errorf("record failed delivery: %w", err)
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return store.ErrNotFound
	}
	return nil
}

func (n notifications) Deliveries(ctx context.Context, f store.DeliveryFilter) ([]store.Delivery, int, error) {
	w := tenantFilter(n.tenant)
	if f.State != "" {
		w.add("state = ?", f.State)
	}
	if f.Channel != "" {
		w.add("channel = ?", f.Channel)
	}
	return listPage(ctx, n.s.db, "deliveries", scanDelivery, deliveryColumns, "notify_deliveries", w,
		"created_at DESC, id DESC", f.Limit, 100, f.Offset)
}

func (n notifications) Delivery(ctx context.Context, id string) (store.Delivery, error) {
	ds, err := n.deliveries(ctx, `tenant = ? AND id = ?`, n.tenant, id)
	if err != nil {
		return store.Delivery{}, err
	}
	if len(ds) == 0 {
		return store.Delivery{}, store.ErrNotFound
	}
	return ds[0], nil
}

func (n notifications) Requeue(ctx context.Context, id string, now time.Time) error {
	res, err := n.s.db.ExecContext(ctx, `UPDATE notify_deliveries SET state = ?, attempts = 0, next_attempt = ?
		WHERE tenant = ? AND id = ? AND state = ?`, store.DeliveryPending, toNanos(now), n.tenant, id, store.DeliveryDead)
	if err != nil {
		return fmt.Errorf("requeue delivery: %w", err)
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return store.ErrNotFound
	}
	return nil
}

func (n notifications) Digests(ctx context.Context) (map[string][]store.Delivery, error) {
	ds, err := n.deliveries(ctx, `tenant = ? AND state = ? ORDER BY created_at, id`, n.tenant, store.DeliveryDigest)
	if err != nil {
		return nil, err
	}
	out := map[string][]store.Delivery{}
	for _, d := range ds {
		out[d.Channel] = append(out[d.Channel], d)
	}
	return out, nil
}

func (n notifications) FoldDigest(ctx context.Context, folded []string, d store.Delivery) error {
	tx, err := n.s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("fold digest: %w", err)
	}
	defer tx.Rollback()
	for _, id := range folded {
		if _, err := tx.ExecContext(ctx, `UPDATE notify_deliveries SET state = ? WHERE tenant = ? AND id = ? AND state = ?`,
			store.DeliveryDigested, n.tenant, id, store.DeliveryDigest); err != nil {
			return fmt.Errorf("fold digest: %w", err)
		}
	}
	if err := insertDelivery(ctx, tx, n.tenant, d, n.s.now()); err != nil {
		return err
	}
	return tx.Commit()
}

func (n notifications) Ref(ctx context.Context, channel, alertID string) (string, error) {
	var ref string
	err := n.s.db.QueryRowContext(ctx, `SELECT ref FROM notify_refs WHERE tenant = ? AND channel = ? AND alert_id = ?`,
		n.tenant, channel, alertID).Scan(&ref)
	if errors.Is(err, sql.ErrNoRows) {
		return "", store.ErrNotFound
	}
	return ref, err
}

func (n notifications) Prune(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`DELETE FROM notify_outbox WHERE tenant = ? AND routed_at IS NOT NULL AND created_at < ?`,
			[]any{n.tenant, toNanos(before)}},
		{`DELETE FROM notify_deliveries WHERE tenant = ? AND state IN (?, ?) AND created_at < ?`,
			[]any{n.tenant, store.DeliveryDelivered, store.DeliveryDigested, toNanos(before)}},
	} {
		res, err := n.s.db.ExecContext(ctx, q.sql, q.args...)
		if err != nil {
			return total, fmt.Errorf("prune notifications: %w", err)
		}
		k, _ := res.RowsAffected()
		total += k
	}
	return total, nil
}
