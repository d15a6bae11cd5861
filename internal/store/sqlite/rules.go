package sqlite

import (
	"context"
	"fmt"

	"github.com/yagura-soc/yagura/internal/store"
)

// rules is one tenant's per-rule settings; every statement binds the tenant.
type rules scoped

func (rs rules) Set(ctx context.Context, st store.RuleState) error {
	if st.RuleID == "" {
		return fmt.Errorf("rule state: the rule id is empty")
	}
	at := st.ChangedAt
	if at.IsZero() {
		at = rs.s.now()
	}
	_, err := rs.s.db.ExecContext(ctx, `INSERT INTO rule_states (tenant, rule_id, enabled, changed_by, changed_at)
		VALUES (?,?,?,?,?) ON CONFLICT (tenant, rule_id) DO UPDATE SET
		enabled = excluded.enabled, changed_by = excluded.changed_by, changed_at = excluded.changed_at`,
		rs.tenant, st.RuleID, st.Enabled, st.ChangedBy, toNanos(at))
	if err != nil {
		return fmt.Errorf("set rule state: %w", err)
	}
	return nil
}

func (rs rules) Disabled(ctx context.Context) ([]string, error) {
	return queryAll(ctx, rs.s.db, "list disabled rules", func(r scanner) (string, error) {
		var id string
		err := r.Scan(&id)
		return id, err
	}, `SELECT rule_id FROM rule_states WHERE tenant = ? AND enabled = 0 ORDER BY rule_id`, rs.tenant)
}

func (rs rules) Hits(ctx context.Context) (map[string]store.RuleHits, error) {
	rows, err := rs.s.db.QueryContext(ctx, `SELECT rule_id, count(*), sum(count), max(last_seen) FROM alerts
		WHERE tenant = ? GROUP BY rule_id`, rs.tenant)
	if err != nil {
		return nil, fmt.Errorf("count alerts per rule: %w", err)
	}
	defer rows.Close()
	out := make(map[string]store.RuleHits)
	for rows.Next() {
		var id string
		var h store.RuleHits
		var last int64
		if err := rows.Scan(&id, &h.Alerts, &h.Matches, &last); err != nil {
			return nil, fmt.Errorf("read alert count: %w", err)
		}
		h.Last = fromNanos(last)
		out[id] = h
	}
	return out, rows.Err()
}
