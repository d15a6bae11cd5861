package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/yagura-soc/yagura/internal/incident"
	"github.com/yagura-soc/yagura/internal/store"
)

// cases is one tenant's cases; every statement binds the tenant.
type cases scoped

func (c cases) Create(ctx context.Context, cs incident.Case) error {
	cs.Tenant = c.tenant
	body, err := json.Marshal(cs)
	if err != nil {
		return err
	}
	tx, err := c.s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	_, err = tx.ExecContext(ctx, `INSERT INTO cases(id, tenant, title, playbook, severity, status, stage, assignee, csirt, body, created_at, updated_at)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`, cs.ID, c.tenant, cs.Title, cs.Playbook, cs.Severity, cs.Status, cs.Stage,
		cs.Assignee, cs.CSIRT, string(body), toNanos(cs.CreatedAt), toNanos(cs.UpdatedAt))
	if isUniqueViolation(err) {
		return store.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("create case: %w", err)
	}
	if err := c.saveEntities(ctx, tx, cs); err != nil {
		return err
	}
	return tx.Commit()
}

func (c cases) saveEntities(ctx context.Context, tx *sql.Tx, cs incident.Case) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM case_entities WHERE tenant = ? AND case_id = ?`, c.tenant, cs.ID); err != nil {
		return err
	}
	for _, e := range cs.Entities {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO case_entities(tenant, case_id, entity) VALUES (?,?,?)`, c.tenant, cs.ID, e); err != nil {
			return fmt.Errorf("case entities: %w", err)
		}
	}
	return nil
}

func (c cases) Get(ctx context.Context, id string) (incident.Case, error) {
	var body string
	err := c.s.db.QueryRowContext(ctx, `SELECT body FROM cases WHERE tenant = ? AND id = ?`, c.tenant, id).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return incident.Case{}, store.ErrNotFound
	}
	if err != nil {
		return incident.Case{}, fmt.Errorf("get case: %w", err)
	}
	var cs incident.Case
	if err := json.Unmarshal([]byte(body), &cs); err != nil {
		return incident.Case{}, fmt.Errorf("case %s: %w", id, err)
	}
	return cs, nil
}

func (c cases) Update(ctx context.Context, cs incident.Case) error {
	cs.Tenant = c.tenant
	body, err := json.Marshal(cs)
	if err != nil {
		return err
	}
	tx, err := c.s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE cases SET title = ?, playbook = ?, severity = ?, status = ?, stage = ?, assignee = ?,
		csirt = ?, body = ?, updated_at = ? WHERE tenant = ? AND id = ?`, cs.Title, cs.Playbook, cs.Severity, cs.Status, cs.Stage,
		cs.Assignee, cs.CSIRT, string(body), toNanos(cs.UpdatedAt), c.tenant, cs.ID)
	if err != nil {
		return fmt.Errorf("update case: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	if err := c.saveEntities(ctx, tx, cs); err != nil {
		return err
	}
	return tx.Commit()
}

func (c cases) List(ctx context.Context, f store.CaseFilter) ([]incident.Case, int, error) {
	conds := []string{"tenant = ?"}
	args := []any{c.tenant}
	add := func(cond string, v any) { conds, args = append(conds, cond), append(args, v) }
	if f.Status != "" {
		add("status = ?", f.Status)
	}
	if f.Stage >= 0 {
		add("stage = ?", f.Stage)
	}
	if f.Severity != "" {
		add("severity = ?", f.Severity)
	}
	if f.Assignee != "" {
		add("assignee = ?", f.Assignee)
	}
	if f.Playbook != "" {
		add("playbook = ?", f.Playbook)
	}
	if f.CSIRT {
		add("csirt = ?", 1)
	}
	if f.Text != "" {
		add("title LIKE ? ESCAPE '\\'", "%"+likeEscape(f.Text)+"%")
	}
	if !f.UpdatedBefore.IsZero() {
		add("updated_at < ?", toNanos(f.UpdatedBefore))
	}
	if f.Entity != "" {
		add("id IN (SELECT case_id FROM case_entities WHERE tenant = ? AND entity = ?)", c.tenant)
		args = append(args, f.Entity)
	}
	where := strings.Join(conds, " AND ")
	var total int
	if err := c.s.db.QueryRowContext(ctx, `SELECT count(*) FROM cases WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count cases: %w", err)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	rows, err := c.s.db.QueryContext(ctx, `SELECT body FROM cases WHERE `+where+` ORDER BY updated_at DESC, id DESC LIMIT ? OFFSET ?`,
		append(args, limit, f.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list cases: %w", err)
	}
	defer rows.Close()
	out := []incident.Case{}
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, 0, err
		}
		var cs incident.Case
		if err := json.Unmarshal([]byte(body), &cs); err != nil {
			return nil, 0, err
		}
		out = append(out, cs)
	}
	return out, total, rows.Err()
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func (c cases) AddTimeline(ctx context.Context, e store.TimelineEntry) error {
	data, err := json.Marshal(e.Data)
	if err != nil {
		return err
	}
	_, err = c.s.db.ExecContext(ctx, `INSERT INTO case_timeline(tenant, case_id, at, kind, actor, text, data) VALUES (?,?,?,?,?,?,?)`,
		c.tenant, e.CaseID, toNanos(e.At), e.Kind, e.Actor, e.Text, string(data))
	if err != nil {
		return fmt.Errorf("timeline: %w", err)
	}
	return nil
}

func (c cases) Timeline(ctx context.Context, caseID string) ([]store.TimelineEntry, error) {
	rows, err := c.s.db.QueryContext(ctx, `SELECT id, at, kind, actor, text, data FROM case_timeline WHERE tenant = ? AND case_id = ? ORDER BY at, id`, c.tenant, caseID)
	if err != nil {
		return nil, fmt.Errorf("timeline: %w", err)
	}
	defer rows.Close()
	out := []store.TimelineEntry{}
	for rows.Next() {
		e := store.TimelineEntry{CaseID: caseID}
		var at int64
		var data string
		if err := rows.Scan(&e.ID, &at, &e.Kind, &e.Actor, &e.Text, &data); err != nil {
			return nil, err
		}
		e.At = fromNanos(at)
		json.Unmarshal([]byte(data), &e.Data)
		out = append(out, e)
	}
	return out, rows.Err()
}

func (c cases) AddEvidence(ctx context.Context, e store.Evidence) error {
	_, err := c.s.db.ExecContext(ctx, `INSERT INTO case_evidence(id, tenant, case_id, stage, requirement, name, content_type, sha256, size, added_by, added_at)
		VALUES (?,?,?,?,?,?,?,?,?,?,?)`, e.ID, c.tenant, e.CaseID, e.Stage, e.Requirement, e.Name, e.ContentType, e.SHA256, e.Size, e.AddedBy, toNanos(e.AddedAt))
	if err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	return nil
}

func (c cases) Evidence(ctx context.Context, caseID string) ([]store.Evidence, error) {
	rows, err := c.s.db.QueryContext(ctx, `SELECT id, stage, requirement, name, content_type, sha256, size, added_by, added_at
		FROM case_evidence WHERE tenant = ? AND case_id = ? ORDER BY added_at, id`, c.tenant, caseID)
	if err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	defer rows.Close()
	out := []store.Evidence{}
	for rows.Next() {
		e := store.Evidence{CaseID: caseID}
		var at int64
		if err := rows.Scan(&e.ID, &e.Stage, &e.Requirement, &e.Name, &e.ContentType, &e.SHA256, &e.Size, &e.AddedBy, &at); err != nil {
			return nil, err
		}
		e.AddedAt = fromNanos(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

func (c cases) AddCustody(ctx context.Context, cu store.Custody) error {
	var caseID string
	err := c.s.db.QueryRowContext(ctx, `SELECT case_id FROM case_evidence WHERE tenant = ? AND id = ?`, c.tenant, cu.EvidenceID).Scan(&caseID)
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	if err != nil {
		return err
	}
	_, err = c.s.db.ExecContext(ctx, `INSERT INTO evidence_custody(tenant, case_id, evidence_id, action, actor, remote, at) VALUES (?,?,?,?,?,?,?)`,
		c.tenant, caseID, cu.EvidenceID, cu.Action, cu.Actor, cu.Remote, toNanos(cu.At))
	return err
}

func (c cases) Custody(ctx context.Context, caseID string) ([]store.Custody, error) {
	rows, err := c.s.db.QueryContext(ctx, `SELECT evidence_id, action, actor, remote, at FROM evidence_custody
		WHERE tenant = ? AND case_id = ? ORDER BY at, id`, c.tenant, caseID)
	if err != nil {
		return nil, fmt.Errorf("custody: %w", err)
	}
	defer rows.Close()
	out := []store.Custody{}
	for rows.Next() {
		var cu store.Custody
		var at int64
		if err := rows.Scan(&cu.EvidenceID, &cu.Action, &cu.Actor, &cu.Remote, &at); err != nil {
			return nil, err
		}
		cu.At = fromNanos(at)
		out = append(out, cu)
	}
	return out, rows.Err()
}

// saveBody upserts a JSON-bodied row (tasks, actions).
func (c cases) saveBody(ctx context.Context, table, id, caseID string, extra map[string]any, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	cols, vals, sets := []string{"id", "tenant", "case_id", "body"}, []any{id, c.tenant, caseID, string(body)}, []string{"body = excluded.body"}
	for k, val := range extra {
		cols, vals, sets = append(cols, k), append(vals, val), append(sets, k+" = excluded."+k)
	}
	q := `INSERT INTO ` + table + `(` + strings.Join(cols, ", ") + `) VALUES (?` + strings.Repeat(",?", len(cols)-1) +
		`) ON CONFLICT(id) DO UPDATE SET ` + strings.Join(sets, ", ") + ` WHERE tenant = excluded.tenant`
	_, err = c.s.db.ExecContext(ctx, q, vals...)
	return err
}

func (c cases) bodies(ctx context.Context, table, caseID string, each func([]byte) error) error {
	rows, err := c.s.db.QueryContext(ctx, `SELECT body FROM `+table+` WHERE tenant = ? AND case_id = ? ORDER BY rowid`, c.tenant, caseID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var body []byte
		if err := rows.Scan(&body); err != nil {
			return err
		}
		if err := each(body); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (c cases) SaveTask(ctx context.Context, t store.Task) error {
	return c.saveBody(ctx, "case_tasks", t.ID, t.CaseID, nil, t)
}

func (c cases) Tasks(ctx context.Context, caseID string) ([]store.Task, error) {
	out := []store.Task{}
	err := c.bodies(ctx, "case_tasks", caseID, func(b []byte) error {
		var t store.Task
		err := json.Unmarshal(b, &t)
		out = append(out, t)
		return err
	})
	return out, err
}

func (c cases) SaveAction(ctx context.Context, a store.Action) error {
	return c.saveBody(ctx, "case_actions", a.ID, a.CaseID, map[string]any{"status": a.Status}, a)
}

func (c cases) Actions(ctx context.Context, caseID string) ([]store.Action, error) {
	out := []store.Action{}
	err := c.bodies(ctx, "case_actions", caseID, func(b []byte) error {
		var a store.Action
		err := json.Unmarshal(b, &a)
		out = append(out, a)
		return err
	})
	return out, err
}

func (c cases) Delete(ctx context.Context, id string) ([]string, error) {
	tx, err := c.s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT sha256 FROM case_evidence WHERE tenant = ? AND case_id = ?`, c.tenant, id)
	if err != nil {
		return nil, fmt.Errorf("delete case: %w", err)
	}
	var shas []string
	for rows.Next() {
		var sha string
		if err := rows.Scan(&sha); err != nil {
			rows.Close()
			return nil, err
		}
		shas = append(shas, sha)
	}
	rows.Close()
	for _, q := range []string{
		`DELETE FROM evidence_custody WHERE tenant = ? AND case_id = ?`,
		`DELETE FROM case_evidence WHERE tenant = ? AND case_id = ?`,
		`DELETE FROM case_actions WHERE tenant = ? AND case_id = ?`,
	} {
		if _, err := tx.ExecContext(ctx, q, c.tenant, id); err != nil {
			return nil, fmt.Errorf("delete case: %w", err)
		}
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM cases WHERE tenant = ? AND id = ?`, c.tenant, id)
	if err != nil {
		return nil, fmt.Errorf("delete case: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, store.ErrNotFound
	}
	var unreferenced []string
	for _, sha := range shas {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM case_evidence WHERE tenant = ? AND sha256 = ?`, c.tenant, sha).Scan(&n); err != nil {
			return nil, err
		}
		if n == 0 {
			unreferenced = append(unreferenced, sha)
		}
	}
	return unreferenced, tx.Commit()
}
