package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/yagura-soc/yagura/internal/store"
)

// alerts is one tenant's alert table; every statement binds sc.tenant.
type alerts scoped

// dbtx is what both *sql.DB and *sql.Tx offer.
type dbtx interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

const alertColumns = `id, tenant, rule_id, rule_title, severity, risk_score, status, resolution,
	assignee, count, entities, tags, fingerprint, event_ids, first_seen, last_seen, created_at, updated_at,
	kind, rule_level, case_id, contributing, acknowledged_at, closed_at, escalations`

func (a alerts) Upsert(ctx context.Context, in []store.Alert, window time.Duration) ([]store.Alert, error) {
	var out []store.Alert
	err := a.Tx(ctx, func(tx store.AlertTx) error {
		var err error
		out, err = tx.Upsert(ctx, in, window)
		return err
	})
	return out, err
}

// Tx implements store.Alerts.
func (a alerts) Tx(ctx context.Context, fn func(tx store.AlertTx) error) error {
	tx, err := a.s.db.BeginTx(ctx, nil) // _txlock=immediate: one writer at a time
	if err != nil {
		return fmt.Errorf("alerts: begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(alertTx{a: a, tx: tx, now: a.s.now()}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("alerts: commit: %w", err)
	}
	return nil
}

// alertTx is the write side inside one transaction.
type alertTx struct {
	a   alerts
	tx  *sql.Tx
	now time.Time
}

func (t alertTx) Upsert(ctx context.Context, in []store.Alert, window time.Duration) ([]store.Alert, error) {
	out := make([]store.Alert, len(in))
	for i, al := range in {
		al.Tenant = t.a.tenant
		stored, err := t.upsertOne(ctx, al, window)
		if err != nil {
			return nil, fmt.Errorf("upsert alert %s: %w", al.RuleID, err)
		}
		out[i] = stored
	}
	return out, nil
}

func (t alertTx) upsertOne(ctx context.Context, al store.Alert, window time.Duration) (store.Alert, error) {
	row := t.tx.QueryRowContext(ctx, `SELECT `+alertColumns+` FROM alerts
		WHERE tenant = ? AND fingerprint = ? AND status != ? AND last_seen >= ?
		ORDER BY last_seen DESC LIMIT 1`,
		t.a.tenant, al.Fingerprint, store.StatusClosed, toNanos(al.FirstSeen.Add(-window)))
	open, err := scanAlert(row)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return t.insert(ctx, al)
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
	open.EventIDs = store.AppendBounded(open.EventIDs, al.EventIDs, store.MaxAlertEventIDs)
	open.Contributing = appendUnique(open.Contributing, al.Contributing, maxContributing)
	open.UpdatedAt = t.now
	ids, _ := json.Marshal(open.EventIDs)
	contributing, _ := json.Marshal(open.Contributing)
	_, err = t.tx.ExecContext(ctx, `UPDATE alerts SET count = ?, last_seen = ?, first_seen = ?, risk_score = ?,
		event_ids = ?, contributing = ?, updated_at = ? WHERE tenant = ? AND id = ?`,
		open.Count, toNanos(open.LastSeen), toNanos(open.FirstSeen), open.RiskScore, string(ids),
		string(contributing), toNanos(t.now), t.a.tenant, open.ID)
	return open, err
}

func (t alertTx) insert(ctx context.Context, al store.Alert) (store.Alert, error) {
	if al.ID == "" {
		al.ID = ulid.Make().String()
	}
	if al.Status == "" {
		al.Status = store.StatusNew
	}
	if al.Kind == "" {
		al.Kind = store.KindDetection
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
	if al.Contributing == nil {
		al.Contributing = []string{}
	}
	al.EventIDs = store.AppendBounded(nil, al.EventIDs, store.MaxAlertEventIDs)
	al.CreatedAt, al.UpdatedAt = t.now, t.now
	al.Opened = true
	entities, _ := json.Marshal(al.Entities)
	tags, _ := json.Marshal(al.Tags)
	ids, _ := json.Marshal(al.EventIDs)
	contributing, _ := json.Marshal(al.Contributing)
	doc, err := t.indexAlert(ctx, al)
	if err != nil {
		return al, err
	}
	_, err = t.tx.ExecContext(ctx, `INSERT INTO alerts(`+alertColumns+`, text_doc) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		al.ID, t.a.tenant, al.RuleID, al.RuleTitle, al.Severity, al.RiskScore, al.Status, al.Resolution,
		al.Assignee, al.Count, string(entities), string(tags), al.Fingerprint, string(ids),
		toNanos(al.FirstSeen), toNanos(al.LastSeen), toNanos(t.now), toNanos(t.now),
		al.Kind, al.RuleLevel, al.CaseID, string(contributing), nullableNanos(al.AcknowledgedAt),
		nullableNanos(al.ClosedAt), al.Escalations, doc)
	return al, err
}

// indexAlert writes what the entity and text filters read (migration
// 0202): one alert_entities row per entity and the alert's alert_text
// document, whose rowid it returns. Title, rule id and entities never
// change after the insert, so nothing else writes them.
func (t alertTx) indexAlert(ctx context.Context, al store.Alert) (int64, error) {
	fields := slices.Sorted(maps.Keys(al.Entities))
	body := []string{al.RuleTitle, al.RuleID}
	for _, f := range fields {
		if _, err := t.tx.ExecContext(ctx, `INSERT INTO alert_entities(alert_id, field, tenant, value) VALUES (?,?,?,?)`,
			al.ID, f, t.a.tenant, al.Entities[f]); err != nil {
			return 0, fmt.Errorf("index entities: %w", err)
		}
		body = append(body, al.Entities[f])
	}
	res, err := t.tx.ExecContext(ctx, `INSERT INTO alert_text(tenant, alert_id, body) VALUES (?,?,?)`,
		t.a.tenant, al.ID, strings.Join(body, "\n"))
	if err != nil {
		return 0, fmt.Errorf("index text: %w", err)
	}
	return res.LastInsertId()
}

func (t alertTx) Get(ctx context.Context, id string) (store.Alert, error) {
	return getAlert(ctx, t.tx, t.a.tenant, id)
}

func (t alertTx) Update(ctx context.Context, id string, change store.AlertChange) (store.Alert, store.Alert, error) {
	before, err := getAlert(ctx, t.tx, t.a.tenant, id)
	if err != nil {
		return before, before, err
	}
	after := before
	if err := change.Apply(&after, t.now); err != nil {
		return before, before, err
	}
	_, err = t.tx.ExecContext(ctx, `UPDATE alerts SET status = ?, resolution = ?, assignee = ?, case_id = ?,
		acknowledged_at = ?, closed_at = ?, updated_at = ? WHERE tenant = ? AND id = ?`,
		after.Status, after.Resolution, after.Assignee, after.CaseID, nullableNanos(after.AcknowledgedAt),
		nullableNanos(after.ClosedAt), toNanos(after.UpdatedAt), t.a.tenant, id)
	if err != nil {
		return before, before, fmt.Errorf("update alert %s: %w", id, err)
	}
	return before, after, nil
}

func (t alertTx) Escalated(ctx context.Context, id string, n int) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE alerts SET escalations = ? WHERE tenant = ? AND id = ?`, n, t.a.tenant, id)
	return err
}

func (t alertTx) AddComment(ctx context.Context, c store.Comment) (store.Comment, error) {
	if _, err := getAlert(ctx, t.tx, t.a.tenant, c.AlertID); err != nil {
		return c, err
	}
	c.ID = ulid.Make().String()
	c.CreatedAt = t.now
	_, err := t.tx.ExecContext(ctx, `INSERT INTO alert_comments(id, tenant, alert_id, author, body, created_at)
		VALUES (?,?,?,?,?,?)`, c.ID, t.a.tenant, c.AlertID, c.Author, c.Body, toNanos(c.CreatedAt))
	if err != nil {
		return c, fmt.Errorf("add comment: %w", err)
	}
	return c, nil
}

func (t alertTx) Audit(ctx context.Context, rec store.AuditRecord) (store.AuditRecord, error) {
	if rec.Time.IsZero() {
		rec.Time = t.now
	}
	return audit(t.a).appendTx(ctx, t.tx, rec)
}

func (t alertTx) Enqueue(ctx context.Context, ev store.OutboxEvent) error {
	return enqueue(ctx, t.tx, t.a.tenant, ev, t.now)
}

// maxContributing bounds the alerts a risk alert lists.
const maxContributing = 1000

func appendUnique(ids, add []string, max int) []string {
	if ids == nil {
		ids = []string{}
	}
next:
	for _, id := range add {
		if len(ids) >= max {
			break
		}
		for _, have := range ids {
			if have == id {
				continue next
			}
		}
		ids = append(ids, id)
	}
	return ids
}

func (a alerts) Get(ctx context.Context, id string) (store.Alert, error) {
	return getAlert(ctx, a.s.db, a.tenant, id)
}

func getAlert(ctx context.Context, db dbtx, tenant, id string) (store.Alert, error) {
	al, err := scanAlert(db.QueryRowContext(ctx, `SELECT `+alertColumns+` FROM alerts WHERE tenant = ? AND id = ?`, tenant, id))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Alert{}, store.ErrNotFound
	}
	if err != nil {
		return store.Alert{}, fmt.Errorf("get alert: %w", err)
	}
	return al, nil
}

// alertOrder maps AlertFilter.Sort to SQL.
var alertOrder = map[string]string{
	"last_seen": "last_seen ASC, id ASC", "-last_seen": "last_seen DESC, id DESC",
	"first_seen": "first_seen ASC, id ASC", "-first_seen": "first_seen DESC, id DESC",
	"risk_score": "risk_score ASC, id ASC", "-risk_score": "risk_score DESC, id DESC",
	"count": "count ASC, id ASC", "-count": "count DESC, id DESC",
	"created_at": "created_at ASC, id ASC", "-created_at": "created_at DESC, id DESC",
}

// search is an entity or text filter. The alerts it selects can be read
// two ways: from the index (candidates, a SELECT of alert ids) or by
// testing each alert (test, a condition on the row of alerts).
type search struct {
	candidates string
	candArgs   []any
	test       string
	testArgs   []any
}

// searches turns the entity and text filters into searches.
func (a alerts) searches(f store.AlertFilter) []search {
	var out []search
	switch {
	case f.EntityField != "" && f.EntityValue != "":
		out = append(out, search{
			`SELECT alert_id FROM alert_entities WHERE tenant = ? AND value = ? AND field = ?`,
			[]any{a.tenant, f.EntityValue, f.EntityField},
			`EXISTS (SELECT 1 FROM alert_entities AS e WHERE e.alert_id = alerts.id AND e.field = ? AND e.value = ?)`,
			[]any{f.EntityField, f.EntityValue}})
	case f.EntityValue != "":
		out = append(out, search{
			`SELECT DISTINCT alert_id FROM alert_entities WHERE tenant = ? AND value = ?`,
			[]any{a.tenant, f.EntityValue},
			`EXISTS (SELECT 1 FROM alert_entities AS e WHERE e.alert_id = alerts.id AND e.value = ?)`,
			[]any{f.EntityValue}})
	}
	if f.Text != "" {
		// LIKE lets the trigram index find candidates (the text's % and _
		// only widen them); instr keeps the ones that hold the text itself.
		// Both fold ASCII case only, as LIKE always has.
		out = append(out, search{
			`SELECT alert_id FROM alert_text WHERE body LIKE ? AND tenant = ? AND instr(lower(body), lower(?)) > 0`,
			[]any{"%" + f.Text + "%", a.tenant, f.Text},
			`EXISTS (SELECT 1 FROM alert_text AS t WHERE t.rowid = alerts.text_doc AND instr(lower(t.body), lower(?)) > 0)`,
			[]any{f.Text}})
	}
	return out
}

func (a alerts) List(ctx context.Context, f store.AlertFilter) ([]store.Alert, int, error) {
	w := tenantFilter(a.tenant)
	add := w.add
	if f.Status != "" {
		add("status = ?", f.Status)
	}
	if f.Severity != "" {
		add("severity = ?", f.Severity)
	}
	if f.RuleID != "" {
		add("rule_id = ?", f.RuleID)
	}
	if f.Assignee != "" {
		add("assignee = ?", f.Assignee)
	}
	if f.Kind != "" {
		add("kind = ?", f.Kind)
	}
	if !f.From.IsZero() {
		add("last_seen >= ?", toNanos(f.From))
	}
	if !f.To.IsZero() {
		add("last_seen < ?", toNanos(f.To))
	}
	if !f.CreatedBefore.IsZero() {
		add("created_at < ?", toNanos(f.CreatedBefore))
	}
	if f.EscalationsBelow > 0 {
		add("escalations < ?", f.EscalationsBelow)
	}
	order, ok := alertOrder[f.Sort]
	if !ok {
		if f.Sort != "" {
			return nil, 0, fmt.Errorf("sort %q: use one of %v", f.Sort, store.AlertSorts)
		}
		order = alertOrder["-last_seen"]
	}
	// With a search that names few alerts, read those by id and sort them;
	// otherwise walk the alerts in page order and test each: the matches
	// are then dense enough for a page to fill quickly.
	from := "alerts"
	searches := a.searches(f)
	// fewestDense is the smallest candidate count of the searches too broad
	// to drive: at least that many alerts match each.
	driver, fewest, fewestDense := -1, 0, 0
	for i, sr := range searches {
		var n int
		if err := a.s.db.QueryRowContext(ctx, `SELECT count(*) FROM (`+sr.candidates+` LIMIT ?)`,
			append(sr.candArgs, a.s.searchLimit+1)...).Scan(&n); err != nil {
			return nil, 0, fmt.Errorf("list alerts: count candidates: %w", err)
		}
		switch {
		case n <= a.s.searchLimit && (driver < 0 || n < fewest):
			driver, fewest = i, n
		case n > a.s.searchLimit && (fewestDense == 0 || n < fewestDense):
			fewestDense = n
		}
	}
	// Only the tenant and one search: its capped candidate count already
	// is the capped total.
	onlySearch := len(searches) == 1 && len(w.conds) == 1
	var fromArgs []any
	for i, sr := range searches {
		if i == driver {
			// CROSS JOIN keeps SQLite from walking alerts instead.
			from = `(` + sr.candidates + `) AS candidate CROSS JOIN alerts ON alerts.id = candidate.alert_id`
			fromArgs = sr.candArgs
			continue
		}
		add(sr.test, sr.testArgs...)
	}
	where := strings.Join(w.conds, " AND ")
	args := append(append([]any{}, fromArgs...), w.args...)
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	page := ` FROM ` + from + ` WHERE ` + where + ` ORDER BY ` + order + ` LIMIT ? OFFSET ?`
	pageArgs := append(append([]any{}, args...), limit, f.Offset)
	if driver >= 0 {
		// At most searchLimit rows match: one statement reads them once,
		// counting them as it sorts.
		var total int
		out, err := queryAll(ctx, a.s.db, "list alerts", func(r scanner) (store.Alert, error) {
			return scanAlert(totalFirst{r, &total})
		}, `SELECT count(*) OVER (), `+qualifiedAlertColumns+page, pageArgs...)
		if f.CountUpTo > 0 {
			total = min(total, f.CountUpTo+1)
		}
		if err != nil || len(out) > 0 || f.Offset == 0 {
			return out, total, err
		}
		// A page past the end: count on its own.
	}
	var total int
	switch {
	case driver < 0 && onlySearch && f.CountUpTo > 0 && f.CountUpTo < fewestDense:
		total = f.CountUpTo + 1
	default:
		count := `SELECT count(*) FROM ` + from + ` WHERE ` + where
		countArgs := args
		if f.CountUpTo > 0 {
			count = `SELECT count(*) FROM (SELECT 1 FROM ` + from + ` WHERE ` + where + ` LIMIT ?)`
			countArgs = append(append([]any{}, args...), f.CountUpTo+1)
		}
		if err := a.s.db.QueryRowContext(ctx, count, countArgs...).Scan(&total); err != nil {
			return nil, 0, fmt.Errorf("count alerts: %w", err)
		}
	}
	if driver >= 0 {
		return []store.Alert{}, total, nil
	}
	out, err := queryAll(ctx, a.s.db, "list alerts", scanAlert, `SELECT `+qualifiedAlertColumns+page, pageArgs...)
	return out, total, err
}

// totalFirst scans a row that starts with the count of all rows (a window
// count) into total, and the rest as the wrapped scan expects.
type totalFirst struct {
	r     scanner
	total *int
}

func (t totalFirst) Scan(dest ...any) error { return t.r.Scan(append([]any{t.total}, dest...)...) }

// qualifiedAlertColumns are alertColumns named through the alerts table,
// so they stay unambiguous beside a joined candidate list.
var qualifiedAlertColumns = func() string {
	cols := strings.Split(alertColumns, ",")
	for i, c := range cols {
		cols[i] = "alerts." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}()

func (a alerts) Comments(ctx context.Context, alertID string) ([]store.Comment, error) {
	if _, err := a.Get(ctx, alertID); err != nil {
		return nil, err
	}
	return queryAll(ctx, a.s.db, "list comments", func(r scanner) (store.Comment, error) {
		var c store.Comment
		var at int64
		err := r.Scan(&c.ID, &c.AlertID, &c.Author, &c.Body, &at)
		c.CreatedAt = fromNanos(at)
		return c, err
	}, `SELECT id, alert_id, author, body, created_at FROM alert_comments
		WHERE tenant = ? AND alert_id = ? ORDER BY created_at, id`, a.tenant, alertID)
}

func scanAlert(r scanner) (store.Alert, error) {
	var al store.Alert
	var entities, tags, ids, contributing string
	var first, last, created, updated int64
	var acked, closed sql.NullInt64
	err := r.Scan(&al.ID, &al.Tenant, &al.RuleID, &al.RuleTitle, &al.Severity, &al.RiskScore, &al.Status,
		&al.Resolution, &al.Assignee, &al.Count, &entities, &tags, &al.Fingerprint, &ids,
		&first, &last, &created, &updated,
		&al.Kind, &al.RuleLevel, &al.CaseID, &contributing, &acked, &closed, &al.Escalations)
	if err != nil {
		return store.Alert{}, err
	}
	for _, f := range []struct {
		what string
		raw  string
		into any
	}{{"entities", entities, &al.Entities}, {"tags", tags, &al.Tags}, {"event ids", ids, &al.EventIDs},
		{"contributing alerts", contributing, &al.Contributing}} {
		if err := json.Unmarshal([]byte(f.raw), f.into); err != nil {
			return store.Alert{}, fmt.Errorf("alert %s %s: %w", al.ID, f.what, err)
		}
	}
	al.FirstSeen, al.LastSeen, al.CreatedAt, al.UpdatedAt = fromNanos(first), fromNanos(last), fromNanos(created), fromNanos(updated)
	al.AcknowledgedAt, al.ClosedAt = timePtr(acked), timePtr(closed)
	return al, nil
}

func (a alerts) DeleteClosedBefore(ctx context.Context, t time.Time) (int64, error) {
	tx, err := a.s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("delete closed alerts: %w", err)
	}
	defer tx.Rollback()
	// The search rows go with their alerts, in the same transaction.
	const doomed = `tenant = ? AND status = ? AND last_seen < ?`
	args := []any{a.tenant, store.StatusClosed, toNanos(t)}
	for _, q := range []string{
		`DELETE FROM alert_text WHERE rowid IN (SELECT text_doc FROM alerts WHERE ` + doomed + `)`,
		`DELETE FROM alert_entities WHERE alert_id IN (SELECT id FROM alerts WHERE ` + doomed + `)`,
	} {
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return 0, fmt.Errorf("delete closed alerts: %w", err)
		}
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM alerts WHERE `+doomed, args...)
	if err != nil {
		return 0, fmt.Errorf("delete closed alerts: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	return n, tx.Commit()
}
