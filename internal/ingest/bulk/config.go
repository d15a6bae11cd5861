package bulk

import "github.com/yagura-soc/yagura/internal/ingest"

// Config of the Elasticsearch-compatible endpoints.
type Config struct {
	ingest.HTTPDeps
	// Version is the Elasticsearch version announced at GET /. Shippers
	// check it to pick their request format; 8.x makes Beats, Logstash,
	// Fluent Bit and Vector send typeless bulk requests.
	Version string
}

// DefaultVersion is announced when Config.Version is empty.
const DefaultVersion = "8.17.0"
