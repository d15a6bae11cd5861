// Package leef parses IBM QRadar Log Event Extended Format records:
//
//	LEEF:1.0|Vendor|Product|Version|EventID|k=v<TAB>k=v
//	LEEF:2.0|Vendor|Product|Version|EventID|^|k=v^k=v
//
// LEEF 1.0 separates attributes by tabs; 2.0 names its delimiter in a sixth
// header field, as a character or as hex ("x5E", "0x5E"). A syslog header
// before "LEEF:" is read for the host and time.
//
// Pure function of its input: no I/O, no shared state, never panics.
package leef

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
const Format = "leef"

// Parser parses LEEF records.
type Parser struct {
	// Syslog reads a syslog header before "LEEF:"; its Location is also
	// the zone of devTime values that carry none.
	Syslog rfc3164.Parser
}

// Name implements parse.Parser.
func (Parser) Name() string { return Format }

// Looks reports whether data is a LEEF record, bare or after a syslog header.
func Looks(data []byte) bool {
	n := min(len(data), 400)
	return strings.HasPrefix(string(data), "LEEF:") || strings.Contains(string(data[:n]), " LEEF:")
}

// Parse implements parse.Parser.
func (p Parser) Parse(data []byte) (parse.Record, error) {
	s := string(data)
	start := strings.Index(s, "LEEF:")
	if start < 0 {
		return parse.Record{}, fmt.Errorf("leef: no 'LEEF:' in %q", parse.Head(s, 40))
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
	parts := strings.SplitN(s[start+5:], "|", 6)
	if len(parts) < 6 {
		return parse.Record{}, fmt.Errorf("leef: header has %d of 6 '|'-separated fields: expected LEEF:Version|Vendor|Product|Version|EventID|attributes", len(parts))
	}
	version := parts[0]
	f["leef.version"] = version
	f["device.vendor"], f["device.product"], f["device.version"], f["event_id"] = parts[1], parts[2], parts[3], parts[4]
	attrs := parts[5]
	delim := "\t"
	if strings.HasPrefix(version, "2") {
		// The delimiter field ends at the next '|'; it may be empty (tab).
		d, rest, ok := strings.Cut(attrs, "|")
		if !ok {
			return parse.Record{}, fmt.Errorf("leef: LEEF 2.0 header lacks the delimiter field")
		}
		if d != "" {
			dd, err := delimiter(d)
			if err != nil {
				return parse.Record{}, err
			}
			delim = dd
		}
		attrs = rest
	}
	for _, kv := range strings.Split(attrs, delim) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(k) == "" {
			continue
		}
		f[strings.TrimSpace(k)] = v
	}
	if t := p.devTime(f); !t.IsZero() {
		ts = t
	}
	return parse.Record{Format: Format, Time: ts, Fields: f}, nil
}

// delimiter reads LEEF 2.0's delimiter: one character, or hex "x5E"/"0x5E".
func delimiter(d string) (string, error) {
	h := strings.TrimPrefix(strings.TrimPrefix(strings.ToLower(d), "0"), "x")
	if len(d) > 1 && (strings.HasPrefix(d, "x") || strings.HasPrefix(d, "0x") || strings.HasPrefix(d, "X")) {
		n, err := strconv.ParseUint(h, 16, 8)
		if err != nil || n == 0 {
			return "", fmt.Errorf("leef: delimiter %q is not a character or hex code like x5E", d)
		}
		return string(rune(n)), nil
	}
	if len(d) != 1 {
		return "", fmt.Errorf("leef: delimiter %q is not a single character or hex code like x5E", d)
	}
	return d, nil
}

// devTime reads devTime with its devTimeFormat (Java SimpleDateFormat's
// common patterns), or epoch milliseconds.
func (p Parser) devTime(f event.Fields) time.Time {
	v, _ := f["devTime"].(string)
	if v == "" {
		return time.Time{}
	}
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil && ms > 0 {
		return time.UnixMilli(ms).UTC()
	}
	loc := p.Syslog.Location
	if loc == nil {
		loc = time.UTC
	}
	layouts := []string{"Jan 02 2006 15:04:05.000 MST", "Jan 02 2006 15:04:05", "Jan 2 2006 15:04:05", time.RFC3339Nano, "2006-01-02 15:04:05"}
	if format, _ := f["devTimeFormat"].(string); format != "" {
		layouts = append([]string{javaLayout(format)}, layouts...)
	}
	for _, l := range layouts {
		if t, err := time.ParseInLocation(l, v, loc); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// javaLayout turns the SimpleDateFormat letters LEEF sources use into a Go
// layout.
func javaLayout(j string) string {
	r := strings.NewReplacer("yyyy", "2006", "MMM", "Jan", "MM", "01", "dd", "02", "HH", "15", "mm", "04", "ss", "05",
		"SSS", "000", "zzz", "MST", "z", "MST", "Z", "-0700", "XXX", "Z07:00", "a", "PM", "hh", "03")
	return r.Replace(j)
}
