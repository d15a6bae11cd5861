package otlp

import "github.com/yagura-soc/yagura/internal/ingest"

// Config of the OTLP/HTTP logs endpoint. It takes its limits from the
// HTTP listener it is mounted on; the type keeps every source's shape.
type Config struct {
	ingest.HTTPDeps
}
