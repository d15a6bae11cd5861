// Package cef parses ArcSight Common Event Format records:
//
//	CEF:Version|Vendor|Product|Version|SignatureID|Name|Severity|Extension
//
// Header fields escape '|' and '\'; extension values escape '=', '\' and
// line breaks and run to the next " key=". Custom fields are renamed by
// their labels (cs1Label=Policy cs1=Allow → "Policy" = "Allow", cs1 kept).
// A syslog header before "CEF:" is read for the host and time.
//
// Pure function of its input: no I/O, no shared state, never panics.
package cef

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/parse"
	"github.com/yagura-soc/yagura/internal/parse/rfc3164"
)

// Format is the record format name.
const Format = "cef"

// Parser parses CEF records.
type Parser struct {
	// Syslog reads a syslog header before "CEF:" (its zone and clock).
	Syslog rfc3164.Parser
}

// Name implements parse.Parser.
func (Parser) Name() string { return Format }

// Looks reports whether data is a CEF record, bare or after a syslog header.
func Looks(data []byte) bool {
	n := min(len(data), 400)
	return strings.HasPrefix(string(data), "CEF:") || strings.Contains(string(data[:n]), " CEF:")
}

var headerNames = [...]string{"cef.version", "device.vendor", "device.product", "device.version", "signature_id", "name", "severity"}

// Parse implements parse.Parser.
func (p Parser) Parse(data []byte) (parse.Record, error) {
	s := string(data)
	start := strings.Index(s, "CEF:")
	if start < 0 {
		return parse.Record{}, fmt.Errorf("cef: no 'CEF:' in %q", parse.Head(s, 40))
	}
	f := make(event.Fields, 24)
	var ts time.Time
	if start > 0 {
		if hdr, err := p.Syslog.Header(s[:start]); err == nil {
			ts = hdr.Time
			if h, ok := hdr.Fields["host"]; ok {
				f["syslog.host"] = h
			}
		}
	}
	rest := s[start+4:]
	for i := 0; i < len(headerNames); i++ {
		v, r, ok := headerField(rest)
		if !ok {
			return parse.Record{}, fmt.Errorf("cef: header has %d of 8 '|'-separated fields: expected Version|Vendor|Product|Version|SignatureID|Name|Severity|Extension", i+1)
		}
		f[headerNames[i]] = v
		rest = r
	}
	Extension(rest, f)
	if ts.IsZero() {
		ts = extTime(f)
	}
	return parse.Record{Format: Format, Time: ts, Fields: f}, nil
}

// headerField reads up to the next unescaped '|'.
func headerField(s string) (string, string, bool) {
	// Most header fields have no escapes: return a substring, no copy.
	if i := strings.IndexAny(s, `|\`); i >= 0 && s[i] == '|' {
		return s[:i], s[i+1:], true
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 < len(s) && (s[i+1] == '|' || s[i+1] == '\\') {
				i++
			}
			b.WriteByte(s[i])
		case '|':
			return b.String(), s[i+1:], true
		default:
			b.WriteByte(s[i])
		}
	}
	return "", "", false
}

// Extension reads "k=v k2=v with spaces k3=v3" into f, unescaping values
// and applying custom labels (csN, cnN, cfpN, deviceCustomDate, flexString…).
func Extension(s string, f event.Fields) {
	s = strings.TrimSpace(s)
	for s != "" {
		eq := unescapedEq(s, 0)
		if eq <= 0 {
			return
		}
		key := strings.TrimSpace(s[:eq])
		// The value runs to the last space before the next unescaped "key=".
		end := len(s)
		next := eq + 1
		for {
			e := unescapedEq(s, next)
			if e < 0 {
				break
			}
			sp := strings.LastIndexByte(s[:e], ' ')
			if sp > eq && isKey(s[sp+1:e]) {
				end = sp
				break
			}
			next = e + 1
		}
		f[key] = unescape(s[eq+1 : end])
		s = strings.TrimLeft(s[end:], " ")
	}
	for k, v := range f {
		label, ok := strings.CutSuffix(k, "Label")
		if !ok || label == "" {
			continue
		}
		if val, ok := f[label]; ok {
			if name, _ := v.(string); name != "" {
				if _, taken := f[name]; !taken {
					f[name] = val
				}
			}
		}
	}
}

func unescapedEq(s string, from int) int {
	for i := from; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if s[i] == '=' {
			return i
		}
	}
	return -1
}

func isKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-' || c == '[' || c == ']') {
			return false
		}
	}
	return true
}

func unescape(v string) string {
	if strings.IndexByte(v, '\\') < 0 {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			i++
			switch v[i] {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			default:
				b.WriteByte(v[i])
			}
			continue
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// extTime reads rt (or end, start): epoch milliseconds or one of the
// text forms the CEF specification allows.
func extTime(f event.Fields) time.Time {
	for _, k := range []string{"rt", "end", "start"} {
		v, _ := f[k].(string)
		if v == "" {
			continue
		}
		if ms, err := strconv.ParseInt(v, 10, 64); err == nil && ms > 0 {
			return time.UnixMilli(ms).UTC()
		}
		for _, layout := range []string{"Jan 02 2006 15:04:05.000 MST", "Jan 02 2006 15:04:05 MST", "Jan 02 2006 15:04:05.000", "Jan 02 2006 15:04:05", "Jan 2 2006 15:04:05", time.RFC3339Nano} {
			if t, err := time.Parse(layout, v); err == nil {
				return t.UTC()
			}
		}
	}
	return time.Time{}
}
