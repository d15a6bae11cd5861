package relp

import (
	"crypto/tls"
	"time"

	"github.com/yagura-soc/yagura/internal/ingest"
)

// Config of a RELP listener.
type Config struct {
	Addr   string // host:port
	Tenant string // tenant of records whose sender no other rule maps
	// Networks and (with TLS) client certificates pick other tenants for
	// some senders (see ingest.TenantMap).
	Networks []ingest.NetworkTenant
	Certs    map[string]string
	// TLS, when set, makes the listener speak RELP over TLS (rsyslog's
	// omrelp tls="on").
	TLS *tls.Config
	// MaxRecordBytes cuts longer records (they are flagged truncated).
	MaxRecordBytes int
	// BatchSize bounds how many records wait for one acknowledgement.
	// rsyslog's omrelp keeps at most its window (128 by default) in flight.
	BatchSize int
	// WriteTimeout bounds how long an acknowledgement may wait for a
	// client that does not read.
	WriteTimeout time.Duration
}

func (c *Config) setDefaults() {
	if c.MaxRecordBytes <= 0 {
		c.MaxRecordBytes = ingest.DefaultMaxRecordBytes
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 1000
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 30 * time.Second
	}
}
