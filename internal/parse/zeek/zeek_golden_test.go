package zeek

import (
	"testing"

	"github.com/yagura-soc/yagura/internal/parse/parsetest"
)

func TestGolden(t *testing.T) { parsetest.Golden(t, "records", Parser{}) }

// FuzzParse: no input panics; a parsed record always names its format.
func FuzzParse(f *testing.F) { parsetest.Fuzz(f, "records", Parser{}) }
