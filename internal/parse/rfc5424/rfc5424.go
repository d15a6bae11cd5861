// Package rfc5424 parses the syslog protocol (RFC 5424):
// "<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] MSG", with structured data
// (escaped `"`, `\` and `]` in parameter values), NILVALUE ("-") for any
// header field, and the UTF-8 BOM before the message removed.
//
// Pure function of its input: no I/O, no shared state.
package rfc5424

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/parse"
)

// Format is the record format name.
const Format = "rfc5424"

// Parser parses RFC 5424 records.
type Parser struct{}

// Name implements parse.Parser.
func (Parser) Name() string { return Format }

// Looks reports whether data starts like an RFC 5424 record ("<PRI>1 ").
func Looks(data []byte) bool {
	if len(data) < 4 || data[0] != '<' {
		return false
	}
	for i := 1; i < len(data) && i < 6; i++ {
		if data[i] == '>' {
			return i > 1 && i+2 < len(data) && data[i+1] == '1' && data[i+2] == ' '
		}
		if data[i] < '0' || data[i] > '9' {
			return false
		}
	}
	return false
}

// Parse implements parse.Parser.
func (Parser) Parse(data []byte) (parse.Record, error) {
	s := string(data)
	if !Looks(data) {
		return parse.Record{}, fmt.Errorf("rfc5424: %q does not start with <PRI>1", parse.Head(s, 16))
	}
	end := strings.IndexByte(s, '>')
	pri, err := strconv.Atoi(s[1:end])
	if err != nil || pri > 191 {
		return parse.Record{}, fmt.Errorf("rfc5424: bad priority %q", s[1:end])
	}
	// Sized for the header, a message and a few SD parameters: growing a
	// map past its first table costs more than the spare slots.
	f := make(event.Fields, 16)
	f["syslog.priority"], f["syslog.facility"], f["syslog.severity"], f["syslog.version"] = int64(pri), int64(pri/8), int64(pri%8), int64(1)
	rest := s[end+3:]
	var fieldsOut [5]string
	for i := range fieldsOut {
		sp := strings.IndexByte(rest, ' ')
		if sp < 0 {
			if i == 4 { // MSGID at the very end, no SD and no MSG
				fieldsOut[i], rest = rest, ""
				break
			}
			return parse.Record{}, fmt.Errorf("rfc5424: header ends after %d of 5 fields (timestamp host app procid msgid)", i)
		}
		fieldsOut[i], rest = rest[:sp], rest[sp+1:]
	}
	var ts time.Time
	if fieldsOut[0] != "-" {
		t, err := time.Parse(time.RFC3339Nano, fieldsOut[0])
		if err != nil {
			return parse.Record{}, fmt.Errorf("rfc5424: timestamp %q is not RFC 3339", fieldsOut[0])
		}
		ts = t.UTC()
	}
	for i, name := range []string{"", "host", "program", "pid", "msgid"} {
		if i == 0 || fieldsOut[i] == "-" {
			continue
		}
		if name == "pid" {
			if n, err := strconv.ParseInt(fieldsOut[i], 10, 64); err == nil {
				f[name] = n
				continue
			}
		}
		f[name] = fieldsOut[i]
	}
	msg, err := structuredData(rest, f)
	if err != nil {
		return parse.Record{}, err
	}
	msg = strings.TrimPrefix(msg, "\ufeff")
	f["message"] = msg
	return parse.Record{Format: Format, Time: ts, Fields: f}, nil
}

// structuredData parses "-" or "[id k="v" ...]..." into f as
// "sd.<id>.<k>" and returns the message after it.
func structuredData(s string, f event.Fields) (string, error) {
	if s == "" {
		return "", nil
	}
	if s[0] == '-' {
		return strings.TrimPrefix(s[1:], " "), nil
	}
	if s[0] != '[' {
		return "", fmt.Errorf("rfc5424: structured data must be '-' or start with '[', got %q", parse.Head(s, 16))
	}
	i := 0
	for i < len(s) && s[i] == '[' {
		j := i + 1
		for j < len(s) && s[j] != ' ' && s[j] != ']' {
			j++
		}
		if j >= len(s) {
			return "", fmt.Errorf("rfc5424: unterminated structured data element at byte %d", i)
		}
		id := s[i+1 : j]
		for j < len(s) && s[j] == ' ' {
			j++
			eq := strings.IndexByte(s[j:], '=')
			if eq < 0 || j+eq+1 >= len(s) || s[j+eq+1] != '"' {
				return "", fmt.Errorf("rfc5424: SD parameter in [%s] must be name=\"value\"", id)
			}
			name := s[j : j+eq]
			k := j + eq + 2
			start := k
			for k < len(s) && s[k] != '"' && s[k] != '\\' {
				k++
			}
			var value string
			if k < len(s) && s[k] == '"' {
				value = s[start:k] // no escapes: a substring, no copy
			} else {
				var val strings.Builder
				val.WriteString(s[start:k])
				for ; k < len(s) && s[k] != '"'; k++ {
					if s[k] == '\\' && k+1 < len(s) && (s[k+1] == '"' || s[k+1] == '\\' || s[k+1] == ']') {
						k++
					}
					val.WriteByte(s[k])
				}
				value = val.String()
			}
			if k >= len(s) {
				return "", fmt.Errorf("rfc5424: unterminated value of %s in [%s]", name, id)
			}
			f["sd."+id+"."+name] = value
			j = k + 1
		}
		if j >= len(s) || s[j] != ']' {
			return "", fmt.Errorf("rfc5424: structured data element [%s] is not closed", id)
		}
		i = j + 1
	}
	return strings.TrimPrefix(s[i:], " "), nil
}
