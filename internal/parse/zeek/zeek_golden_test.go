package zeek

import (
	"testing"

	"github.com/yagura-soc/yagura/internal/parse/parsetest"
)

func TestGolden(t *testing.T) { parsetest.Golden(t, "records", Parser{}) }

// FuzzParse checks that no input panics and that a parsed record always
// names its format.
func FuzzParse(f *testing.F) {
	parsetest.Seed(f, "records")
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := (Parser{}).Parse(data)
		if err == nil && rec.Format == "" {
			t.Errorf("parsed without a format: %q", data)
		}
	})
}
