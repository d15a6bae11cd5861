package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// AuditRecord is one entry of a tenant's audit trail: who did what, when,
// from where, and what changed. Records form a hash chain per tenant: each
// record's Hash covers its content and the previous record's Hash, so an
// altered, inserted or deleted record breaks every link after it.
type AuditRecord struct {
	Seq      int64          `json:"seq"` // 1, 2, 3, … per tenant
	Tenant   string         `json:"tenant"`
	Time     time.Time      `json:"time"`
	Actor    string         `json:"actor"`  // user name, "token:<id>", or "system"
	Role     string         `json:"role"`   // the role the actor acted in
	Remote   string         `json:"remote"` // client address, "" for the system
	Action   string         `json:"action"` // e.g. alert.update, token.create, login.failed, export
	Object   string         `json:"object"` // e.g. alert/01JD…; "" when none
	Details  map[string]any `json:"details,omitempty"`
	PrevHash string         `json:"prev_hash"`
	Hash     string         `json:"hash"`
}

// AuditFilter selects records; zero fields do not filter.
type AuditFilter struct {
	From, To time.Time
	Action   string
	Object   string // e.g. case/01J…
	Limit    int
	Offset   int
}

// Audit is one tenant's audit trail. It only grows: there is no update
// and no delete (retention of audit records is a separate, audited export).
type Audit interface {
	// Append computes Seq, PrevHash and Hash and stores the record.
	Append(ctx context.Context, rec AuditRecord) (AuditRecord, error)
	// List returns records oldest first.
	List(ctx context.Context, f AuditFilter) ([]AuditRecord, int, error)
	// Verify walks the whole chain; it returns a *ChainError naming the
	// first record that does not hold.
	Verify(ctx context.Context) (records int64, err error)
}

// ChainError reports where an audit chain breaks.
type ChainError struct {
	Tenant string
	Seq    int64
	Reason string
}

func (e *ChainError) Error() string {
	return fmt.Sprintf("audit chain of tenant %q breaks at record %d: %s", e.Tenant, e.Seq, e.Reason)
}

// AuditHash is the hash of a record: SHA-256 over the previous hash and
// the record's canonical JSON (Hash itself left out). Every implementation
// uses it, so a chain can be verified outside Yagura from an export.
func AuditHash(rec AuditRecord) string {
	rec.Hash = ""
	rec.Time = rec.Time.UTC()
	body, _ := json.Marshal(rec) // struct fields in declaration order, map keys sorted
	h := sha256.New()
	h.Write([]byte(rec.PrevHash))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}
