package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"time"

	"github.com/yagura-soc/yagura/internal/agent/buffer"
	"github.com/yagura-soc/yagura/internal/agent/wire"
)

// Files in the state folder.
const (
	identityFile = "identity.json" // who the agent is (secret included; mode 0600)
	configFile   = "agent.json"    // optional local settings
	bufferDir    = "buffer"
)

// DefaultStateDir is where the agent keeps its state unless told.
func DefaultStateDir() string {
	if runtime.GOOS == "windows" {
		return `C:\ProgramData\yagura-agent`
	}
	return "/var/lib/yagura-agent"
}

// Identity is what enrollment gave the agent.
type Identity struct {
	Server  string `json:"server"`
	CAFile  string `json:"ca_file,omitempty"`
	AgentID string `json:"agent_id"`
	Tenant  string `json:"tenant"`
	Secret  string `json:"secret"`
	// CommandKey is the server's ed25519 public key; commands not signed
	// with it are refused.
	CommandKey []byte `json:"command_key"`
}

// Settings are the agent's local settings (agent.json in the state
// folder). Inputs given here apply until the server sends a configuration
// of its own (version above 0), which then replaces them.
type Settings struct {
	Files    []wire.FileInput `json:"files"`
	Journald bool             `json:"journald"`
	Audit    bool             `json:"audit"`
	EventLog []string         `json:"eventlog"` // Windows Event Log channels
	// AuditLog is the Linux audit log the audit input follows.
	AuditLog string `json:"audit_log"`
	// BufferMaxBytes bounds the disk buffer; BufferKeep says what a full
	// buffer keeps: "oldest" (inputs pause) or "newest" (oldest batches
	// are dropped).
	BufferMaxBytes int64  `json:"buffer_max_bytes"`
	BufferKeep     string `json:"buffer_keep"`
	// Batches close at BatchMaxBytes of records, BatchMaxRecords, or
	// BatchWaitMillis after their first record.
	BatchMaxBytes   int `json:"batch_max_bytes"`
	BatchMaxRecords int `json:"batch_max_records"`
	BatchWaitMillis int `json:"batch_wait_millis"`
	// HeartbeatSeconds is how often the agent reports (and picks up
	// configuration changes).
	HeartbeatSeconds int `json:"heartbeat_seconds"`
	// PollMillis is how often files are checked for new data.
	PollMillis int `json:"poll_millis"`
	// MetricsAddr, when set, serves the agent's counters in the
	// Prometheus text format (e.g. "127.0.0.1:9465").
	MetricsAddr string `json:"metrics_addr"`
	// RequestTimeoutSeconds bounds one request to the server, from the
	// dial to the last byte of the answer. A connection that goes silent
	// (a cut network: no reset, no close) costs at most this long before
	// the request is retried on a new one.
	RequestTimeoutSeconds int `json:"request_timeout_seconds"`
}

func (s *Settings) defaults() {
	if s.AuditLog == "" {
		s.AuditLog = "/var/log/audit/audit.log"
	}
	if s.BufferMaxBytes <= 0 {
		s.BufferMaxBytes = 1 << 30
	}
	if s.BatchMaxBytes <= 0 {
		s.BatchMaxBytes = 1 << 20
	}
	if s.BatchMaxRecords <= 0 {
		s.BatchMaxRecords = 10000
	}
	if s.BatchWaitMillis <= 0 {
		s.BatchWaitMillis = 200
	}
	if s.HeartbeatSeconds <= 0 {
		s.HeartbeatSeconds = 10
	}
	if s.PollMillis <= 0 {
		s.PollMillis = 250
	}
	if s.RequestTimeoutSeconds <= 0 {
		s.RequestTimeoutSeconds = int(defaultRequestTimeout / time.Second)
	}
}

func (s Settings) check() error {
	if _, err := buffer.ParsePolicy(s.BufferKeep); err != nil {
		return err
	}
	for i, f := range s.Files {
		if err := checkFileInput(f); err != nil {
			return fmt.Errorf("files[%d]: %w", i, err)
		}
	}
	return nil
}

func checkFileInput(f wire.FileInput) error {
	if f.Glob == "" {
		return errors.New("glob is required")
	}
	if _, err := filepath.Match(f.Glob, ""); err != nil {
		return fmt.Errorf("glob %q: %w", f.Glob, err)
	}
	if f.Multiline != "" {
		if _, err := regexp.Compile(f.Multiline); err != nil {
			return fmt.Errorf("multiline pattern: %w", err)
		}
	}
	return nil
}

// LoadSettings reads agent.json from the state folder; a missing file
// means the defaults.
func LoadSettings(stateDir string) (Settings, error) {
	var s Settings
	data, err := os.ReadFile(filepath.Join(stateDir, configFile))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return s, err
	}
	if err == nil {
		if err := json.Unmarshal(data, &s); err != nil {
			return s, fmt.Errorf("%s: %w", filepath.Join(stateDir, configFile), err)
		}
	}
	s.defaults()
	if err := s.check(); err != nil {
		return s, fmt.Errorf("%s: %w", filepath.Join(stateDir, configFile), err)
	}
	return s, nil
}

// LoadIdentity reads what enrollment saved.
func LoadIdentity(stateDir string) (Identity, error) {
	var id Identity
	data, err := os.ReadFile(filepath.Join(stateDir, identityFile))
	if errors.Is(err, os.ErrNotExist) {
		return id, fmt.Errorf("this agent is not enrolled (no %s): run 'yagura-agent enroll --server URL --token TOKEN --state %s' first",
			filepath.Join(stateDir, identityFile), stateDir)
	}
	if err != nil {
		return id, err
	}
	if err := json.Unmarshal(data, &id); err != nil || id.Secret == "" || id.Server == "" {
		return id, fmt.Errorf("%s is damaged: enroll again", filepath.Join(stateDir, identityFile))
	}
	return id, nil
}

func saveIdentity(stateDir string, id Identity) error {
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return fmt.Errorf("state folder: %w", err)
	}
	data, _ := json.MarshalIndent(id, "", "  ")
	path := filepath.Join(stateDir, identityFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("save identity: %w", err)
	}
	return os.Rename(tmp, path)
}
