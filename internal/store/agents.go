package store

import (
	"context"
	"time"
)

// Agent is an enrolled host agent (cmd/yagura-agent). Its secret is never
// kept, only its SHA-256 hash, like an API token's.
type Agent struct {
	ID         string         `json:"id"`
	Tenant     string         `json:"tenant"`
	Hostname   string         `json:"hostname"`
	OS         string         `json:"os"`
	Arch       string         `json:"arch"`
	SecretHash []byte         `json:"-"`
	EnrolledAt time.Time      `json:"enrolled_at"`
	LastSeen   *time.Time     `json:"last_seen"`
	LastSeq    uint64         `json:"last_seq"`
	Heartbeat  AgentHeartbeat `json:"heartbeat"`
	// PendingSeq is the batch being stored right now (or when the server
	// died): a retry of it must check the event store before storing.
	PendingSeq uint64 `json:"-"`
	// SilentAlerted says the "agent went silent" alert was raised and the
	// agent has not been heard from since.
	SilentAlerted bool `json:"-"`
}

// AgentHeartbeat is what an agent reports about itself.
type AgentHeartbeat struct {
	Version         string  `json:"version"`
	UptimeSeconds   int64   `json:"uptime_seconds"`
	EventsPerSecond float64 `json:"events_per_second"`
	BufferBatches   int64   `json:"buffer_batches"`
	BufferBytes     int64   `json:"buffer_bytes"`
	BufferFull      bool    `json:"buffer_full"`
	Dropped         int64   `json:"dropped"`
	Errors          int64   `json:"errors"`
	LastError       string  `json:"last_error,omitempty"`
	ConfigVersion   int64   `json:"config_version"`
}

// AgentFileInput is one file input of the central agent configuration.
type AgentFileInput struct {
	// Glob selects the files to tail ("/var/log/*.log").
	Glob string `json:"glob"`
	// Multiline, when set, is a regular expression that matches the first
	// line of a record; lines that do not match join the previous one.
	Multiline string `json:"multiline,omitempty"`
	// Format names the parser; empty means auto-detect.
	Format string `json:"format,omitempty"`
}

// AgentConfig is what a tenant's agents collect. Version grows with every
// change so that agents apply it without restarting.
type AgentConfig struct {
	Version   int64            `json:"version"`
	Files     []AgentFileInput `json:"files"`
	Journald  bool             `json:"journald"`
	Audit     bool             `json:"audit"`
	EventLog  []string         `json:"eventlog,omitempty"` // Windows Event Log channels
	UpdatedAt time.Time        `json:"updated_at"`
}

// Agents stores one tenant's agents and their configuration.
type Agents interface {
	Create(ctx context.Context, a Agent) error
	Get(ctx context.Context, id string) (Agent, error)
	List(ctx context.Context) ([]Agent, error)
	// Heartbeat records that the agent was heard from at `at`, with its
	// report, and clears SilentAlerted.
	Heartbeat(ctx context.Context, id string, at time.Time, hb AgentHeartbeat) error
	// Seen moves last_seen without changing the report (a batch arrived).
	Seen(ctx context.Context, id string, at time.Time) error
	// BeginBatch durably records that batch seq is being stored.
	BeginBatch(ctx context.Context, id string, seq uint64) error
	// CommitBatch records that batch seq is stored: last_seq moves to it.
	CommitBatch(ctx context.Context, id string, seq uint64) error
	// MarkSilent records that the silence alert was raised.
	MarkSilent(ctx context.Context, id string) error
	Config(ctx context.Context) (AgentConfig, error)
	// SetConfig replaces the configuration and returns it with its new
	// version.
	SetConfig(ctx context.Context, c AgentConfig) (AgentConfig, error)
	Commands() AgentCommands
}

// AgentDirectory finds an agent by its secret, whatever its tenant: the
// secret decides the tenant. It also keeps the server's command-signing
// key (ed25519 seed), made on first use.
type AgentDirectory interface {
	ByHash(ctx context.Context, hash []byte) (Agent, error)
	SigningKey(ctx context.Context) ([]byte, error)
}

// AgentCommand is a containment command queued for an agent: the signed
// form the agent receives, and its outcome once the agent reports it.
type AgentCommand struct {
	ID        string     `json:"id"`
	AgentID   string     `json:"agent_id"`
	Action    string     `json:"action"`
	Targets   []string   `json:"targets,omitempty"`
	Signed    []byte     `json:"-"`
	Actor     string     `json:"actor"`
	CaseID    string     `json:"case_id,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	Expires   time.Time  `json:"expires"`
	DoneAt    *time.Time `json:"done_at,omitempty"`
	OK        bool       `json:"ok"`
	Error     string     `json:"error,omitempty"`
}

// AgentCommands queues one tenant's containment commands.
type AgentCommands interface {
	Queue(ctx context.Context, c AgentCommand) error
	// Pending are an agent's commands not yet reported on and not expired
	// at now, oldest first.
	Pending(ctx context.Context, agentID string, now time.Time) ([]AgentCommand, error)
	// Complete records an agent's report; a command of another agent or an
	// unknown one is store.ErrNotFound.
	Complete(ctx context.Context, agentID, id string, ok bool, msg string, at time.Time) (AgentCommand, error)
	List(ctx context.Context, agentID string) ([]AgentCommand, error)
}

// Agent statuses as the agent list shows them.
const (
	AgentHealthy = "healthy"
	AgentSilent  = "silent"
)

// AgentSilentAfter is how long an agent may go unheard before it counts as
// silent (agents send a heartbeat every 10 seconds by default).
const AgentSilentAfter = 60 * time.Second

// Status is "healthy" when the agent was heard from within
// AgentSilentAfter of now, else "silent".
func (a Agent) Status(now time.Time) string {
	if a.LastSeen != nil && now.Sub(*a.LastSeen) < AgentSilentAfter {
		return AgentHealthy
	}
	return AgentSilent
}
