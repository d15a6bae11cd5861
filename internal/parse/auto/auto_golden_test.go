package auto

import (
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/parse/parsetest"
	"github.com/yagura-soc/yagura/internal/parse/rfc3164"
)

// golden is the parser the golden and fuzz tests run: syslog's year is
// fixed so the records do not drift with the calendar.
var golden = Parser{Parsers: Parsers{Syslog: rfc3164.Parser{Now: now}}}

func TestGolden(t *testing.T) { parsetest.Golden(t, "records", golden) }

// FuzzParse: no input panics; a parsed record always names its format.
func FuzzParse(f *testing.F) { parsetest.Fuzz(f, "records", golden) }

var now = func() time.Time { return time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC) }
