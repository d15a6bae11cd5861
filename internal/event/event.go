// Package event defines the one record type every stage of Yagura passes
// along: sources create events, parsers and the normalizer fill them,
// detectors read them, stores persist them.
//
// An event keeps two views of the same log record side by side: Fields holds
// what the parser found under the source's native names (so Sigma rules
// written against "Image" or "EventID" match), ECS holds the normalized
// Elastic Common Schema names ("process.executable", "event.code"). Get
// resolves a dotted name against either. Both maps are flat: nested input is
// flattened to dotted keys by the parser, so a lookup is one map access.
//
// This package must stay free of I/O and of any dependency on other Yagura
// packages: everything imports it.
package event

import (
	"strconv"
	"time"
)

// Fields maps flat, dotted field names to values. A value is one of: string,
// int64, float64, bool, nil, or []any of those.
type Fields map[string]any

// Event is one log record on its way through the pipeline.
type Event struct {
	Tenant    string    // owning tenant; never empty once accepted
	ID        string    // unique, time-sortable (ULID)
	Timestamp time.Time // @timestamp: when it happened, UTC
	Ingested  time.Time // event.ingested: when Yagura received it, UTC
	Source    string    // the intake that produced it: "http", "syslog", "demo", a file name
	Raw       string    // the original text, kept verbatim (event.original)

	Fields Fields // parsed fields under the source's native names
	ECS    Fields // normalized ECS fields

	// ParseError is set when no parser could read Raw; the event is kept
	// with its raw text so nothing accepted is ever lost.
	ParseError string
}

// Names of the fields that live on the Event struct itself rather than in
// the maps; Get answers them too.
const (
	FieldTimestamp  = "@timestamp"
	FieldIngested   = "event.ingested"
	FieldOriginal   = "event.original"
	FieldParseError = "event.parse_error"
	FieldTenant     = "tenant"
	FieldID         = "event.id"
	FieldSource     = "yagura.source"
)

// Get resolves a dotted field name. Struct-level fields come first, then the
// normalized ECS view, then the native fields, so a rule may use either name.
func (e *Event) Get(name string) (any, bool) {
	if v, ok := e.ECS[name]; ok {
		return v, true
	}
	if v, ok := e.Fields[name]; ok {
		return v, true
	}
	switch name {
	case FieldTimestamp:
		return e.Timestamp.Format(time.RFC3339Nano), !e.Timestamp.IsZero()
	case FieldIngested:
		return e.Ingested.Format(time.RFC3339Nano), !e.Ingested.IsZero()
	case FieldOriginal:
		return e.Raw, e.Raw != ""
	case FieldParseError:
		return e.ParseError, e.ParseError != ""
	case FieldTenant:
		return e.Tenant, e.Tenant != ""
	case FieldID:
		return e.ID, e.ID != ""
	case FieldSource:
		return e.Source, e.Source != ""
	}
	return nil, false
}

// GetString resolves name and renders the value as a string (see String).
func (e *Event) GetString(name string) (string, bool) {
	v, ok := e.Get(name)
	if !ok {
		return "", false
	}
	return String(v), true
}

// SetECS sets a normalized field, creating the map on first use.
func (e *Event) SetECS(name string, v any) {
	if e.ECS == nil {
		e.ECS = make(Fields, 16)
	}
	e.ECS[name] = v
}

// String renders a field value the way a log shows it: numbers in decimal
// without exponent, booleans as true/false, nil as the empty string, lists
// joined by a comma.
func String(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case []any:
		out := make([]byte, 0, 16*len(x))
		for i, item := range x {
			if i > 0 {
				out = append(out, ',')
			}
			out = append(out, String(item)...)
		}
		return string(out)
	case []string:
		out := make([]byte, 0, 16*len(x))
		for i, item := range x {
			if i > 0 {
				out = append(out, ',')
			}
			out = append(out, item...)
		}
		return string(out)
	}
	return ""
}
