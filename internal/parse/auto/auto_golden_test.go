package auto

import (
	"testing"

	"github.com/yagura-soc/yagura/internal/parse/parsetest"
	"time"

	"github.com/yagura-soc/yagura/internal/parse/rfc3164"
)

func TestGolden(t *testing.T) {
	parsetest.Golden(t, "records", Parser{Parsers: Parsers{Syslog: rfc3164.Parser{Now: now}}})
}

// FuzzParse checks that no input panics and that a parsed record always
// names its format.
func FuzzParse(f *testing.F) {
	parsetest.Seed(f, "records")
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := (Parser{Parsers: Parsers{Syslog: rfc3164.Parser{Now: now}}}).Parse(data)
		if err == nil && rec.Format == "" {
			t.Errorf("parsed without a format: %q", data)
		}
	})
}

var now = func() time.Time { return time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC) }
