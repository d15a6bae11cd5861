// Package suricata parses Suricata's EVE JSON output (eve.json): one JSON
// object per record with "event_type" (alert, flow, dns, http, tls, …),
// flattened to dotted keys ("alert.signature_id"). Suricata writes its
// timestamp with a "+0000"-style offset that RFC 3339 parsers refuse; it
// is read here. Records collected as a JSON array are split by Split.
//
// Pure functions: no I/O, no shared state, never panics.
package suricata

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/parse"
	"github.com/yagura-soc/yagura/internal/parse/jsonlog"
)

// Format is the record format name.
const Format = "suricata"

// Parser parses EVE records.
type Parser struct{}

// Name implements parse.Parser.
func (Parser) Name() string { return Format }

// Looks reports whether a JSON object is an EVE record.
func Looks(data []byte) bool {
	s := data[:min(len(data), 400)] // bytes, not a string copy: this runs on every JSON line
	return bytes.Contains(s, []byte(`"event_type"`)) &&
		(bytes.Contains(s, []byte(`"src_ip"`)) || bytes.Contains(s, []byte(`"flow_id"`)) || bytes.Contains(s, []byte(`"in_iface"`)))
}

// Parse implements parse.Parser.
func (Parser) Parse(data []byte) (parse.Record, error) {
	f := make(event.Fields, 24)
	if err := jsonlog.Flatten(data, f); err != nil {
		return parse.Record{}, fmt.Errorf("suricata: %w", err)
	}
	if _, ok := f["event_type"]; !ok {
		return parse.Record{}, fmt.Errorf("suricata: no event_type: not an EVE record")
	}
	return parse.Record{Format: Format, Time: Time(f["timestamp"]), Fields: f}, nil
}

// Time reads an EVE timestamp ("2019-01-02T03:50:11.315110+0000", with or
// without the offset; none means UTC).
func Time(v any) time.Time {
	s, _ := v.(string)
	for _, layout := range []string{"2006-01-02T15:04:05.999999999-0700", time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// Split returns the elements of a JSON array of records (the form some
// exports use instead of one object per line).
func Split(data []byte) ([][]byte, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("suricata: not a JSON array of records: %w", err)
	}
	out := make([][]byte, len(raw))
	for i, r := range raw {
		out[i] = r
	}
	return out, nil
}
