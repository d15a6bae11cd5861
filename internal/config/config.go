// Package config loads Yagura's configuration: built-in defaults, then one
// YAML file, then YAGURA_* environment variables, then command-line flags,
// each overriding the one before. With no file at all, `yagura serve`
// works: data in ./data, HTTP on 127.0.0.1:8080, syslog on 127.0.0.1:5514.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is the whole configuration. The YAML keys are documented in
// config.example.yaml at the repository root.
type Config struct {
	Data      string    `yaml:"data"`
	LogLevel  string    `yaml:"log_level"`
	HTTP      HTTP      `yaml:"http"`
	Syslog    Syslog    `yaml:"syslog"`
	RELP      RELP      `yaml:"relp"`
	Pipeline  Pipeline  `yaml:"pipeline"`
	Detect    Detection `yaml:"detection"`
	Alerts    Alerts    `yaml:"alerts"`
	Demo      Demo      `yaml:"demo"`
	Events    Events    `yaml:"events"`
	Retention Retention `yaml:"retention"`
	Reporting Reporting `yaml:"reporting"`
	Response  Response  `yaml:"response"`
	Cases     Cases     `yaml:"cases"`
}

// Events configures the embedded event store.
type Events struct {
	// MemoryLimit caps DuckDB's memory (default 2GB; empty: DuckDB's own
	// default, 80 % of physical memory). A scan-once read (a retro-hunt)
	// otherwise grows DuckDB's buffer pool to gigabytes it never reuses:
	// 10M events took 59 s and 10.6 GB uncapped, 52 s and 6.6 GB at 2GB,
	// and ingest was no slower (docs/performance.md). Operations larger
	// than the cap spill to disk; raise it for large aggregations.
	MemoryLimit string `yaml:"memory_limit"`
}

// Cases configures the incident desk.
type Cases struct {
	// AutoOpenSeverity: new alerts at or above it open a case by
	// themselves ("" turns this off).
	AutoOpenSeverity string `yaml:"auto_open_severity"`
	// AutoOpenRisk: entity-risk alerts open a case by themselves.
	AutoOpenRisk bool `yaml:"auto_open_risk"`
}

// Response configures the connectors that carry out response actions.
type Response struct {
	Webhooks []WebhookConnector `yaml:"webhooks"`
}

// WebhookConnector posts actions as signed JSON to a URL.
type WebhookConnector struct {
	Name   string `yaml:"name"`
	URL    string `yaml:"url"`
	Secret string `yaml:"secret"`
}

// Reporting is the reporting flow an auditor asks about: who the CSIRT
// is, whom to escalate to, and which report templates exist.
type Reporting struct {
	// RequiredRetentionDays is the retention the organisation must meet
	// (e.g. 365 for PCI DSS); the compliance view checks policies against it.
	RequiredRetentionDays int       `yaml:"required_retention_days"`
	CSIRT                 Contact   `yaml:"csirt"`
	EscalationContacts    []Contact `yaml:"escalation_contacts"`
	ReportTemplates       []string  `yaml:"report_templates"` // files
}

// Contact is a person or team to notify.
type Contact struct {
	Name  string `yaml:"name" json:"name"`
	Role  string `yaml:"role" json:"role,omitempty"`
	Email string `yaml:"email" json:"email,omitempty"`
	Phone string `yaml:"phone" json:"phone,omitempty"`
}

// Retention schedules the retention enforcer; policies are per tenant
// (API: /api/v1/retention).
type Retention struct {
	Interval Duration `yaml:"interval"` // 0 disables the schedule
}

// HTTP is the API listener.
type HTTP struct {
	Addr         string `yaml:"addr"`
	MaxBodyBytes int64  `yaml:"max_body_bytes"`
	// ReadTimeout bounds reading one request, body included: a client
	// that goes silent mid-body (a cut network, a slow-loris) frees its
	// connection then instead of when TCP gives up, minutes later.
	ReadTimeout Duration `yaml:"read_timeout"`
	TLSCert     string   `yaml:"tls_cert"`
	TLSKey      string   `yaml:"tls_key"`
	// TLSSelfSigned serves HTTPS with a certificate generated on first run
	// (kept in <data>/tls) when no tls_cert is given.
	TLSSelfSigned bool `yaml:"tls_self_signed"`
}

// Syslog is the syslog listener (TCP and UDP on the same address), and
// its optional RFC 5425 TLS listener.
type Syslog struct {
	Addr   string `yaml:"addr"`
	Tenant string `yaml:"tenant"`
	// Networks maps source networks (CIDR) to tenants; the longest match
	// wins over Tenant.
	Networks map[string]string `yaml:"networks"`
	// UDPReadBuffer is the UDP socket's receive buffer in bytes (0: the
	// system default).
	UDPReadBuffer int         `yaml:"udp_read_buffer"`
	TLSAddr       string      `yaml:"tls_addr"`
	TLS           ListenerTLS `yaml:",inline"`
}

// ListenerTLS is the TLS setup of a log listener.
type ListenerTLS struct {
	TLSCert     string `yaml:"tls_cert"`
	TLSKey      string `yaml:"tls_key"`
	TLSClientCA string `yaml:"tls_client_ca"` // verify client certificates signed by these CAs
	// TLSRequireClientCert refuses clients without a valid certificate.
	TLSRequireClientCert bool `yaml:"tls_require_client_cert"`
	// ClientCerts maps a client certificate's CN or SAN to a tenant; it
	// wins over networks.
	ClientCerts map[string]string `yaml:"client_certs"`
}

// RELP is the RELP listener (rsyslog's omrelp), off unless Addr is set.
type RELP struct {
	Addr     string            `yaml:"addr"`
	Tenant   string            `yaml:"tenant"`
	Networks map[string]string `yaml:"networks"`
	TLS      ListenerTLS       `yaml:",inline"`
}

// Pipeline sizes the bounded queues between stages.
type Pipeline struct {
	// QueueBatches is how many batches may wait between two stages
	// before producers block.
	QueueBatches int `yaml:"queue_batches"`
	// Workers parse, normalize and detect in parallel; 0 means one per CPU.
	Workers int `yaml:"workers"`
	// MaxWriteEvents caps one group commit to the event store.
	MaxWriteEvents int `yaml:"max_write_events"`
	// MaxLineBytes truncates longer records (and flags them).
	MaxLineBytes int `yaml:"max_line_bytes"`
}

// Detection configures the rule sets.
type Detection struct {
	Builtin  bool     `yaml:"builtin"`
	RuleDirs []string `yaml:"rule_dirs"`
	// Placeholders is a YAML file of |expand placeholder values and
	// Logsources a logsource mapping layered over the defaults
	// (docs/detection.md); both are read at start.
	Placeholders string `yaml:"placeholders"`
	Logsources   string `yaml:"logsources"`
}

// Alerts configures the alert stage and its notifications
// (docs/alerting.md).
type Alerts struct {
	DedupWindow Duration `yaml:"dedup_window"`
	// GroupBy sets the fingerprint fields per rule id; rules not listed
	// group by host.name and user.name.
	GroupBy map[string][]string `yaml:"group_by"`
	// Risk overrides entries of the built-in risk formula.
	Risk AlertRisk `yaml:"risk"`
	// EntityRisk is risk-based alerting.
	EntityRisk EntityRisk `yaml:"entity_risk"`
	// Escalation: how long an alert of a severity may stay new before
	// each next step of its routes' escalation chain.
	Escalation map[string]Duration `yaml:"escalation"`
	Notify     Notify              `yaml:"notify"`
}

// AlertRisk overrides the risk formula's tables; empty keeps the built-in values.
type AlertRisk struct {
	Levels      map[string]float64 `yaml:"levels"`
	Criticality map[string]float64 `yaml:"criticality"`
	IntelWeight float64            `yaml:"intel_weight"`
	Tactics     map[string]float64 `yaml:"tactics"`
}

// EntityRisk is risk accumulated per entity.
type EntityRisk struct {
	HalfLife  Duration          `yaml:"half_life"`
	Threshold float64           `yaml:"threshold"` // 0 disables risk alerts
	Weight    float64           `yaml:"weight"`
	Fields    map[string]string `yaml:"fields"` // entity field → entity type
}

// Notify tunes delivery from the outbox.
type Notify struct {
	Interval    Duration `yaml:"interval"`
	MaxAttempts int      `yaml:"max_attempts"`
	Backoff     Duration `yaml:"backoff"`
	MaxBackoff  Duration `yaml:"max_backoff"`
	Timeout     Duration `yaml:"timeout"`
	Workers     int      `yaml:"workers"`
}

// DefaultAlerts are the alert stage's defaults.
func DefaultAlerts() Alerts {
	return Alerts{
		DedupWindow: Duration(time.Hour),
		GroupBy:     map[string][]string{},
		Risk:        AlertRisk{Levels: map[string]float64{}, Criticality: map[string]float64{}, Tactics: map[string]float64{}},
		EntityRisk: EntityRisk{HalfLife: Duration(24 * time.Hour), Threshold: 100, Weight: 1,
			Fields: map[string]string{"host.name": "host", "user.name": "user"}},
		Escalation: map[string]Duration{"critical": Duration(15 * time.Minute), "high": Duration(time.Hour)},
		Notify: Notify{Interval: Duration(2 * time.Second), MaxAttempts: 8, Backoff: Duration(5 * time.Second),
			MaxBackoff: Duration(10 * time.Minute), Timeout: Duration(15 * time.Second), Workers: 4},
	}
}

// Demo configures the traffic generator of `serve --demo`.
type Demo struct {
	Enabled bool    `yaml:"enabled"`
	Rate    float64 `yaml:"rate"` // background events per second
	Seed    int64   `yaml:"seed"`
	Tenant  string  `yaml:"tenant"`
}

// Duration reads "15m"-style durations from YAML.
type Duration time.Duration

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration (use e.g. 90s, 15m, 1h): %w", n.Line, n.Value, err)
	}
	*d = Duration(v)
	return nil
}

// Default returns the built-in defaults.
func Default() Config {
	return Config{
		Data:     "./data",
		LogLevel: "info",
		HTTP:     HTTP{Addr: "127.0.0.1:8080", MaxBodyBytes: 16 << 20, ReadTimeout: Duration(5 * time.Minute)},
		Syslog: Syslog{Addr: "127.0.0.1:5514", Tenant: "default", Networks: map[string]string{},
			TLS: ListenerTLS{ClientCerts: map[string]string{}}},
		RELP:      RELP{Tenant: "default", Networks: map[string]string{}, TLS: ListenerTLS{ClientCerts: map[string]string{}}},
		Pipeline:  Pipeline{QueueBatches: 64, MaxWriteEvents: 20000, MaxLineBytes: 64 << 10},
		Detect:    Detection{Builtin: true},
		Alerts:    DefaultAlerts(),
		Demo:      Demo{Rate: 200, Seed: 1, Tenant: "default"},
		Events:    Events{MemoryLimit: "2GB"},
		Retention: Retention{Interval: Duration(time.Hour)},
		Reporting: Reporting{RequiredRetentionDays: 365},
		Cases:     Cases{AutoOpenSeverity: "critical", AutoOpenRisk: true},
	}
}

// Load reads path (if not empty) over the defaults, then applies env.
// A missing file named explicitly is an error; unknown keys are errors too,
// so a typo never silently falls back to a default.
func Load(path string, env func(string) string) (Config, error) {
	cfg := Default()
	if path != "" {
		body, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("config: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(body))
		dec.KnownFields(true)
		// An empty file is valid: it just sets nothing.
		if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
			return cfg, fmt.Errorf("config %s: %w", path, err)
		}
	}
	if err := applyEnv(&cfg, env); err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

// envVars maps each environment variable to the setting it overrides.
var envVars = []struct {
	name string
	set  func(c *Config, v string) error
}{
	{"YAGURA_DATA", func(c *Config, v string) error { c.Data = v; return nil }},
	{"YAGURA_LOG_LEVEL", func(c *Config, v string) error { c.LogLevel = v; return nil }},
	{"YAGURA_HTTP_ADDR", func(c *Config, v string) error { c.HTTP.Addr = v; return nil }},
	{"YAGURA_SYSLOG_ADDR", func(c *Config, v string) error { c.Syslog.Addr = v; return nil }},
	{"YAGURA_HTTP_MAX_BODY_BYTES", func(c *Config, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		c.HTTP.MaxBodyBytes = n
		return err
	}},
	{"YAGURA_PIPELINE_WORKERS", func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		c.Pipeline.Workers = n
		return err
	}},
	{"YAGURA_DEMO_RATE", func(c *Config, v string) error {
		n, err := strconv.ParseFloat(v, 64)
		c.Demo.Rate = n
		return err
	}},
}

func applyEnv(c *Config, env func(string) string) error {
	if env == nil {
		return nil
	}
	for _, e := range envVars {
		if v := env(e.name); v != "" {
			if err := e.set(c, v); err != nil {
				return fmt.Errorf("config: %s=%q: %w", e.name, v, err)
			}
		}
	}
	return nil
}

// Validate reports settings that cannot work.
func (c Config) Validate() error {
	switch {
	case c.Data == "":
		return errors.New("config: data must name a folder")
	case c.HTTP.MaxBodyBytes <= 0:
		return errors.New("config: http.max_body_bytes must be positive")
	case c.HTTP.ReadTimeout <= 0:
		return errors.New("config: http.read_timeout must be positive, e.g. 5m (a whole request, body included, at the slowest client's speed)")
	case c.Pipeline.QueueBatches <= 0:
		return errors.New("config: pipeline.queue_batches must be positive")
	case c.Pipeline.MaxWriteEvents <= 0:
		return errors.New("config: pipeline.max_write_events must be positive")
	case c.Pipeline.MaxLineBytes <= 0:
		return errors.New("config: pipeline.max_line_bytes must be positive")
	case (c.HTTP.TLSCert == "") != (c.HTTP.TLSKey == ""):
		return errors.New("config: http.tls_cert and http.tls_key go together")
	case c.Alerts.DedupWindow < 0 || c.Alerts.EntityRisk.Threshold < 0 || c.Alerts.EntityRisk.Weight < 0:
		return errors.New("config: alerts.dedup_window, alerts.entity_risk.threshold and weight must not be negative")
	case c.Alerts.EntityRisk.Threshold > 0 && c.Alerts.EntityRisk.HalfLife <= 0:
		return errors.New("config: alerts.entity_risk.half_life must be positive (e.g. 24h), or set threshold to 0")
	case c.Alerts.Notify.MaxAttempts < 1:
		return errors.New("config: alerts.notify.max_attempts must be at least 1")
	case c.Syslog.TLSAddr != "" && (c.Syslog.TLS.TLSCert == "" || c.Syslog.TLS.TLSKey == ""):
		return errors.New("config: syslog.tls_addr needs syslog.tls_cert and syslog.tls_key")
	case c.Syslog.UDPReadBuffer < 0:
		return errors.New("config: syslog.udp_read_buffer must not be negative")
	case (c.RELP.TLS.TLSCert == "") != (c.RELP.TLS.TLSKey == ""):
		return errors.New("config: relp.tls_cert and relp.tls_key go together")
	}
	return nil
}

// EventsPath is the event store file.
func (c Config) EventsPath() string { return filepath.Join(c.Data, "events.duckdb") }

// TLSPath is the folder of generated TLS material.
func (c Config) TLSPath() string { return filepath.Join(c.Data, "tls") }

// EvidencePath is the folder of case evidence files.
func (c Config) EvidencePath() string { return filepath.Join(c.Data, "evidence") }

// ArchivePath is the folder of retention archives (Parquet).
func (c Config) ArchivePath() string { return filepath.Join(c.Data, "archive") }

// StatePath is the state store file.
func (c Config) StatePath() string { return filepath.Join(c.Data, "state.db") }
