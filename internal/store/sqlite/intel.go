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

func (c iocs) Upsert(ctx context.Context, in []intel.IOC) (store.IOCUpsert, error) {
	var res store.IOCUpsert
	if len(in) == 0 {
		return res, nil
	}
	tx, err := c.s.db.BeginTx(ctx, nil) // _txlock=immediate: change numbers are ours until commit
	if err != nil {
		return res, fmt.Errorf("upsert indicators: %w", err)
	}
	defer tx.Rollback()
	// The unique index takes inserts at random places; with SQLite's
	// default 2 MB page cache a million-row load re-reads index pages over
	// and over. 64 MB keeps it in memory (per connection, freed with it).
	if _, err := tx.ExecContext(ctx, `PRAGMA cache_size = -65536`); err != nil {
		return res, fmt.Errorf("upsert indicators: %w", err)
	}
	// Inserting first and merging only on conflict makes a bulk load of
	// new indicators one statement per row.
	insert, err := tx.PrepareContext(ctx, `INSERT INTO iocs(tenant, `+iocColumns+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT(tenant, type, value) DO NOTHING`)
	if err != nil {
		return res, fmt.Errorf("upsert indicators: %w", err)
	}
	defer insert.Close()

	// Merge inside the batch first, so one indicator reported twice in a
	// feed costs one row write and one change number.
	// (The map holds positions, not copies: a bulk load stays one copy.)
	order := make([]int, 0, len(in))
	first := make(map[string]int, len(in))
	var merged map[int]intel.IOC // only for indicators reported twice
	for n := range in {
		k := in[n].Key()
		at, dup := first[k]
		if !dup {
			first[k] = n
			order = append(order, n)
			continue
		}
		if merged == nil {
			merged = map[int]intel.IOC{}
		}
		base, ok := merged[at]
		if !ok {
			base = in[at]
		}
		merged[at] = intel.Merge(base, in[n])
	}
	get := func(n int) intel.IOC {
		if m, ok := merged[n]; ok {
			return m
		}
		return in[n]
	}
	var head int64
	if err := tx.QueryRowContext(ctx, `SELECT seq FROM ioc_heads WHERE tenant = ?`, c.tenant).Scan(&head); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return res, fmt.Errorf("upsert indicators: read change head: %w", err)
	}
	now := c.s.now()
	res.Changed = make([]intel.IOC, 0, len(order))
	var existing []intel.IOC
	for _, n := range order {
		i := get(n)
		i.ID = ulid.Make().String()
		i.Hits, i.LastHit, i.Revoked = 0, nil, false
		i.CreatedAt, i.UpdatedAt = now, now
		i.Seq = head + 1
		tags, _ := json.Marshal(i.Tags)
		sources, _ := json.Marshal(i.Sources)
		r, err := insert.ExecContext(ctx, c.tenant, i.ID, i.Type, i.Value, i.Confidence, i.TLP, string(tags),
			i.Description, string(sources), toNanos(i.FirstSeen), toNanos(i.LastSeen), nullableNanos(i.Expires),
			i.ToBlock, 0, nil, false, i.Seq, toNanos(i.CreatedAt), toNanos(i.UpdatedAt))
		if err != nil {
			if isForeignKeyViolation(err) {
				return store.IOCUpsert{}, store.ErrNotFound
			}
			return store.IOCUpsert{}, fmt.Errorf("upsert indicator %s %s: %w", i.Type, i.Value, err)
		}
		if affected, _ := r.RowsAffected(); affected == 0 {
			existing = append(existing, get(n))
			continue
		}
		head++
		res.Created++
		res.Changed = append(res.Changed, i)
	}
	if len(existing) > 0 {
		find, err := tx.PrepareContext(ctx, `SELECT `+iocColumns+` FROM iocs WHERE tenant = ? AND type = ? AND value = ?`)
		if err != nil {
			return res, fmt.Errorf("upsert indicators: %w", err)
		}
		defer find.Close()
		update, err := tx.PrepareContext(ctx, `UPDATE iocs SET confidence = ?, tlp = ?, tags = ?, description = ?,
			sources = ?, first_seen = ?, last_seen = ?, expires = ?, to_block = ?, revoked = ?, lapsed = 0, seq = ?,
			updated_at = ? WHERE tenant = ? AND id = ?`)
		if err != nil {
			return res, fmt.Errorf("upsert indicators: %w", err)
		}
		defer update.Close()
		for _, i := range existing {
			old, err := scanIOC(find.QueryRowContext(ctx, c.tenant, i.Type, i.Value))
			if err != nil {
				return store.IOCUpsert{}, fmt.Errorf("upsert indicator %s %s: %w", i.Type, i.Value, err)
			}
			m := intel.Merge(old, i)
			if !intel.Changed(old, m) {
				continue
			}
			head++
			m.Seq, m.UpdatedAt = head, now
			tags, _ := json.Marshal(m.Tags)
			sources, _ := json.Marshal(m.Sources)
			if _, err := update.ExecContext(ctx, m.Confidence, m.TLP, string(tags), m.Description, string(sources),
				toNanos(m.FirstSeen), toNanos(m.LastSeen), nullableNanos(m.Expires), m.ToBlock, m.Revoked, m.Seq,
				toNanos(m.UpdatedAt), c.tenant, m.ID); err != nil {
				return store.IOCUpsert{}, fmt.Errorf("upsert indicator %s %s: %w", m.Type, m.Value, err)
			}
			res.Updated++
			res.Changed = append(res.Changed, m)
		}
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
	tags, _ := json.Marshal(i.Tags)
	if _, err := tx.ExecContext(ctx, `UPDATE iocs SET confidence = ?, tlp = ?, tags = ?, description = ?, expires = ?,
		to_block = ?, revoked = ?, lapsed = 0, seq = ?, updated_at = ? WHERE tenant = ? AND id = ?`,
		i.Confidence, i.TLP, string(tags), i.Description, nullableNanos(i.Expires), i.ToBlock, i.Revoked, i.Seq,
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
