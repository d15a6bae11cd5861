package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/yagura-soc/yagura/internal/intel"
	"github.com/yagura-soc/yagura/internal/store"
)

// iocs is one tenant's indicator table; every statement binds sc.tenant.
type iocs scoped

const iocColumns = `id, type, value, confidence, tlp, tags, description, sources, first_seen, last_seen,
	expires, to_block, hits, last_hit, revoked, seq, created_at, updated_at`

// nextSeq reserves n change numbers inside tx and returns the first.
func (c iocs) nextSeq(ctx context.Context, tx *sql.Tx, n int) (int64, error) {
	var head int64
	err := tx.QueryRowContext(ctx, `SELECT seq FROM ioc_heads WHERE tenant = ?`, c.tenant).Scan(&head)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("read change head: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO ioc_heads(tenant, seq) VALUES (?, ?)
		ON CONFLICT(tenant) DO UPDATE SET seq = excluded.seq`, c.tenant, head+int64(n)); err != nil {
		if isForeignKeyViolation(err) {
			return 0, store.ErrNotFound
		}
		return 0, fmt.Errorf("move change head: %w", err)
	}
	return head + 1, nil
}

// Bulk upserts write many rows per statement: large enough that the
// per-statement cost (driver call, statement reset, cursor opens) fades,
// far below SQLite's 32,766 parameters.
const (
	insertRows   = 200 // rows per INSERT
	lookupValues = 500 // values per SELECT ... IN (...)
)

// insertParams are the columns bound per inserted row; a new row has no
// hits and is not revoked. (Parameters are anonymous: the driver looks a
// numbered one up by name, in time linear in the parameter count.)
const insertParams = 15

// insertSQL is an INSERT of rows rows. OR FAIL spares SQLite the
// statement journal a multi-row statement otherwise keeps to undo itself
// on a constraint violation: the whole transaction is rolled back then.
func insertSQL(rows int) string {
	const row = "(?,?,?,?,?,?,?,?,?,?,?,?,?,0,NULL,0,?,?,?)"
	return `INSERT OR FAIL INTO iocs(tenant, ` + iocColumns + `) VALUES ` + row + strings.Repeat(","+row, rows-1)
}

// Upsert merges a batch in one transaction, in bulk: duplicates within
// the batch are merged first; the stored rows of the batch's indicators
// are read a few hundred values per query; new indicators are written
// with multi-row INSERTs; only stored indicators whose merge changed
// something are updated one by one. Everything is visited in the order
// of the unique index (type, value), and new rows get their id and change
// number in that order too, so a large batch walks each index once
// instead of hopping around it.
func (c iocs) Upsert(ctx context.Context, in []intel.IOC) (store.IOCUpsert, error) {
	var res store.IOCUpsert
	if len(in) == 0 {
		return res, nil
	}
	conn, err := c.s.db.Conn(ctx)
	if err != nil {
		return res, fmt.Errorf("upsert indicators: %w", err)
	}
	defer conn.Close()
	// Checked per statement, the tenant's foreign key would make SQLite
	// keep a statement journal for every multi-row INSERT (a copy of each
	// page before it changes; a third of a bulk load's time). The tenant
	// is checked once instead, under the transaction's write lock. The
	// pragma cannot change inside a transaction, hence the connection of
	// our own; it goes back to the pool only with the check on again.
	if _, err := conn.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
		return res, fmt.Errorf("upsert indicators: %w", err)
	}
	defer func() {
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA foreign_keys = ON`); err != nil {
			conn.Raw(func(any) error { return driver.ErrBadConn }) // discards the connection
		}
	}()
	tx, err := conn.BeginTx(ctx, nil) // _txlock=immediate: change numbers are ours until commit
	if err != nil {
		return res, fmt.Errorf("upsert indicators: %w", err)
	}
	defer tx.Rollback()
	var tenant int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM tenants WHERE name = ?`, c.tenant).Scan(&tenant); err != nil {
		return res, fmt.Errorf("upsert indicators: %w", err)
	}
	if tenant == 0 {
		return res, store.ErrNotFound
	}
	// The unique index takes inserts all over the place; with SQLite's
	// default 2 MB page cache a million-row load re-reads index pages over
	// and over. 64 MB keeps it in memory (per connection, freed with it).
	if _, err := tx.ExecContext(ctx, `PRAGMA cache_size = -65536`); err != nil {
		return res, fmt.Errorf("upsert indicators: %w", err)
	}
	b := newBatch(in)
	if err := c.readStored(ctx, tx, b); err != nil {
		return res, fmt.Errorf("upsert indicators: %w", err)
	}
	var head int64
	if err := tx.QueryRowContext(ctx, `SELECT seq FROM ioc_heads WHERE tenant = ?`, c.tenant).Scan(&head); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return res, fmt.Errorf("upsert indicators: read change head: %w", err)
	}
	now := c.s.now()
	ins := inserter{tx: tx, tenant: c.tenant, created: toNanos(now)}
	defer ins.close()
	res.Changed = make([]intel.IOC, 0, len(b.sorted))
	for _, n := range b.sorted {
		if b.stored[n] != nil {
			continue
		}
		i := b.get(n)
		i.ID = ulid.Make().String()
		i.Hits, i.LastHit, i.Revoked = 0, nil, false
		i.CreatedAt, i.UpdatedAt = now, now
		head++
		i.Seq = head
		if err := ins.add(ctx, &i); err != nil {
			return store.IOCUpsert{}, fmt.Errorf("upsert indicators: %w", err)
		}
		res.Changed = append(res.Changed, i)
	}
	if err := ins.flush(ctx); err != nil {
		return store.IOCUpsert{}, fmt.Errorf("upsert indicators: %w", err)
	}
	res.Created = len(res.Changed)
	var update *sql.Stmt
	for _, n := range b.sorted {
		old := b.stored[n]
		if old == nil {
			continue
		}
		m := intel.Merge(*old, b.get(n))
		if !intel.Changed(*old, m) {
			continue
		}
		if update == nil {
			if update, err = tx.PrepareContext(ctx, `UPDATE iocs SET confidence = ?, tlp = ?, tags = ?, description = ?,
				sources = ?, first_seen = ?, last_seen = ?, expires = ?, to_block = ?, revoked = ?, lapsed = 0, seq = ?,
				updated_at = ? WHERE tenant = ? AND id = ?`); err != nil {
				return store.IOCUpsert{}, fmt.Errorf("upsert indicators: %w", err)
			}
			defer update.Close()
		}
		head++
		m.Seq, m.UpdatedAt = head, now
		if _, err := update.ExecContext(ctx, m.Confidence, m.TLP, string(appendTags(nil, m.Tags)), m.Description,
			string(appendSources(nil, m.Sources, nil)), toNanos(m.FirstSeen), toNanos(m.LastSeen), nullableNanos(m.Expires),
			m.ToBlock, m.Revoked, m.Seq, toNanos(m.UpdatedAt), c.tenant, m.ID); err != nil {
			return store.IOCUpsert{}, fmt.Errorf("upsert indicator %s %s: %w", m.Type, m.Value, err)
		}
		res.Updated++
		res.Changed = append(res.Changed, m)
	}
	if len(res.Changed) == 0 {
		return res, tx.Commit()
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO ioc_heads(tenant, seq) VALUES (?, ?)
		ON CONFLICT(tenant) DO UPDATE SET seq = excluded.seq`, c.tenant, head); err != nil {
		return store.IOCUpsert{}, fmt.Errorf("upsert indicators: move change head: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return store.IOCUpsert{}, fmt.Errorf("upsert indicators: commit: %w", err)
	}
	return res, nil
}

// batch is an upsert's input seen through positions, so a bulk load is
// never copied: duplicates merged, the unique indicators in index order
// (type, value), and the stored row of each that exists.
type batch struct {
	in     []intel.IOC
	merged map[int32]intel.IOC // only for indicators reported twice
	sorted []int32             // first report of each indicator, by (type, value)
	stored []*intel.IOC        // by position: the stored row, nil if new
}

func newBatch(in []intel.IOC) *batch {
	b := &batch{in: in, stored: make([]*intel.IOC, len(in))}
	all := make([]int32, len(in))
	for n := range all {
		all[n] = int32(n)
	}
	// The position as tie-break puts each indicator's reports together,
	// first report first, so they merge in input order.
	slices.SortFunc(all, func(x, y int32) int {
		a, c := &in[x], &in[y]
		if r := strings.Compare(string(a.Type), string(c.Type)); r != 0 {
			return r
		}
		if r := strings.Compare(a.Value, c.Value); r != 0 {
			return r
		}
		return int(x - y)
	})
	b.sorted = all[:0] // the unique prefix reuses all's memory
	for _, n := range all {
		if k := len(b.sorted); k > 0 {
			at := b.sorted[k-1]
			if in[at].Type == in[n].Type && in[at].Value == in[n].Value {
				if b.merged == nil {
					b.merged = map[int32]intel.IOC{}
				}
				b.merged[at] = intel.Merge(b.get(at), in[n])
				continue
			}
		}
		b.sorted = append(b.sorted, n)
	}
	return b
}

func (b *batch) get(n int32) intel.IOC {
	if m, ok := b.merged[n]; ok {
		return m
	}
	return b.in[n]
}

// readStored finds the stored rows of a batch's indicators, a few hundred
// values per query, per type. A type the tenant holds nothing of (every
// type, on a first load) costs one query.
func (c iocs) readStored(ctx context.Context, tx *sql.Tx, b *batch) error {
	for start := 0; start < len(b.sorted); {
		t := b.in[b.sorted[start]].Type
		end := start
		for end < len(b.sorted) && b.in[b.sorted[end]].Type == t {
			end++
		}
		group := b.sorted[start:end]
		start = end
		var held bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM iocs WHERE tenant = ? AND type = ?)`,
			c.tenant, t).Scan(&held); err != nil {
			return fmt.Errorf("read stored indicators: %w", err)
		}
		if !held {
			continue
		}
		for len(group) > 0 {
			part := group[:min(lookupValues, len(group))]
			group = group[len(part):]
			args := make([]any, 0, 2+len(part))
			args = append(args, c.tenant, t)
			at := make(map[string]int32, len(part))
			for _, n := range part {
				args = append(args, b.in[n].Value)
				at[b.in[n].Value] = n
			}
			found, err := queryAll(ctx, tx, "read stored indicators", scanIOC, `SELECT `+iocColumns+
				` FROM iocs WHERE tenant = ? AND type = ? AND value IN (?`+strings.Repeat(",?", len(part)-1)+`)`, args...)
			if err != nil {
				return err
			}
			for k := range found {
				b.stored[at[found[k].Value]] = &found[k]
			}
		}
	}
	return nil
}

// inserter writes new rows insertRows per statement.
type inserter struct {
	tx      *sql.Tx
	tenant  string
	created int64 // created_at and updated_at of every row
	full    *sql.Stmt
	args    []any
	rows    int
	json    []byte     // the tags and sources of the rows being gathered
	times   timeFormat // one feed's rows mostly share their dates
}

func (w *inserter) add(ctx context.Context, i *intel.IOC) error {
	if w.rows == 0 && w.args == nil {
		w.args = make([]any, 0, insertRows*insertParams)
	}
	start := len(w.json)
	w.json = appendTags(w.json, i.Tags)
	mid := len(w.json)
	w.json = appendSources(w.json, i.Sources, &w.times)
	w.args = append(w.args, w.tenant, i.ID, string(i.Type), i.Value, i.Confidence, i.TLP, string(w.json[start:mid]),
		i.Description, string(w.json[mid:]), toNanos(i.FirstSeen), toNanos(i.LastSeen), nullableNanos(i.Expires),
		i.ToBlock, i.Seq, w.created, w.created)
	if w.rows++; w.rows == insertRows {
		return w.flush(ctx)
	}
	return nil
}

func (w *inserter) flush(ctx context.Context) error {
	if w.rows == 0 {
		return nil
	}
	var err error
	if w.rows == insertRows {
		if w.full == nil {
			if w.full, err = w.tx.PrepareContext(ctx, insertSQL(insertRows)); err != nil {
				return err
			}
		}
		_, err = w.full.ExecContext(ctx, w.args...)
	} else {
		_, err = w.tx.ExecContext(ctx, insertSQL(w.rows), w.args...)
	}
	w.args, w.json, w.rows = w.args[:0], w.json[:0], 0
	return err
}

func (w *inserter) close() {
	if w.full != nil {
		w.full.Close()
	}
}

// appendTags appends tags as a JSON array, as json.Marshal would.
func appendTags(b []byte, tags []string) []byte {
	b = append(b, '[')
	for k, t := range tags {
		if k > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, t)
	}
	return append(b, ']')
}

// appendSources appends sources as a JSON array, as json.Marshal would:
// the reflection-driven encoder cost more than the row's insert. times
// may be nil.
func appendSources(b []byte, sources []intel.Source, times *timeFormat) []byte {
	b = append(b, '[')
	for k := range sources {
		s := &sources[k]
		if k > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"name":`...)
		b = appendJSONString(b, s.Name)
		b = append(b, `,"confidence":`...)
		b = strconv.AppendInt(b, int64(s.Confidence), 10)
		if s.Ref != "" {
			b = append(b, `,"ref":`...)
			b = appendJSONString(b, s.Ref)
		}
		b = append(b, `,"first_seen":`...)
		b = times.append(b, s.FirstSeen)
		b = append(b, `,"last_seen":`...)
		b = times.append(b, s.LastSeen)
		b = append(b, '}')
	}
	return append(b, ']')
}

// appendJSONString writes plain strings directly and leaves anything that
// needs escaping to encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// timeFormat writes times in time.Time's JSON form (RFC 3339), keeping
// the last one written: formatting a time costs more than the rest of a
// source.
type timeFormat struct {
	last time.Time
	text []byte
}

func (f *timeFormat) append(b []byte, t time.Time) []byte {
	if f == nil {
		return t.AppendFormat(b, `"`+time.RFC3339Nano+`"`)
	}
	if f.text == nil || !t.Equal(f.last) || t.Location() != f.last.Location() {
		f.last, f.text = t, t.AppendFormat(f.text[:0], `"`+time.RFC3339Nano+`"`)
	}
	return append(b, f.text...)
}

func (c iocs) Get(ctx context.Context, id string) (intel.IOC, error) {
	return c.one(ctx, `SELECT `+iocColumns+` FROM iocs WHERE tenant = ? AND id = ?`, c.tenant, id)
}

func (c iocs) Find(ctx context.Context, t intel.Type, value string) (intel.IOC, error) {
	return c.one(ctx, `SELECT `+iocColumns+` FROM iocs WHERE tenant = ? AND type = ? AND value = ?`, c.tenant, t, value)
}

func (c iocs) one(ctx context.Context, query string, args ...any) (intel.IOC, error) {
	i, err := scanIOC(c.s.db.QueryRowContext(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return intel.IOC{}, store.ErrNotFound
	}
	if err != nil {
		return intel.IOC{}, fmt.Errorf("get indicator: %w", err)
	}
	return i, nil
}

func (c iocs) List(ctx context.Context, f store.IOCFilter) ([]intel.IOC, int, error) {
	w := tenantFilter(c.tenant)
	add := w.add
	if f.Type != "" {
		add("type = ?", f.Type)
	}
	if f.Value != "" {
		add("value = ?", f.Value)
	}
	if f.Search != "" {
		add(`instr(lower(value), ?) > 0`, strings.ToLower(f.Search))
	}
	if f.Source != "" {
		add(`EXISTS (SELECT 1 FROM json_each(sources) WHERE json_extract(value, '$.name') = ?)`, f.Source)
	}
	if f.ToBlock != nil {
		add("to_block = ?", *f.ToBlock)
	}
	if !f.Revoked {
		add("revoked = 0")
	}
	return listPage(ctx, c.s.db, "indicators", scanIOC, iocColumns, "iocs", w, "seq DESC", f.Limit, 100, f.Offset)
}

func (c iocs) query(ctx context.Context, q string, args ...any) ([]intel.IOC, error) {
	return queryAll(ctx, c.s.db, "list indicators", scanIOC, q, args...)
}

func (c iocs) Update(ctx context.Context, in intel.IOC) (intel.IOC, error) {
	return c.change(ctx, in.ID, func(i *intel.IOC) {
		i.Confidence, i.TLP, i.Tags, i.Description, i.Expires, i.ToBlock = in.Confidence, in.TLP, in.Tags, in.Description, in.Expires, in.ToBlock
	})
}

func (c iocs) Revoke(ctx context.Context, id string) (intel.IOC, error) {
	return c.change(ctx, id, func(i *intel.IOC) { i.Revoked = true })
}

// change applies edit to one indicator and gives it the next change number.
func (c iocs) change(ctx context.Context, id string, edit func(*intel.IOC)) (intel.IOC, error) {
	tx, err := c.s.db.BeginTx(ctx, nil)
	if err != nil {
		return intel.IOC{}, fmt.Errorf("update indicator: %w", err)
	}
	defer tx.Rollback()
	i, err := scanIOC(tx.QueryRowContext(ctx, `SELECT `+iocColumns+` FROM iocs WHERE tenant = ? AND id = ?`, c.tenant, id))
	if errors.Is(err, sql.ErrNoRows) {
		return intel.IOC{}, store.ErrNotFound
	}
	if err != nil {
		return intel.IOC{}, fmt.Errorf("update indicator: %w", err)
	}
	edit(&i)
	if i.Seq, err = c.nextSeq(ctx, tx, 1); err != nil {
		return intel.IOC{}, fmt.Errorf("update indicator: %w", err)
	}
	i.UpdatedAt = c.s.now()
	if _, err := tx.ExecContext(ctx, `UPDATE iocs SET confidence = ?, tlp = ?, tags = ?, description = ?, expires = ?,
		to_block = ?, revoked = ?, lapsed = 0, seq = ?, updated_at = ? WHERE tenant = ? AND id = ?`,
		i.Confidence, i.TLP, string(appendTags(nil, i.Tags)), i.Description, nullableNanos(i.Expires), i.ToBlock, i.Revoked, i.Seq,
		toNanos(i.UpdatedAt), c.tenant, id); err != nil {
		return intel.IOC{}, fmt.Errorf("update indicator: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return intel.IOC{}, fmt.Errorf("update indicator: commit: %w", err)
	}
	return i, nil
}

func (c iocs) Changes(ctx context.Context, since int64, limit int) ([]intel.IOC, error) {
	if limit <= 0 {
		limit = 1000
	}
	return c.query(ctx, `SELECT `+iocColumns+` FROM iocs WHERE tenant = ? AND seq > ? ORDER BY seq LIMIT ?`, c.tenant, since, limit)
}

func (c iocs) Head(ctx context.Context) (int64, error) {
	var head int64
	err := c.s.db.QueryRowContext(ctx, `SELECT seq FROM ioc_heads WHERE tenant = ?`, c.tenant).Scan(&head)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return head, err
}

func (c iocs) Each(ctx context.Context, fn func(intel.IOC) error) error {
	rows, err := c.s.db.QueryContext(ctx, `SELECT `+iocColumns+` FROM iocs WHERE tenant = ? AND revoked = 0`, c.tenant)
	if err != nil {
		return fmt.Errorf("read indicators: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		i, err := scanIOC(rows)
		if err != nil {
			return err
		}
		if err := fn(i); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (c iocs) Lapse(ctx context.Context, now time.Time) (int, error) {
	tx, err := c.s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("lapse indicators: %w", err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT id FROM iocs WHERE tenant = ? AND lapsed = 0 AND expires IS NOT NULL
		AND expires <= ? AND revoked = 0 ORDER BY expires, id`, c.tenant, toNanos(now))
	if err != nil {
		return 0, fmt.Errorf("lapse indicators: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if len(ids) == 0 {
		return 0, nil
	}
	seq, err := c.nextSeq(ctx, tx, len(ids))
	if err != nil {
		return 0, fmt.Errorf("lapse indicators: %w", err)
	}
	for n, id := range ids {
		if _, err := tx.ExecContext(ctx, `UPDATE iocs SET lapsed = 1, seq = ?, updated_at = ? WHERE tenant = ? AND id = ?`,
			seq+int64(n), toNanos(now), c.tenant, id); err != nil {
			return 0, fmt.Errorf("lapse indicators: %w", err)
		}
	}
	return len(ids), tx.Commit()
}

func (c iocs) RecordHits(ctx context.Context, hits map[string]int64, at time.Time) error {
	if len(hits) == 0 {
		return nil
	}
	tx, err := c.s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record indicator hits: %w", err)
	}
	defer tx.Rollback()
	for id, n := range hits {
		if _, err := tx.ExecContext(ctx, `UPDATE iocs SET hits = hits + ?, last_hit = max(coalesce(last_hit, 0), ?)
			WHERE tenant = ? AND id = ?`, n, toNanos(at), c.tenant, id); err != nil {
			return fmt.Errorf("record indicator hits: %w", err)
		}
	}
	return tx.Commit()
}

func (c iocs) ConsumerMinConfidence(ctx context.Context, tokenID string) (int, bool, error) {
	var min int
	err := c.s.db.QueryRowContext(ctx, `SELECT min_confidence FROM intel_consumers WHERE tenant = ? AND token_id = ?`,
		c.tenant, tokenID).Scan(&min)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("read consumer threshold: %w", err)
	}
	return min, true, nil
}

func (c iocs) SetConsumerMinConfidence(ctx context.Context, tokenID string, min int) error {
	_, err := c.s.db.ExecContext(ctx, `INSERT INTO intel_consumers(tenant, token_id, min_confidence) VALUES (?, ?, ?)
		ON CONFLICT(tenant, token_id) DO UPDATE SET min_confidence = excluded.min_confidence`, c.tenant, tokenID, min)
	if isForeignKeyViolation(err) {
		return store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("set consumer threshold: %w", err)
	}
	return nil
}

func scanIOC(r scanner) (intel.IOC, error) {
	var i intel.IOC
	var tags, sources string
	var first, last, created, updated int64
	var expires, lastHit sql.NullInt64
	err := r.Scan(&i.ID, &i.Type, &i.Value, &i.Confidence, &i.TLP, &tags, &i.Description, &sources, &first, &last,
		&expires, &i.ToBlock, &i.Hits, &lastHit, &i.Revoked, &i.Seq, &created, &updated)
	if err != nil {
		return intel.IOC{}, err
	}
	if err := json.Unmarshal([]byte(tags), &i.Tags); err != nil {
		return intel.IOC{}, fmt.Errorf("indicator %s tags: %w", i.ID, err)
	}
	if err := json.Unmarshal([]byte(sources), &i.Sources); err != nil {
		return intel.IOC{}, fmt.Errorf("indicator %s sources: %w", i.ID, err)
	}
	i.FirstSeen, i.LastSeen, i.CreatedAt, i.UpdatedAt = fromNanos(first), fromNanos(last), fromNanos(created), fromNanos(updated)
	i.Expires, i.LastHit = timePtr(expires), timePtr(lastHit)
	return i, nil
}
