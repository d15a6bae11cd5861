package hec

import "github.com/yagura-soc/yagura/internal/ingest"

// Config of the HEC endpoints. They take their limits from the HTTP
// listener they are mounted on; there is nothing HEC-specific to set yet,
// and the type exists so every source keeps the same shape.
type Config struct {
	ingest.HTTPDeps
}
