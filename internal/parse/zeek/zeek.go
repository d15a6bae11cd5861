// Package zeek parses Zeek (Bro) logs in both of Zeek's writers' forms: TSV
// with its "#fields"/"#types" header, and JSON lines. Both produce the same
// fields: values typed by Zeek's column types (count/int/port → int64,
// double/interval → float64, bool → bool, set/vector → list), unset ("-")
// fields left out as the JSON writer does, "ts" as RFC 3339 UTC with
// microseconds, and "_path" naming the log (conn, ssh, notice, …).
//
// TSV needs the header state: a Reader consumes header lines and parses
// data lines; Parser parses JSON lines, and TSV lines once given a Header.
// Pure functions: no I/O, never panics.
package zeek

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/parse"
	"github.com/yagura-soc/yagura/internal/parse/jsonlog"
)

// Format is the record format name.
const Format = "zeek"

// Header is the state a TSV log's "#" lines set.
type Header struct {
	Path         string
	Fields       []string
	Types        []string
	Separator    string
	SetSeparator string
	Empty        string
	Unset        string
}

// Parser parses one Zeek record: a JSON line, or a TSV line under Header.
type Parser struct {
	// Header is the TSV header in force (nil: JSON only).
	Header *Header
	// Path names the log for JSON lines without "_path" (a file name).
	Path string
}

// Name implements parse.Parser.
func (Parser) Name() string { return Format }

// Looks reports whether a JSON object is a Zeek record (it has "_path", or
// "uid" with "id.orig_h").
func Looks(data []byte) bool {
	s := data[:min(len(data), 300)] // bytes, not a string copy: this runs on every JSON line
	return bytes.HasPrefix(s, []byte(`{"_path":`)) || (bytes.Contains(s, []byte(`"uid":"C`)) && bytes.Contains(s, []byte(`"id.orig_h":`)))
}

// Parse implements parse.Parser.
func (p Parser) Parse(data []byte) (parse.Record, error) {
	if len(data) > 0 && data[0] == '{' {
		return p.parseJSON(data)
	}
	if p.Header == nil {
		return parse.Record{}, fmt.Errorf("zeek: TSV line without a #fields header: feed the log through a Reader")
	}
	return p.Header.parse(string(data))
}

// Reader parses a TSV log line by line, keeping the header state.
type Reader struct {
	h Header
}

// Line parses one line. Header lines update the state and return ok=false.
func (r *Reader) Line(line []byte) (rec parse.Record, ok bool, err error) {
	s := strings.TrimRight(string(line), "\r\n")
	if s == "" {
		return parse.Record{}, false, nil
	}
	if s[0] == '#' {
		r.header(s)
		return parse.Record{}, false, nil
	}
	if len(r.h.Fields) == 0 {
		return parse.Record{}, false, fmt.Errorf("zeek: data line before the #fields header")
	}
	rec, err = r.h.parse(s)
	return rec, err == nil, err
}

// Header returns the header in force.
func (r *Reader) Header() *Header { h := r.h; return &h }

func (r *Reader) header(s string) {
	if r.h.Separator == "" {
		r.h = Header{Separator: "\t", SetSeparator: ",", Empty: "(empty)", Unset: "-"}
	}
	if v, ok := strings.CutPrefix(s, "#separator "); ok {
		r.h.Separator = unhex(v)
		return
	}
	name, rest, _ := strings.Cut(s[1:], r.h.Separator)
	switch name {
	case "set_separator":
		r.h.SetSeparator = rest
	case "empty_field":
		r.h.Empty = rest
	case "unset_field":
		r.h.Unset = rest
	case "path":
		r.h.Path = rest
	case "fields":
		r.h.Fields = strings.Split(rest, r.h.Separator)
	case "types":
		r.h.Types = strings.Split(rest, r.h.Separator)
	}
}

// unhex decodes "\x09" escapes in the #separator line.
func unhex(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && s[i+1] == 'x' {
			if n, err := strconv.ParseUint(s[i+2:i+4], 16, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func (h *Header) parse(s string) (parse.Record, error) {
	cols := strings.Split(s, h.Separator)
	if len(cols) != len(h.Fields) {
		return parse.Record{}, fmt.Errorf("zeek: line has %d columns, the #fields header %d", len(cols), len(h.Fields))
	}
	f := make(event.Fields, len(cols)+1)
	if h.Path != "" {
		f["_path"] = h.Path
	}
	for i, v := range cols {
		if v == h.Unset {
			continue
		}
		typ := "string"
		if i < len(h.Types) {
			typ = h.Types[i]
		}
		f[h.Fields[i]] = h.value(typ, v)
	}
	return finish(f)
}

func (h *Header) value(typ, v string) any {
	if inner, ok := strings.CutPrefix(typ, "set["); ok {
		return h.list(strings.TrimSuffix(inner, "]"), v)
	}
	if inner, ok := strings.CutPrefix(typ, "vector["); ok {
		return h.list(strings.TrimSuffix(inner, "]"), v)
	}
	if v == h.Empty {
		return ""
	}
	switch typ {
	case "count", "int", "port":
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n
		}
	case "double", "interval":
		if x, err := strconv.ParseFloat(v, 64); err == nil {
			return x
		}
	case "time":
		// The JSON writer renders every time column as ISO 8601 text.
		if x, err := strconv.ParseFloat(v, 64); err == nil {
			return isoTime(epochTime(x))
		}
	case "bool":
		return v == "T"
	}
	return unescape(v)
}

func (h *Header) list(typ, v string) any {
	out := []any{}
	if v == h.Empty {
		return out
	}
	for _, item := range strings.Split(v, h.SetSeparator) {
		out = append(out, h.value(typ, item))
	}
	return out
}

// unescape decodes the ASCII writer's escapes: "\\" for a backslash and
// "\xHH" for separators and non-printable bytes.
func unescape(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			if s[i+1] == '\\' {
				b.WriteByte('\\')
				i++
				continue
			}
			if s[i+1] == 'x' && i+3 < len(s) {
				if n, err := strconv.ParseUint(s[i+2:i+4], 16, 8); err == nil {
					b.WriteByte(byte(n))
					i += 3
					continue
				}
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func (p Parser) parseJSON(data []byte) (parse.Record, error) {
	f := make(event.Fields, 24)
	if err := jsonlog.Flatten(data, f); err != nil {
		return parse.Record{}, fmt.Errorf("zeek: %w", err)
	}
	delete(f, "_write_ts") // the JSON writer's own clock; TSV has no such column
	for k, v := range f {
		// The TSV writer prints doubles with six decimals; JSON prints
		// them in full. Six decimals (microseconds for intervals) it is.
		if x, ok := v.(float64); ok {
			f[k] = math.Round(x*1e6) / 1e6
		}
	}
	if _, ok := f["_path"]; !ok && p.Path != "" {
		f["_path"] = p.Path
	}
	return finish(f)
}

// finish renders "ts" canonically and sets the record time.
func finish(f event.Fields) (parse.Record, error) {
	var ts time.Time
	switch v := f["ts"].(type) {
	case float64:
		ts = epochTime(v)
	case int64:
		ts = time.Unix(v, 0).UTC()
	case string:
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return parse.Record{}, fmt.Errorf("zeek: ts %q is neither epoch seconds nor RFC 3339", v)
		}
		ts = t.UTC().Round(time.Microsecond)
	}
	if !ts.IsZero() {
		f["ts"] = isoTime(ts)
	}
	return parse.Record{Format: Format, Time: ts, Fields: f}, nil
}

func epochTime(x float64) time.Time {
	sec, frac := math.Modf(x)
	return time.Unix(int64(sec), int64(math.Round(frac*1e6))*1000).UTC()
}

// isoTime renders a time as Zeek's JSON writer does (ISO 8601, µs, UTC).
func isoTime(t time.Time) string { return t.Format("2006-01-02T15:04:05.000000Z") }
