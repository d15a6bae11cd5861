// Package intake joins the HTTP sources that shippers speak (Splunk HEC,
// Elasticsearch _bulk, OTLP/HTTP logs) into one list of routes, so that
// the server mounts them and the OpenAPI conformance test checks them
// from the same place. It holds no logic of its own.
package intake

import (
	"github.com/yagura-soc/yagura/internal/ingest"
	"github.com/yagura-soc/yagura/internal/ingest/bulk"
	"github.com/yagura-soc/yagura/internal/ingest/hec"
	"github.com/yagura-soc/yagura/internal/ingest/otlp"
)

// Routes are every HTTP intake endpoint, built on d.
func Routes(d ingest.HTTPDeps) []ingest.Route {
	var all []ingest.Route
	all = append(all, hec.New(hec.Config{HTTPDeps: d}).Routes()...)
	all = append(all, bulk.New(bulk.Config{HTTPDeps: d}).Routes()...)
	all = append(all, otlp.New(otlp.Config{HTTPDeps: d}).Routes()...)
	return all
}
