// Package parse defines what a log parser is. Each format lives in its own
// sub-package (parse/rfc5424, parse/cef, parse/evtx, …) with the same shape:
// a pure function from bytes to a Record, no I/O, no shared state, fuzzed.
// Parsers never panic on input; they return an error that names the problem.
package parse

import (
	"time"

	"github.com/yagura-soc/yagura/internal/event"
)

// Record is what a parser makes of one log record.
type Record struct {
	// Format names the parser that produced the record ("rfc5424", "cef",
	// "winevent", …); the normalizer picks its mapping by it.
	Format string
	// Time is the record's own timestamp, UTC; zero when it has none.
	Time time.Time
	// Fields are the parsed fields under their native names, flattened to
	// dotted keys (see event.Fields for the value types).
	Fields event.Fields
}

// Parser turns one record's bytes into a Record.
type Parser interface {
	// Name is the format name that appears in Record.Format and in config.
	Name() string
	// Parse parses one record. It must not retain data after returning.
	Parse(data []byte) (Record, error)
}

// Head is at most the first n bytes of s: the part of a bad record an
// error message quotes.
func Head(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
