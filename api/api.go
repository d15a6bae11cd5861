// Package api holds Yagura's HTTP API description, embedded so that the
// server can serve it and tests can check it against the router.
package api

import _ "embed"

// OpenAPI is the OpenAPI 3 document in YAML.
//
//go:embed openapi.yaml
var OpenAPI []byte
