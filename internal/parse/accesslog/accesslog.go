// Package accesslog parses web server logs: access logs in the NCSA common
// and combined formats that Apache and Nginx write by default,
//
//	host ident user [dd/Mon/yyyy:hh:mm:ss zone] "METHOD URL PROTO" status bytes ["referer" "user-agent"]
//
// IIS and other W3C extended logs through the W3C reader (the "#Fields:"
// directive is state), and Apache httpd error logs (ErrorParser).
//
// No I/O, no shared state, never panics.
package accesslog

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/parse"
)

// Format is the record format name.
const Format = "accesslog"

// Parser parses access log lines.
type Parser struct{}

// Name implements parse.Parser.
func (Parser) Name() string { return Format }

// Looks reports whether data has the access-log shape: a first word, two
// more, then " [" with a date.
func Looks(data []byte) bool {
	s := string(data)
	i := strings.Index(s, " [")
	return i > 0 && i < 300 && strings.Count(s[:i], " ") == 2 && len(s) > i+22 && s[i+4] == '/' && s[i+8] == '/'
}

// Parse implements parse.Parser.
func (Parser) Parse(data []byte) (parse.Record, error) {
	s := strings.TrimRight(string(data), "\r\n")
	f := event.Fields{}
	host, rest, ok := cut(s, ' ')
	ident, rest2, ok2 := cut(rest, ' ')
	user, rest3, ok3 := cut(rest2, ' ')
	if !ok || !ok2 || !ok3 || !strings.HasPrefix(rest3, "[") {
		return parse.Record{}, fmt.Errorf("accesslog: %q is not 'host ident user [time]'", parse.Head(s, 40))
	}
	end := strings.IndexByte(rest3, ']')
	if end < 0 {
		return parse.Record{}, fmt.Errorf("accesslog: the time is not closed with ']'")
	}
	ts, err := time.Parse("02/Jan/2006:15:04:05 -0700", rest3[1:end])
	if err != nil {
		return parse.Record{}, fmt.Errorf("accesslog: time %q is not dd/Mon/yyyy:hh:mm:ss zone", rest3[1:end])
	}
	f["client"] = host
	setUnlessDash(f, "ident", ident)
	setUnlessDash(f, "user", user)
	rest = strings.TrimPrefix(rest3[end+1:], " ")
	req, rest, err := request(rest)
	if err != nil {
		return parse.Record{}, fmt.Errorf("accesslog: request: %w", err)
	}
	f["request"] = req
	if parts := strings.SplitN(req, " ", 3); len(parts) == 3 {
		f["method"], f["url"], f["protocol"] = parts[0], parts[1], parts[2]
	}
	status, rest, _ := cut(strings.TrimPrefix(rest, " "), ' ')
	n, err := strconv.ParseInt(status, 10, 64)
	if err != nil || n < 100 || n > 999 {
		return parse.Record{}, fmt.Errorf("accesslog: status %q is not a number", status)
	}
	f["status"] = n
	size, rest, _ := cut(rest, ' ')
	if b, err := strconv.ParseInt(size, 10, 64); err == nil {
		f["bytes"] = b
	}
	if rest = strings.TrimPrefix(rest, " "); strings.HasPrefix(rest, `"`) {
		ref, r2, err := quoted(rest)
		if err == nil {
			setUnlessDash(f, "referer", ref)
			if ua, _, err := quoted(strings.TrimPrefix(r2, " ")); err == nil {
				setUnlessDash(f, "user_agent", ua)
			}
		}
	}
	return parse.Record{Format: Format, Time: ts.UTC(), Fields: f}, nil
}

// request reads the quoted request line. Servers log the request as sent,
// so it may hold raw quotes ("GET /x?q="><script> HTTP/1.1"): the request
// ends at the first quote followed by a space and a three-digit status.
func request(s string) (string, string, error) {
	if !strings.HasPrefix(s, `"`) {
		return "", s, fmt.Errorf("expected a quoted request at %q", parse.Head(s, 40))
	}
	for i := 1; i < len(s); i++ {
		if s[i] != '"' || s[i-1] == '\\' {
			continue
		}
		if rest := s[i+1:]; len(rest) >= 4 && rest[0] == ' ' && isDigit(rest[1]) && isDigit(rest[2]) && isDigit(rest[3]) &&
			(len(rest) == 4 || rest[4] == ' ' || rest[4] == '\r') {
			return strings.ReplaceAll(s[1:i], `\"`, `"`), rest, nil
		}
	}
	return quoted(s)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func setUnlessDash(f event.Fields, k, v string) {
	if v != "-" && v != "" {
		f[k] = v
	}
}

func cut(s string, sep byte) (string, string, bool) {
	i := strings.IndexByte(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+1:], true
}

// quoted reads a "…" value with backslash escapes (Apache escapes quotes
// inside the request and user agent).
func quoted(s string) (string, string, error) {
	if !strings.HasPrefix(s, `"`) {
		return "", s, fmt.Errorf("expected a quoted value at %q", parse.Head(s, 40))
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case '"':
			return b.String(), s[i+1:], nil
		default:
			b.WriteByte(s[i])
		}
	}
	return "", "", fmt.Errorf("unterminated quote")
}
