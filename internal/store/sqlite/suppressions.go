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

// suppressions is one tenant's exceptions.
type suppressions scoped

// Suppressions implements store.Scoped.
func (sc scoped) Suppressions() store.Suppressions { return suppressions(sc) }

const suppressionColumns = `id, rule_id, conditions, reason, author, from_alert, created_at, expires_at, hits, last_hit`

func (s suppressions) Create(ctx context.Context, sup store.Suppression) (store.Suppression, error) {
	return createSuppression(ctx, s.s.db, s.tenant, sup, s.s.now())
}

func (t alertTx) CreateSuppression(ctx context.Context, sup store.Suppression) (store.Suppression, error) {
	return createSuppression(ctx, t.tx, t.a.tenant, sup, t.now)
}

func createSuppression(ctx context.Context, db dbtx, tenant string, sup store.Suppression, now time.Time) (store.Suppression, error) {
	sup.ID = ulid.Make().String()
	sup.CreatedAt = now
	sup.Hits, sup.LastHit = 0, nil
	if sup.Conditions == nil {
		sup.Conditions = []store.Condition{}
	}
	conds, err := json.Marshal(sup.Conditions)
	if err != nil {
		return sup, err
	}
	_, err = db.ExecContext(ctx, `INSERT INTO suppressions(tenant, `+suppressionColumns+`) VALUES (?,?,?,?,?,?,?,?,?,0,NULL)`,
		tenant, sup.ID, sup.RuleID, string(conds), sup.Reason, sup.Author, sup.FromAlert, toNanos(now),
		nullableNanos(sup.ExpiresAt))
	if err != nil {
		return sup, fmt.Errorf("create suppression: %w", err)
	}
	return sup, nil
}

func (s suppressions) Get(ctx context.Context, id string) (store.Suppression, error) {
	sup, err := scanSuppression(s.s.db.QueryRowContext(ctx, `SELECT `+suppressionColumns+` FROM suppressions
		WHERE tenant = ? AND id = ?`, s.tenant, id))
	if errors.Is(err, sql.ErrNoRows) {
		return sup, store.ErrNotFound
	}
	return sup, err
}

func (s suppressions) List(ctx context.Context) ([]store.Suppression, error) {
	return s.query(ctx, `SELECT `+suppressionColumns+` FROM suppressions WHERE tenant = ? ORDER BY created_at DESC, id DESC`, s.tenant)
}

func (s suppressions) Active(ctx context.Context, at time.Time) ([]store.Suppression, error) {
	return s.query(ctx, `SELECT `+suppressionColumns+` FROM suppressions WHERE tenant = ?
		AND (expires_at IS NULL OR expires_at > ?) ORDER BY created_at, id`, s.tenant, toNanos(at))
}

func (s suppressions) query(ctx context.Context, q string, args ...any) ([]store.Suppression, error) {
	return queryAll(ctx, s.s.db, "list suppressions", scanSuppression, q, args...)
}

func (s suppressions) Update(ctx context.Context, sup store.Suppression) (store.Suppression, error) {
	conds, err := json.Marshal(sup.Conditions)
	if err != nil {
		return sup, err
	}
	res, err := s.s.db.ExecContext(ctx, `UPDATE suppressions SET rule_id = ?, conditions = ?, reason = ?, expires_at = ?
		WHERE tenant = ? AND id = ?`, sup.RuleID, string(conds), sup.Reason, nullableNanos(sup.ExpiresAt), s.tenant, sup.ID)
	if err != nil {
		return sup, fmt.Errorf("update suppression: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return sup, store.ErrNotFound
	}
	return s.Get(ctx, sup.ID)
}

func (s suppressions) Delete(ctx context.Context, id string) error {
	res, err := s.s.db.ExecContext(ctx, `DELETE FROM suppressions WHERE tenant = ? AND id = ?`, s.tenant, id)
	if err != nil {
		return fmt.Errorf("delete suppression: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}

func (t alertTx) CountSuppressed(ctx context.Context, id string, n int64, at time.Time) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE suppressions SET hits = hits + ?, last_hit = max(coalesce(last_hit, 0), ?)
		WHERE tenant = ? AND id = ?`, n, toNanos(at), t.a.tenant, id)
	if err != nil {
		return fmt.Errorf("count suppressed matches: %w", err)
	}
	return nil
}

func scanSuppression(r scanner) (store.Suppression, error) {
	var sup store.Suppression
	var conds string
	var created int64
	var expires, last sql.NullInt64
	if err := r.Scan(&sup.ID, &sup.RuleID, &conds, &sup.Reason, &sup.Author, &sup.FromAlert, &created, &expires,
		&sup.Hits, &last); err != nil {
		return sup, err
	}
	if err := json.Unmarshal([]byte(conds), &sup.Conditions); err != nil {
		return sup, fmt.Errorf("suppression %s conditions: %w", sup.ID, err)
	}
	sup.CreatedAt, sup.ExpiresAt, sup.LastHit = fromNanos(created), timePtr(expires), timePtr(last)
	return sup, nil
}

// entityRisks reads one tenant's entity risk.
type entityRisks scoped

// EntityRisks implements store.Scoped.
func (sc scoped) EntityRisks() store.EntityRisks { return entityRisks(sc) }

func (e entityRisks) Get(ctx context.Context, typ, value string) (store.EntityRisk, error) {
	return getEntityRisk(ctx, e.s.db, e.tenant, typ, value)
}

func getEntityRisk(ctx context.Context, db dbtx, tenant, typ, value string) (store.EntityRisk, error) {
	r := store.EntityRisk{Type: typ, Value: value}
	var at int64
	err := db.QueryRowContext(ctx, `SELECT score, updated_at, risk_alert_id FROM entity_risk
		WHERE tenant = ? AND type = ? AND value = ?`, tenant, typ, value).Scan(&r.Score, &at, &r.RiskAlertID)
	if errors.Is(err, sql.ErrNoRows) {
		return r, store.ErrNotFound
	}
	if err != nil {
		return r, fmt.Errorf("entity risk: %w", err)
	}
	r.UpdatedAt = fromNanos(at)
	return r, nil
}

func (e entityRisks) Contributions(ctx context.Context, typ, value string, since time.Time) ([]store.RiskContribution, error) {
	return contributions(ctx, e.s.db, e.tenant, typ, value, since)
}

func (t alertTx) RiskContributions(ctx context.Context, typ, value string, since time.Time) ([]store.RiskContribution, error) {
	return contributions(ctx, t.tx, t.a.tenant, typ, value, since)
}

func contributions(ctx context.Context, db dbtx, tenant, typ, value string, since time.Time) ([]store.RiskContribution, error) {
	return queryAll(ctx, db, "entity risk contributions", func(r scanner) (store.RiskContribution, error) {
		var c store.RiskContribution
		var at int64
		err := r.Scan(&c.AlertID, &c.RuleID, &c.Points, &c.ScoreAfter, &at)
		c.At = fromNanos(at)
		return c, err
	}, `SELECT alert_id, rule_id, points, score_after, at FROM entity_risk_log
		WHERE tenant = ? AND type = ? AND value = ? AND at >= ? ORDER BY at, rowid`, tenant, typ, value, toNanos(since))
}

func (t alertTx) EntityRisk(ctx context.Context, typ, value string) (store.EntityRisk, error) {
	return getEntityRisk(ctx, t.tx, t.a.tenant, typ, value)
}

func (t alertTx) AddEntityRisk(ctx context.Context, r store.EntityRisk, c store.RiskContribution) error {
	if _, err := t.tx.ExecContext(ctx, `INSERT INTO entity_risk(tenant, type, value, score, updated_at, risk_alert_id)
		VALUES (?,?,?,?,?,?) ON CONFLICT(tenant, type, value) DO UPDATE SET score = excluded.score,
		updated_at = excluded.updated_at, risk_alert_id = excluded.risk_alert_id`,
		t.a.tenant, r.Type, r.Value, r.Score, toNanos(r.UpdatedAt), r.RiskAlertID); err != nil {
		return fmt.Errorf("store entity risk: %w", err)
	}
	if c.AlertID == "" {
		return nil
	}
	if _, err := t.tx.ExecContext(ctx, `INSERT INTO entity_risk_log(tenant, type, value, alert_id, rule_id, points, score_after, at)
		VALUES (?,?,?,?,?,?,?,?)`, t.a.tenant, r.Type, r.Value, c.AlertID, c.RuleID, c.Points, c.ScoreAfter, toNanos(c.At)); err != nil {
		return fmt.Errorf("store entity risk contribution: %w", err)
	}
	return nil
}
