package kv

import (
	"testing"

	"github.com/yagura-soc/yagura/internal/parse/parsetest"
)

func TestGolden(t *testing.T) { parsetest.Golden(t, "records", Parser{}) }
