package accesslog

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/parse"
)

// ErrorFormat is the record format name of Apache error logs.
const ErrorFormat = "apache_error"

// ErrorParser parses Apache httpd error log lines, 2.2 and 2.4 forms:
//
//	[Sun Dec 04 04:47:44 2005] [error] message
//	[Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187:5050] AH00128: message
type ErrorParser struct {
	// Location is the zone of the timestamps, which carry none (default UTC).
	Location *time.Location
}

// Name implements parse.Parser.
func (ErrorParser) Name() string { return ErrorFormat }

// LooksError reports whether data starts like an Apache error log line.
func LooksError(data []byte) bool {
	return len(data) > 26 && data[0] == '[' && data[4] == ' ' && data[8] == ' ' && strings.IndexByte(string(data[:min(len(data), 40)]), ']') > 20
}

// Parse implements parse.Parser.
func (p ErrorParser) Parse(data []byte) (parse.Record, error) {
	s := strings.TrimRight(string(data), "\r\n")
	stamp, rest, ok := bracket(s)
	if !ok {
		return parse.Record{}, fmt.Errorf("apache_error: %q does not start with [time]", parse.Head(s, 40))
	}
	loc := p.Location
	if loc == nil {
		loc = time.UTC
	}
	ts, err := time.ParseInLocation("Mon Jan 02 15:04:05.999999 2006", stamp, loc)
	if err != nil {
		return parse.Record{}, fmt.Errorf("apache_error: time %q is not 'Mon Jan 02 15:04:05 2006'", stamp)
	}
	f := make(event.Fields, 8)
	level, rest, ok := bracket(rest)
	if !ok {
		return parse.Record{}, fmt.Errorf("apache_error: no [level] after the time")
	}
	if mod, lvl, found := strings.Cut(level, ":"); found {
		f["module"], level = mod, lvl
	}
	f["level"] = level
	for {
		v, r, ok := bracket(rest)
		if !ok {
			break
		}
		switch {
		case strings.HasPrefix(v, "pid "):
			pid, tid, _ := strings.Cut(v[4:], ":tid ")
			if n, err := strconv.ParseInt(pid, 10, 64); err == nil {
				f["pid"] = n
			}
			if tid != "" {
				f["tid"] = tid
			}
		case strings.HasPrefix(v, "client "):
			f["client"] = v[7:]
		case strings.HasPrefix(v, "remote "):
			f["remote"] = v[7:]
		default:
			rest = "[" + v + "]" + r // not ours: part of the message
			goto done
		}
		rest = r
	}
done:
	f["message"] = strings.TrimSpace(rest)
	return parse.Record{Format: ErrorFormat, Time: ts.UTC(), Fields: f}, nil
}

// bracket reads "[value] " at the start of s.
func bracket(s string) (string, string, bool) {
	s = strings.TrimLeft(s, " ")
	if !strings.HasPrefix(s, "[") {
		return "", s, false
	}
	end := strings.IndexByte(s, ']')
	if end < 0 {
		return "", s, false
	}
	return s[1:end], s[end+1:], true
}
