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
	cs, err := scanJSON[incident.Case](c.s.db.QueryRowContext(ctx, `SELECT body FROM cases WHERE tenant = ? AND id = ?`, c.tenant, id))
	if errors.Is(err, sql.ErrNoRows) {
		return incident.Case{}, store.ErrNotFound
	}
	if err != nil {
		return incident.Case{}, fmt.Errorf("get case %s: %w", id, err)
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
	w := tenantFilter(c.tenant)
	add := w.add
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
		add("id IN (SELECT case_id FROM case_entities WHERE tenant = ? AND entity = ?)", c.tenant, f.Entity)
	}
	return listPage(ctx, c.s.db, "cases", scanJSON[incident.Case], "body", "cases", w, "updated_at DESC, id DESC", f.Limit, 100, f.Offset)
}

// likeEscape makes s literal inside a LIKE pattern (with \ as the escape).
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// ofOwnCase ends an INSERT … SELECT into a table of a case's records: the
// row is written only when the case (the last two arguments: tenant, case
// id) is the tenant's. The foreign keys check only the case id, and a row
// of one tenant on another's case would block that case's deletion.
const ofOwnCase = ` WHERE EXISTS (SELECT 1 FROM cases WHERE tenant = ? AND id = ?)`

// caseRowWritten reads the result of an insert guarded by ofOwnCase.
func caseRowWritten(what string, res sql.Result, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}

func (c cases) AddTimeline(ctx context.Context, e store.TimelineEntry) error {
	data, err := json.Marshal(e.Data)
	if err != nil {
		return err
	}
	res, err := c.s.db.ExecContext(ctx, `INSERT INTO case_timeline(tenant, case_id, at, kind, actor, text, data) SELECT ?,?,?,?,?,?,?`+ofOwnCase,
		c.tenant, e.CaseID, toNanos(e.At), e.Kind, e.Actor, e.Text, string(data), c.tenant, e.CaseID)
	return caseRowWritten("timeline", res, err)
}

func (c cases) Timeline(ctx context.Context, caseID string) ([]store.TimelineEntry, error) {
	return queryAll(ctx, c.s.db, "timeline", func(r scanner) (store.TimelineEntry, error) {
		e := store.TimelineEntry{CaseID: caseID}
		var at int64
		var data string
		if err := r.Scan(&e.ID, &at, &e.Kind, &e.Actor, &e.Text, &data); err != nil {
			return e, err
		}
		e.At = fromNanos(at)
		json.Unmarshal([]byte(data), &e.Data)
		return e, nil
	}, `SELECT id, at, kind, actor, text, data FROM case_timeline WHERE tenant = ? AND case_id = ? ORDER BY at, id`, c.tenant, caseID)
}

func (c cases) AddEvidence(ctx context.Context, e store.Evidence) error {
	res, err := c.s.db.ExecContext(ctx, `INSERT INTO case_evidence(id, tenant, case_id, stage, requirement, name, content_type, sha256, size, added_by, added_at)
		SELECT ?,?,?,?,?,?,?,?,?,?,?`+ofOwnCase, e.ID, c.tenant, e.CaseID, e.Stage, e.Requirement, e.Name, e.ContentType, e.SHA256, e.Size, e.AddedBy,
		toNanos(e.AddedAt), c.tenant, e.CaseID)
	return caseRowWritten("evidence", res, err)
}

func (c cases) Evidence(ctx context.Context, caseID string) ([]store.Evidence, error) {
	return queryAll(ctx, c.s.db, "evidence", func(r scanner) (store.Evidence, error) {
		e := store.Evidence{CaseID: caseID}
		var at int64
		err := r.Scan(&e.ID, &e.Stage, &e.Requirement, &e.Name, &e.ContentType, &e.SHA256, &e.Size, &e.AddedBy, &at)
		e.AddedAt = fromNanos(at)
		return e, err
	}, `SELECT id, stage, requirement, name, content_type, sha256, size, added_by, added_at
		FROM case_evidence WHERE tenant = ? AND case_id = ? ORDER BY added_at, id`, c.tenant, caseID)
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
	return queryAll(ctx, c.s.db, "custody", func(r scanner) (store.Custody, error) {
		var cu store.Custody
		var at int64
		err := r.Scan(&cu.EvidenceID, &cu.Action, &cu.Actor, &cu.Remote, &at)
		cu.At = fromNanos(at)
		return cu, err
	}, `SELECT evidence_id, action, actor, remote, at FROM evidence_custody
		WHERE tenant = ? AND case_id = ? ORDER BY at, id`, c.tenant, caseID)
}

// saveBody upserts a JSON-bodied row (tasks, actions) of one of the
// tenant's cases; another tenant's row with the same id is left alone.
func (c cases) saveBody(ctx context.Context, table, id, caseID string, extra map[string]any, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	cols, vals, sets := []string{"id", "tenant", "case_id", "body"}, []any{id, c.tenant, caseID, string(body)}, []string{"body = excluded.body"}
	for k, val := range extra {
		cols, vals, sets = append(cols, k), append(vals, val), append(sets, k+" = excluded."+k)
	}
	q := `INSERT INTO ` + table + `(` + strings.Join(cols, ", ") + `) SELECT ?` + strings.Repeat(",?", len(cols)-1) +
		ofOwnCase + ` ON CONFLICT(id) DO UPDATE SET ` + strings.Join(sets, ", ") + ` WHERE tenant = excluded.tenant`
	res, err := c.s.db.ExecContext(ctx, q, append(vals, c.tenant, caseID)...)
	return caseRowWritten(table, res, err)
}

// bodies reads the JSON-bodied rows of one case (tasks, actions).
func bodies[T any](ctx context.Context, c cases, table, caseID string) ([]T, error) {
	return queryAll(ctx, c.s.db, table, scanJSON[T],
		`SELECT body FROM `+table+` WHERE tenant = ? AND case_id = ? ORDER BY rowid`, c.tenant, caseID)
}

func (c cases) SaveTask(ctx context.Context, t store.Task) error {
	return c.saveBody(ctx, "case_tasks", t.ID, t.CaseID, nil, t)
}

func (c cases) Tasks(ctx context.Context, caseID string) ([]store.Task, error) {
	return bodies[store.Task](ctx, c, "case_tasks", caseID)
}

func (c cases) SaveAction(ctx context.Context, a store.Action) error {
	return c.saveBody(ctx, "case_actions", a.ID, a.CaseID, map[string]any{"status": a.Status}, a)
}

func (c cases) Actions(ctx context.Context, caseID string) ([]store.Action, error) {
	return bodies[store.Action](ctx, c, "case_actions", caseID)
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
