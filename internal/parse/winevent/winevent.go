// Package winevent parses the JSON forms of Windows event log records into
// one flat set of native field names, so a Sigma rule written against
// "Image" or "EventID" matches whichever tool exported the event.
//
// Accepted forms, one record per JSON object (one per line in a file):
//
//   - evtx_dump / Velociraptor: {"Event":{"System":{…},"EventData":{…}}},
//     attributes under "#attributes".
//   - python-evtx: {"System":{…},"EventData"|"UserData":{…}}.
//   - Winlogbeat / ECS: {"winlog":{"channel":…,"event_id":…,"event_data":{…}}}.
//   - NXLog flattened: {"EventID":…,"SourceName":…,"Hostname":…,<data fields>…}.
//
// Field naming (the contract with the Sigma engine and the normalizer):
//
//	EventID         System/EventID (qualifiers dropped)
//	Channel         System/Channel
//	Computer        System/Computer
//	Provider_Name   System/Provider@Name (EventSourceName when Name is absent)
//	Provider_Guid   System/Provider@Guid, "{…}" form
//	EventRecordID   System/EventRecordID
//	Level, Task, Opcode, Keywords, Version   System/<same>; Keywords as 0x… hex
//	ProcessID       System/Execution@ProcessID
//	ThreadID        System/Execution@ThreadID (other Execution attributes,
//	                e.g. ProcessorID in ETW-converted logs, by their own name)
//	TimeCreated     System/TimeCreated@SystemTime, RFC 3339 UTC with 7 fraction digits
//	Security_UserID System/Security@UserID (a SID)
//	<Name>          every EventData <Data Name="Name"> and every UserData leaf element
//	Data            EventData <Data> without a Name (a list when several)
//
// All values are strings, rendered the way Windows shows them in the XML view
// (decimal numbers, 0x-prefixed hex for hex-typed fields, GUIDs in braces).
// When an EventData name equals a System name (e.g. "ProcessID" in a 5156,
// "Version" in a Sysmon 4), the EventData value wins: rules address the event
// payload, and the System values remain in the normalized ECS fields.
//
// This package must never do I/O, never keep references to its input and
// never panic on input: malformed records yield an error.
package winevent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/parse"
)

// Format is the parse.Record format name of Windows events, whatever form
// they were read from.
const Format = "winevent"

// Parser parses one JSON-encoded Windows event per call. The zero value is
// ready to use and safe for concurrent use.
type Parser struct{}

// Name implements parse.Parser.
func (Parser) Name() string { return Format }

// Parse implements parse.Parser.
func (Parser) Parse(data []byte) (parse.Record, error) { return Parse(data) }

// Parse decodes one JSON object in any of the accepted forms.
func Parse(data []byte) (parse.Record, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		return parse.Record{}, errors.New("winevent: not a JSON object")
	}
	return parseFlat(data)
}

// parseDecoded is Parse through encoding/json and FromMap; the tests hold
// the fast path to it.
func parseDecoded(data []byte) (parse.Record, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return parse.Record{}, fmt.Errorf("winevent: decode JSON: %w", err)
	}
	return FromMap(m)
}

// Looks reports whether data looks like a Windows event in one of the
// accepted JSON forms, without decoding it fully; auto-detection uses it.
func Looks(data []byte) bool {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		return false
	}
	head := data
	if len(head) > 4096 {
		head = head[:4096]
	}
	switch {
	case bytes.Contains(head, []byte(`"Event"`)) && bytes.Contains(data, []byte(`"System"`)):
		return true
	case bytes.HasPrefix(data, []byte(`{"System"`)) || bytes.Contains(head, []byte(`"System": {`)) || bytes.Contains(head, []byte(`"System":{`)):
		return true
	case bytes.Contains(data, []byte(`"winlog"`)):
		return true
	case bytes.Contains(data, []byte(`"EventID"`)) && (bytes.Contains(data, []byte(`"SourceName"`)) || bytes.Contains(data, []byte(`"Channel"`))):
		return true
	}
	return false
}

// FromMap builds a record from an already decoded JSON object. Numbers may
// be json.Number or float64.
func FromMap(m map[string]any) (parse.Record, error) {
	if ev, ok := m["Event"].(map[string]any); ok {
		if sys, ok := ev["System"].(map[string]any); ok {
			return FromParts(sys, ev["EventData"], ev["UserData"])
		}
	}
	if sys, ok := m["System"].(map[string]any); ok {
		return FromParts(sys, m["EventData"], m["UserData"])
	}
	if wl, ok := m["winlog"].(map[string]any); ok {
		return fromWinlogbeat(m, wl)
	}
	if _, ok := m["EventID"]; ok {
		return fromNXLog(m)
	}
	return parse.Record{}, errors.New("winevent: no System, Event, winlog or EventID member")
}

// FromParts flattens a System element and the EventData / UserData payload
// (any of them may be nil) into a record. Attributes may sit directly on the
// element or under "#attributes"; element text under "#text" or "Value".
// The evtx package uses it after rendering typed values to strings.
func FromParts(system map[string]any, eventData, userData any) (parse.Record, error) {
	f := make(event.Fields, 32)
	var ts time.Time
	for k, v := range system {
		switch k {
		case "#attributes":
			continue
		case "Provider":
			setAttrs(f, v, "Provider_")
			if s, ok := v.(string); ok { // python-evtx classic providers
				f["Provider_Name"] = s
			}
		case "EventID":
			f["EventID"] = text(v)
		case "EventID_attrs", "Correlation":
			// Qualifiers and activity ids are not addressed by rules.
			continue
		case "TimeCreated":
			s := attr(v, "SystemTime")
			if s == "" {
				s = text(v)
			}
			if t, err := ParseTime(s); err == nil {
				ts = t
				f["TimeCreated"] = FormatTime(t)
			} else if s != "" {
				f["TimeCreated"] = s
			}
		case "Execution":
			setAttrs(f, v, "")
		case "Security":
			if s := attr(v, "UserID"); s != "" {
				f["Security_UserID"] = s
			}
		case "Keywords":
			f["Keywords"] = hexText(text(v))
		default:
			if s := text(v); s != "" || v != nil {
				f[k] = s
			}
		}
	}
	if s, ok := f["Provider_Name"].(string); !ok || s == "" {
		if src, ok := f["Provider_EventSourceName"].(string); ok {
			f["Provider_Name"] = src
		}
	}
	if g, ok := f["Provider_Guid"].(string); ok {
		f["Provider_Guid"] = BraceGUID(g)
	}
	if f["EventID"] == nil || f["EventID"] == "" {
		return parse.Record{}, errors.New("winevent: System has no EventID")
	}
	flattenData(f, eventData)
	flattenData(f, userData)
	return parse.Record{Format: Format, Time: ts, Fields: f}, nil
}

// flattenData copies the payload's named entries to the top level.
func flattenData(f event.Fields, v any) {
	switch x := v.(type) {
	case map[string]any:
		namedData := false
		if data, ok := x["Data"]; ok {
			// Raw <Data Name=…> list as some exporters keep it.
			if items, ok := data.([]any); ok && namedItems(items) {
				for _, it := range items {
					m := it.(map[string]any)
					f[attr(m, "Name")] = valueOf(m)
				}
				namedData = true
			}
			if m, ok := data.(map[string]any); ok {
				// A single <Data Name=…>, which no converter turns into a list.
				if name := attr(m, "Name"); name != "" {
					f[name] = valueOf(m)
					namedData = true
				}
			}
		}
		for k, val := range x {
			switch k {
			case "#attributes", "_", "xmlns":
				continue
			case "Data":
				if namedData {
					continue
				}
			}
			if strings.HasPrefix(k, "xmlns:") {
				continue
			}
			if sub, ok := val.(map[string]any); ok && !isLeaf(sub) {
				// UserData wraps its fields in one element named after
				// the event (<LogFileCleared>); its leaves go to the top.
				flattenData(f, sub)
				continue
			}
			f[k] = render(val)
		}
	case []any:
		if namedItems(x) {
			for _, it := range x {
				m := it.(map[string]any)
				f[attr(m, "Name")] = valueOf(m)
			}
		}
	}
}

func namedItems(items []any) bool {
	if len(items) == 0 {
		return false
	}
	for _, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			return false
		}
		if attr(m, "Name") == "" {
			return false
		}
	}
	return true
}

func valueOf(m map[string]any) any {
	for _, k := range []string{"#text", "Value", "value", ""} {
		if v, ok := m[k]; ok {
			return render(v)
		}
	}
	return ""
}

// isLeaf reports whether a JSON object stands for one XML element with text
// and attributes rather than a container of further elements.
func isLeaf(m map[string]any) bool {
	_, hasText := m["#text"]
	_, hasAttrs := m["#attributes"]
	return hasText || (hasAttrs && len(m) == 1)
}

// render turns a decoded JSON value into a field value: strings stay,
// numbers become their decimal text, lists keep their items rendered.
func render(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		out := make([]any, 0, len(x))
		for _, it := range x {
			out = append(out, render(it))
		}
		return out
	}
	return textValue(v)
}

// textValue is text(v) as a field value: a string is kept in its own
// interface value (text would return it to be boxed again).
func textValue(v any) any {
	if _, ok := v.(string); ok {
		return v
	}
	return text(v)
}

// text renders a scalar JSON value, or an element's text, as a string.
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case json.Number:
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case map[string]any:
		for _, k := range []string{"#text", "Value", "value"} {
			if t, ok := x[k]; ok {
				return text(t)
			}
		}
		return ""
	case []any:
		return event.String(render(x))
	}
	return fmt.Sprint(v)
}

// attr returns the named attribute of an element given either as
// {"#attributes":{name:…}} or {name:…}.
func attr(v any, name string) string {
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	if a, ok := m["#attributes"].(map[string]any); ok {
		if s, ok := a[name]; ok {
			return text(s)
		}
	}
	if s, ok := m[name]; ok {
		return text(s)
	}
	return ""
}

// setAttrs copies an element's attributes to f, names prefixed.
func setAttrs(f event.Fields, v any, prefix string) {
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	if a, ok := m["#attributes"].(map[string]any); ok {
		m = a
	}
	for k, val := range m {
		if k == "#attributes" || k == "#text" {
			continue
		}
		s := text(val)
		if s == "" {
			continue
		}
		f[prefix+k] = s
	}
}

// hexText renders a decimal keyword mask as Windows shows it (0x…); text
// already in hex or symbolic form is kept.
func hexText(s string) string {
	if s == "" || strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		return s
	}
	if n, err := strconv.ParseUint(s, 10, 64); err == nil {
		return "0x" + strconv.FormatUint(n, 16)
	}
	return s
}

// BraceGUID renders a GUID the way Windows' XML view does: in braces,
// letters as given. Anything that is not a bare GUID is returned unchanged.
func BraceGUID(s string) string {
	if IsBareGUID(s) {
		return "{" + s + "}"
	}
	return s
}

// IsBareGUID reports whether s is a GUID without braces
// (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx).
func IsBareGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !isHex(c) {
				return false
			}
		}
	}
	return true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// Time layouts seen in exported Windows events.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999 -0700 MST",
}

// ParseTime reads a Windows event timestamp in any of the exported forms;
// a time without zone is UTC, as SystemTime always is.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("winevent: unrecognized time %q", s)
}

// FormatTime renders t as Windows renders SystemTime: UTC, seven fraction
// digits, trailing Z.
func FormatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.0000000Z")
}
