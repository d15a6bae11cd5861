package sqlite

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/yagura-soc/yagura/internal/store"
)

// Agents implements store.Scoped.
func (sc scoped) Agents() store.Agents { return agents(sc) }

// AgentDirectory implements store.State.
func (s *Store) AgentDirectory() store.AgentDirectory { return agentDirectory{s} }

type agents scoped

type agentDirectory struct{ s *Store }

const agentColumns = `id, tenant, hostname, os, arch, secret_hash, enrolled_at, last_seen, last_seq, pending_seq, heartbeat, silent_alerted`

func scanAgent(row scanner) (store.Agent, error) {
	var a store.Agent
	var enrolled int64
	var seen sql.NullInt64
	var hb string
	var lastSeq, pendingSeq int64
	if err := row.Scan(&a.ID, &a.Tenant, &a.Hostname, &a.OS, &a.Arch, &a.SecretHash, &enrolled, &seen,
		&lastSeq, &pendingSeq, &hb, &a.SilentAlerted); err != nil {
		return store.Agent{}, err
	}
	a.EnrolledAt, a.LastSeen = fromNanos(enrolled), timePtr(seen)
	a.LastSeq, a.PendingSeq = uint64(lastSeq), uint64(pendingSeq)
	if err := json.Unmarshal([]byte(hb), &a.Heartbeat); err != nil {
		return store.Agent{}, fmt.Errorf("agent %s: heartbeat column: %w", a.ID, err)
	}
	return a, nil
}

func (d agentDirectory) ByHash(ctx context.Context, hash []byte) (store.Agent, error) {
	a, err := scanAgent(d.s.db.QueryRowContext(ctx, `SELECT `+agentColumns+` FROM agents WHERE secret_hash = ?`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Agent{}, store.ErrNotFound
	}
	return a, err
}

func (a agents) Create(ctx context.Context, ag store.Agent) error {
	hb, _ := json.Marshal(ag.Heartbeat)
	_, err := a.s.db.ExecContext(ctx, `INSERT INTO agents(`+agentColumns+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
		ag.ID, a.tenant, ag.Hostname, ag.OS, ag.Arch, ag.SecretHash, toNanos(ag.EnrolledAt), nullableNanos(ag.LastSeen),
		int64(ag.LastSeq), int64(ag.PendingSeq), string(hb), ag.SilentAlerted)
	switch {
	case isUniqueViolation(err):
		return store.ErrConflict
	case isForeignKeyViolation(err):
		return fmt.Errorf("create agent: tenant %q does not exist: %w", a.tenant, store.ErrNotFound)
	case err != nil:
		return fmt.Errorf("create agent: %w", err)
	}
	return nil
}

func (a agents) Get(ctx context.Context, id string) (store.Agent, error) {
	ag, err := scanAgent(a.s.db.QueryRowContext(ctx, `SELECT `+agentColumns+` FROM agents WHERE tenant = ? AND id = ?`, a.tenant, id))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Agent{}, store.ErrNotFound
	}
	return ag, err
}

func (a agents) List(ctx context.Context) ([]store.Agent, error) {
	return queryAll(ctx, a.s.db, "list agents", scanAgent,
		`SELECT `+agentColumns+` FROM agents WHERE tenant = ? ORDER BY hostname, id`, a.tenant)
}

// exec runs an update of one agent of this tenant; no row means not found.
func (a agents) exec(ctx context.Context, what, query string, args ...any) error {
	res, err := a.s.db.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("agent %s: %w", what, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}

func (a agents) Heartbeat(ctx context.Context, id string, at time.Time, hb store.AgentHeartbeat) error {
	b, _ := json.Marshal(hb)
	return a.exec(ctx, "heartbeat", `UPDATE agents SET last_seen = ?, heartbeat = ?, silent_alerted = 0 WHERE tenant = ? AND id = ?`,
		toNanos(at), string(b), a.tenant, id)
}

func (a agents) Seen(ctx context.Context, id string, at time.Time) error {
	return a.exec(ctx, "seen", `UPDATE agents SET last_seen = max(coalesce(last_seen, 0), ?), silent_alerted = 0 WHERE tenant = ? AND id = ?`,
		toNanos(at), a.tenant, id)
}

func (a agents) BeginBatch(ctx context.Context, id string, seq uint64) error {
	return a.exec(ctx, "begin batch", `UPDATE agents SET pending_seq = ? WHERE tenant = ? AND id = ?`, int64(seq), a.tenant, id)
}

func (a agents) CommitBatch(ctx context.Context, id string, seq uint64) error {
	return a.exec(ctx, "commit batch", `UPDATE agents SET last_seq = max(last_seq, ?) WHERE tenant = ? AND id = ?`, int64(seq), a.tenant, id)
}

func (a agents) MarkSilent(ctx context.Context, id string) error {
	return a.exec(ctx, "mark silent", `UPDATE agents SET silent_alerted = 1 WHERE tenant = ? AND id = ?`, a.tenant, id)
}

func (a agents) Config(ctx context.Context) (store.AgentConfig, error) {
	var c store.AgentConfig
	var body string
	var version, updated int64
	err := a.s.db.QueryRowContext(ctx, `SELECT version, config, updated_at FROM agent_configs WHERE tenant = ?`, a.tenant).
		Scan(&version, &body, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return store.AgentConfig{Files: []store.AgentFileInput{}}, nil
	}
	if err != nil {
		return c, fmt.Errorf("agent config: %w", err)
	}
	if err := json.Unmarshal([]byte(body), &c); err != nil {
		return c, fmt.Errorf("agent config: stored JSON: %w", err)
	}
	c.Version, c.UpdatedAt = version, fromNanos(updated)
	if c.Files == nil {
		c.Files = []store.AgentFileInput{}
	}
	return c, nil
}

func (a agents) SetConfig(ctx context.Context, c store.AgentConfig) (store.AgentConfig, error) {
	if c.Files == nil {
		c.Files = []store.AgentFileInput{}
	}
	c.UpdatedAt = a.s.now()
	c.Version = 0
	body, err := json.Marshal(c)
	if err != nil {
		return c, err
	}
	err = a.s.db.QueryRowContext(ctx, `INSERT INTO agent_configs(tenant, version, config, updated_at) VALUES (?, 1, ?, ?)
		ON CONFLICT(tenant) DO UPDATE SET version = version + 1, config = excluded.config, updated_at = excluded.updated_at
		RETURNING version`, a.tenant, string(body), toNanos(c.UpdatedAt)).Scan(&c.Version)
	if isForeignKeyViolation(err) {
		return c, fmt.Errorf("agent config: tenant %q does not exist: %w", a.tenant, store.ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("agent config: %w", err)
	}
	return c, nil
}

func (d agentDirectory) SigningKey(ctx context.Context) ([]byte, error) {
	var seed []byte
	err := d.s.db.QueryRowContext(ctx, `SELECT seed FROM agent_signing_key WHERE id = 1`).Scan(&seed)
	if err == nil {
		return seed, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("agent signing key: %w", err)
	}
	seed = make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return nil, fmt.Errorf("agent signing key: %w", err)
	}
	// Two servers racing on a fresh file: the first key wins for both.
	if _, err := d.s.db.ExecContext(ctx, `INSERT INTO agent_signing_key(id, seed, created_at) VALUES (1, ?, ?) ON CONFLICT(id) DO NOTHING`,
		seed, toNanos(d.s.now())); err != nil {
		return nil, fmt.Errorf("agent signing key: %w", err)
	}
	err = d.s.db.QueryRowContext(ctx, `SELECT seed FROM agent_signing_key WHERE id = 1`).Scan(&seed)
	return seed, err
}

func (a agents) Commands() store.AgentCommands { return agentCommands(a) }

type agentCommands scoped

const agentCommandColumns = `id, agent_id, action, targets, signed, actor, case_id, created_at, expires, done_at, ok, error`

func scanAgentCommand(row scanner) (store.AgentCommand, error) {
	var c store.AgentCommand
	var targets string
	var created, expires int64
	var done sql.NullInt64
	if err := row.Scan(&c.ID, &c.AgentID, &c.Action, &targets, &c.Signed, &c.Actor, &c.CaseID, &created, &expires, &done, &c.OK, &c.Error); err != nil {
		return c, err
	}
	json.Unmarshal([]byte(targets), &c.Targets)
	c.CreatedAt, c.Expires, c.DoneAt = fromNanos(created), fromNanos(expires), timePtr(done)
	return c, nil
}

func (a agentCommands) Queue(ctx context.Context, c store.AgentCommand) error {
	targets, _ := json.Marshal(c.Targets)
	_, err := a.s.db.ExecContext(ctx, `INSERT INTO agent_commands(id, tenant, agent_id, action, targets, signed, actor, case_id, created_at, expires)
		SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM agents WHERE tenant = ? AND id = ?)`,
		c.ID, a.tenant, c.AgentID, c.Action, string(targets), c.Signed, c.Actor, c.CaseID, toNanos(c.CreatedAt), toNanos(c.Expires), a.tenant, c.AgentID)
	if isUniqueViolation(err) {
		return store.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("queue agent command: %w", err)
	}
	return nil
}

func (a agentCommands) query(ctx context.Context, where string, args ...any) ([]store.AgentCommand, error) {
	return queryAll(ctx, a.s.db, "agent commands", scanAgentCommand,
		`SELECT `+agentCommandColumns+` FROM agent_commands WHERE tenant = ? AND `+where+` ORDER BY created_at, id`,
		append([]any{a.tenant}, args...)...)
}

func (a agentCommands) Pending(ctx context.Context, agentID string, now time.Time) ([]store.AgentCommand, error) {
	return a.query(ctx, `agent_id = ? AND done_at IS NULL AND expires > ?`, agentID, toNanos(now))
}

func (a agentCommands) List(ctx context.Context, agentID string) ([]store.AgentCommand, error) {
	return a.query(ctx, `agent_id = ?`, agentID)
}

func (a agentCommands) Complete(ctx context.Context, agentID, id string, ok bool, msg string, at time.Time) (store.AgentCommand, error) {
	res, err := a.s.db.ExecContext(ctx, `UPDATE agent_commands SET done_at = ?, ok = ?, error = ? WHERE tenant = ? AND agent_id = ? AND id = ? AND done_at IS NULL`,
		toNanos(at), ok, msg, a.tenant, agentID, id)
	if err != nil {
		return store.AgentCommand{}, fmt.Errorf("complete agent command: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.AgentCommand{}, store.ErrNotFound
	}
	c, err := scanAgentCommand(a.s.db.QueryRowContext(ctx, `SELECT `+agentCommandColumns+` FROM agent_commands WHERE tenant = ? AND id = ?`, a.tenant, id))
	return c, err
}
