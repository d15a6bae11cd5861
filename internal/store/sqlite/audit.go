package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/yagura-soc/yagura/internal/store"
)

// audit is one tenant's audit chain.
type audit scoped

func (a audit) Append(ctx context.Context, rec store.AuditRecord) (store.AuditRecord, error) {
	tx, err := a.s.db.BeginTx(ctx, nil) // _txlock=immediate: appends are serialised
	if err != nil {
		return rec, fmt.Errorf("audit: %w", err)
	}
	defer tx.Rollback()
	rec, err = a.appendTx(ctx, tx, rec)
	if err != nil {
		return rec, err
	}
	if err := tx.Commit(); err != nil {
		return rec, fmt.Errorf("audit: commit: %w", err)
	}
	return rec, nil
}

// appendTx appends inside the caller's transaction, so that a state change
// and its audit record commit together.
func (a audit) appendTx(ctx context.Context, tx *sql.Tx, rec store.AuditRecord) (store.AuditRecord, error) {
	var seq int64
	var prev string
	err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_heads WHERE tenant = ?`, a.tenant).Scan(&seq, &prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return rec, fmt.Errorf("audit: read head: %w", err)
	}
	rec.Tenant, rec.Seq, rec.PrevHash = a.tenant, seq+1, prev
	if rec.Time.IsZero() {
		rec.Time = a.s.now()
	}
	rec.Time = rec.Time.UTC()
	// Round-trip the details through JSON now, so the hash is computed on
	// exactly what is stored and read back.
	details, err := json.Marshal(rec.Details)
	if err != nil {
		return rec, fmt.Errorf("audit: details: %w", err)
	}
	rec.Details = nil
	if err := json.Unmarshal(details, &rec.Details); err != nil {
		return rec, fmt.Errorf("audit: details: %w", err)
	}
	rec.Hash = store.AuditHash(rec)
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit(tenant, seq, time, actor, role, remote, action, object, details, prev_hash, hash)
		VALUES (?,?,?,?,?,?,?,?,?,?,?)`, a.tenant, rec.Seq, toNanos(rec.Time), rec.Actor, rec.Role, rec.Remote,
		rec.Action, rec.Object, string(details), rec.PrevHash, rec.Hash); err != nil {
		return rec, fmt.Errorf("audit: insert: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_heads(tenant, seq, hash) VALUES (?, ?, ?)
		ON CONFLICT(tenant) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`, a.tenant, rec.Seq, rec.Hash); err != nil {
		return rec, fmt.Errorf("audit: update head: %w", err)
	}
	return rec, nil
}

const auditColumns = `tenant, seq, time, actor, role, remote, action, object, details, prev_hash, hash`

func (a audit) List(ctx context.Context, f store.AuditFilter) ([]store.AuditRecord, int, error) {
	w := tenantFilter(a.tenant)
	if !f.From.IsZero() {
		w.add("time >= ?", toNanos(f.From))
	}
	if !f.To.IsZero() {
		w.add("time < ?", toNanos(f.To))
	}
	if f.Action != "" {
		w.add("action = ?", f.Action)
	}
	if f.Object != "" {
		w.add("object = ?", f.Object)
	}
	return listPage(ctx, a.s.db, "audit records", scanAudit, auditColumns, "audit", w, "seq", f.Limit, 1000, f.Offset)
}

func scanAudit(r scanner) (store.AuditRecord, error) {
	var rec store.AuditRecord
	var at int64
	var details string
	if err := r.Scan(&rec.Tenant, &rec.Seq, &at, &rec.Actor, &rec.Role, &rec.Remote, &rec.Action, &rec.Object,
		&details, &rec.PrevHash, &rec.Hash); err != nil {
		return rec, err
	}
	rec.Time = fromNanos(at)
	if err := json.Unmarshal([]byte(details), &rec.Details); err != nil {
		return rec, fmt.Errorf("audit record %d: details: %w", rec.Seq, err)
	}
	return rec, nil
}

// Verify walks the chain in order, recomputing every hash.
func (a audit) Verify(ctx context.Context) (int64, error) {
	rows, err := a.s.db.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit WHERE tenant = ? ORDER BY seq`, a.tenant)
	if err != nil {
		return 0, fmt.Errorf("audit: verify: %w", err)
	}
	defer rows.Close()
	var n int64
	prev := ""
	for rows.Next() {
		rec, err := scanAudit(rows)
		if err != nil {
			return n, &store.ChainError{Tenant: a.tenant, Seq: n + 1, Reason: "unreadable: " + err.Error()}
		}
		switch {
		case rec.Seq != n+1:
			return n, &store.ChainError{Tenant: a.tenant, Seq: n + 1, Reason: fmt.Sprintf("missing (next record present is %d)", rec.Seq)}
		case rec.PrevHash != prev:
			return n, &store.ChainError{Tenant: a.tenant, Seq: rec.Seq, Reason: "does not link to the record before it"}
		case store.AuditHash(rec) != rec.Hash:
			return n, &store.ChainError{Tenant: a.tenant, Seq: rec.Seq, Reason: "content does not match its hash (altered)"}
		}
		prev, n = rec.Hash, rec.Seq
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	var headSeq int64
	var headHash string
	err = a.s.db.QueryRowContext(ctx, `SELECT seq, hash FROM audit_heads WHERE tenant = ?`, a.tenant).Scan(&headSeq, &headHash)
	if errors.Is(err, sql.ErrNoRows) {
		if n == 0 {
			return 0, nil
		}
		return n, &store.ChainError{Tenant: a.tenant, Seq: n, Reason: "chain head is missing"}
	}
	if err != nil {
		return n, err
	}
	switch {
	case headSeq > n:
		return n, &store.ChainError{Tenant: a.tenant, Seq: n + 1, Reason: fmt.Sprintf("records after %d were deleted (head says %d)", n, headSeq)}
	case headSeq < n:
		return n, &store.ChainError{Tenant: a.tenant, Seq: headSeq + 1, Reason: fmt.Sprintf("records after %d were added outside Yagura", headSeq)}
	case headHash != prev:
		return n, &store.ChainError{Tenant: a.tenant, Seq: n, Reason: "does not match the chain head (altered)"}
	}
	return n, nil
}
