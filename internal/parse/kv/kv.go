// Package kv parses key=value records as firewalls and appliances write
// them (FortiGate, Palo Alto custom formats, Check Point, pfSense filterlog
// in kv mode, generic "a=1 b=\"two words\""): pairs separated by white
// space or commas, values bare or quoted with " or ', backslash escapes
// inside quotes. An optional leading "<PRI>" and syslog header are skipped
// by the caller (the syslog parsers) or here when the record starts with
// "<". Values stay strings: the normalizer decides what is a number.
//
// Pure function of its input: no I/O, no shared state, never panics.
package kv

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/parse"
)

// Format is the record format name.
const Format = "kv"

// Parser parses key=value records.
type Parser struct {
	// Location is the zone of date/time pairs that carry none (default UTC).
	Location *time.Location
}

// Name implements parse.Parser.
func (Parser) Name() string { return Format }

// ErrNoPairs means the record holds no key=value pair.
var ErrNoPairs = errors.New("kv: no key=value pair found: expected records like 'src=10.0.0.1 action=deny'")

// Parse implements parse.Parser.
func (p Parser) Parse(data []byte) (parse.Record, error) {
	s := string(data)
	f := make(event.Fields, 24)
	if len(s) > 2 && s[0] == '<' {
		if end := strings.IndexByte(s[:min(len(s), 6)], '>'); end > 1 {
			if pri, err := strconv.Atoi(s[1:end]); err == nil && pri <= 191 {
				f["syslog.priority"] = int64(pri)
				f["syslog.facility"] = int64(pri / 8)
				f["syslog.severity"] = int64(pri % 8)
				s = s[end+1:]
			}
		}
	}
	if pairsInto(s, f) == 0 {
		return parse.Record{}, ErrNoPairs
	}
	return parse.Record{Format: Format, Time: p.timeOf(f), Fields: f}, nil
}

// Pairs returns every key=value pair of s. Words without '=' are skipped;
// a repeated key keeps its first value.
func Pairs(s string) event.Fields {
	f := make(event.Fields, 16)
	pairsInto(s, f)
	return f
}

// Int reads f[key] as a decimal integer (values stay strings in Fields).
func Int(f event.Fields, key string) (int64, bool) {
	switch v := f[key].(type) {
	case int64:
		return v, true
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		return n, err == nil
	}
	return 0, false
}

// Into adds the pairs of s to f (keeping values already there) and returns
// how many it added; callers that merge several parts fill one map.
func Into(s string, f event.Fields) int { return pairsInto(s, f) }

// pairsInto adds the pairs of s to f and returns how many it added.
func pairsInto(s string, f event.Fields) int {
	n := 0
	i := 0
	for i < len(s) {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == ',' || s[i] == ';' || s[i] == '|') {
			i++
		}
		start := i
		for i < len(s) && isKeyByte(s[i]) {
			i++
		}
		if i == start || i >= len(s) || s[i] != '=' {
			// Not a key: skip the word (and a quoted run inside it).
			for i < len(s) && s[i] != ' ' && s[i] != '\t' {
				if s[i] == '"' || s[i] == '\'' {
					_, i = quoted(s, i)
					continue
				}
				i++
			}
			continue
		}
		key := s[start:i]
		i++ // '='
		var val string
		if i < len(s) && (s[i] == '"' || s[i] == '\'') {
			val, i = quoted(s, i)
		} else {
			vs := i
			for i < len(s) && s[i] != ' ' && s[i] != '\t' && s[i] != ',' {
				i++
			}
			val = s[vs:i]
		}
		if _, dup := f[key]; !dup {
			f[key] = val
			n++
		}
	}
	return n
}

func isKeyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-' || c == ':' || c == '@'
}

// quoted reads a value quoted with s[i] and returns it unescaped and the
// index after the closing quote (or the end when it is missing).
func quoted(s string, i int) (string, int) {
	q := s[i]
	i++
	start := i
	for i < len(s) && s[i] != q && s[i] != '\\' {
		i++
	}
	if i >= len(s) {
		return s[start:], i
	}
	if s[i] == q {
		return s[start:i], i + 1
	}
	var b strings.Builder
	b.WriteString(s[start:i])
	for i < len(s) && s[i] != q {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
		i++
	}
	if i < len(s) {
		i++
	}
	return b.String(), i
}

// timeOf reads the record time from the keys firewalls use: FortiGate's
// eventtime (epoch, s/ms/µs/ns) or date+time, or a single RFC 3339
// timestamp/time/rt key.
func (p Parser) timeOf(f event.Fields) time.Time {
	str := func(k string) string { s, _ := f[k].(string); return s }
	if et := str("eventtime"); et != "" {
		if n, err := strconv.ParseInt(et, 10, 64); err == nil && n > 0 {
			if n > 1e11 { // ms, µs, ns → s keeping the fraction
				switch {
				case n > 1e17:
					return time.Unix(0, n).UTC()
				case n > 1e14:
					return time.UnixMicro(n).UTC()
				default:
					return time.UnixMilli(n).UTC()
				}
			}
			return time.Unix(n, 0).UTC()
		}
	}
	loc := p.Location
	if loc == nil {
		loc = time.UTC
	}
	if d, t := str("date"), str("time"); d != "" && t != "" {
		for _, layout := range []string{"2006-01-02 15:04:05", "2006/01/02 15:04:05", "2006-01-02 15:04:05.999999999"} {
			if ts, err := time.ParseInLocation(layout, d+" "+t, loc); err == nil {
				return ts.UTC()
			}
		}
	}
	for _, k := range []string{"timestamp", "time", "rt", "@timestamp", "ts"} {
		v := str(k)
		if v == "" {
			continue
		}
		if ts, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return ts.UTC()
		}
		if ts, err := time.ParseInLocation("2006-01-02T15:04:05", v, loc); err == nil {
			return ts.UTC()
		}
		if ts, err := time.ParseInLocation("2006-01-02 15:04:05", v, loc); err == nil {
			return ts.UTC()
		}
	}
	return time.Time{}
}
