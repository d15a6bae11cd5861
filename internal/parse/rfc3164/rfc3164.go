// Package rfc3164 parses BSD syslog (RFC 3164) as real devices write it:
// "<PRI>Mmm dd hh:mm:ss HOST TAG[PID]: MSG", tolerating a missing PRI, a
// missing hostname, an RFC 3339 timestamp in place of the BSD one, and a
// year inside the timestamp ("Mmm dd yyyy hh:mm:ss"). The BSD timestamp
// has no year and no zone: the zone comes from the parser's Location and
// the year is the one that puts the record closest to the parser's "now"
// (a December record read in January belongs to last year).
//
// Pure function of its input and configuration: no I/O, no shared state.
package rfc3164

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/parse"
	"github.com/yagura-soc/yagura/internal/parse/rfc5424"
)

// Format is the record format name.
const Format = "rfc3164"

// Parser parses RFC 3164 records.
type Parser struct {
	// Location is the zone of timestamps that carry none (default UTC).
	Location *time.Location
	// Now anchors the missing year (default time.Now).
	Now func() time.Time
}

// Name implements parse.Parser.
func (Parser) Name() string { return Format }

// Header reads the syslog header that wraps another format's record (the
// text before "CEF:" or "LEEF:"): RFC 5424 when it looks like one, else
// RFC 3164 with p's zone and clock. The record carries the header's time
// and host.
func (p Parser) Header(hdr string) (parse.Record, error) {
	// A header alone has no message: " x" stands in for one.
	b := []byte(strings.TrimSpace(hdr) + " x")
	if rfc5424.Looks(b) {
		return rfc5424.Parser{}.Parse(b)
	}
	return p.Parse(b)
}

var errEmpty = errors.New("rfc3164: empty record")

var months = map[string]time.Month{"Jan": 1, "Feb": 2, "Mar": 3, "Apr": 4, "May": 5, "Jun": 6,
	"Jul": 7, "Aug": 8, "Sep": 9, "Oct": 10, "Nov": 11, "Dec": 12}

// Parse implements parse.Parser.
func (p Parser) Parse(data []byte) (parse.Record, error) {
	s := string(data)
	if len(s) == 0 {
		return parse.Record{}, errEmpty
	}
	f := make(event.Fields, 8)
	rest := s
	if rest[0] == '<' {
		end := 1
		for end < len(rest) && end < 5 && rest[end] >= '0' && rest[end] <= '9' {
			end++
		}
		if end == 1 || end >= len(rest) || rest[end] != '>' {
			return parse.Record{}, fmt.Errorf("rfc3164: bad priority %q: expected <0-191>", parse.Head(rest, 6))
		}
		pri, _ := strconv.Atoi(rest[1:end])
		if pri > 191 {
			return parse.Record{}, fmt.Errorf("rfc3164: priority %d is over 191", pri)
		}
		f["syslog.priority"] = int64(pri)
		f["syslog.facility"] = int64(pri / 8)
		f["syslog.severity"] = int64(pri % 8)
		rest = rest[end+1:]
	}
	rest = cisco(rest, f)
	ts, rest, ok := p.timestamp(rest)
	if !ok {
		return parse.Record{}, fmt.Errorf("rfc3164: no timestamp at %q: expected 'Mmm dd hh:mm:ss' or RFC 3339", parse.Head(rest, 20))
	}
	// HOST is absent when the next word is already the tag ("sshd[1]:" or "kernel:").
	word, after := nextWord(rest)
	if _, origin := f["host"]; word != "" && !isTag(word) && !origin {
		f["host"] = word
		rest = after
	}
	tag, msg := splitTag(rest)
	if tag != "" {
		prog, pid := splitPID(tag)
		f["program"] = prog
		if pid != "" {
			if n, err := strconv.ParseInt(pid, 10, 64); err == nil {
				f["pid"] = n
			} else {
				f["pid"] = pid
			}
		}
	}
	f["message"] = msg
	return parse.Record{Format: Format, Time: ts, Fields: f}, nil
}

// cisco strips what Cisco IOS puts before the timestamp: a sequence
// number ("123: "), an origin host ("router1: ") and the '*' or '.' that
// marks an unsynchronised clock. The sequence number and host go to f.
func cisco(s string, f event.Fields) string {
	if n, j := atoi(s, 0); j > 0 && j+1 < len(s) && s[j] == ':' && s[j+1] == ' ' {
		f["sequence"] = int64(n)
		s = s[j+2:]
	}
	if w, after := nextWord(s); len(w) > 1 && w[len(w)-1] == ':' && len(after) > 3 {
		if _, month := months[strings.TrimLeft(after, "*.")[:min(3, len(strings.TrimLeft(after, "*.")))]]; month || after[0] == '*' || after[0] == '.' {
			f["host"] = w[:len(w)-1]
			s = after
		}
	}
	if len(s) > 0 && (s[0] == '*' || s[0] == '.') {
		s = s[1:]
	}
	return s
}

// timestamp reads a BSD or RFC 3339 timestamp and the space after it.
func (p Parser) timestamp(s string) (time.Time, string, bool) {
	// RFC 3339 (rsyslog's high-precision template, many appliances).
	if len(s) >= 19 && s[4] == '-' && s[7] == '-' && (s[10] == 'T' || s[10] == ' ') {
		end := indexSpace(s, 19)
		if t, err := time.Parse(time.RFC3339Nano, s[:end]); err == nil {
			return t.UTC(), trimSpace(s[end:]), true
		}
		if t, err := time.ParseInLocation("2006-01-02T15:04:05", s[:end], p.loc()); err == nil {
			return t.UTC(), trimSpace(s[end:]), true
		}
		return time.Time{}, s, false
	}
	// "Mmm dd hh:mm:ss" or "Mmm  d hh:mm:ss", optionally "Mmm dd yyyy hh:mm:ss".
	if len(s) < 15 {
		return time.Time{}, s, false
	}
	mon, ok := months[s[:3]]
	if !ok || s[3] != ' ' {
		return time.Time{}, s, false
	}
	i := 4
	if s[i] == ' ' {
		i++
	}
	day, i := atoi(s, i)
	if day < 1 || day > 31 || i >= len(s) || s[i] != ' ' {
		return time.Time{}, s, false
	}
	i++
	year := 0
	if i+5 <= len(s) && s[i+4] == ' ' {
		if y, j := atoi(s, i); j == i+4 {
			year, i = y, j+1
		}
	}
	if i+8 > len(s) || s[i+2] != ':' || s[i+5] != ':' {
		return time.Time{}, s, false
	}
	hh, _ := atoi(s, i)
	mm, _ := atoi(s, i+3)
	ss, j := atoi(s, i+6)
	if j != i+8 || hh > 23 || mm > 59 || ss > 60 {
		return time.Time{}, s, false
	}
	nsec := 0
	if j < len(s) && s[j] == '.' { // fractional seconds, some vendors
		k := j + 1
		frac, end := atoi(s, k)
		digits := end - k
		for d := digits; d < 9; d++ {
			frac *= 10
		}
		if digits > 0 && digits <= 9 {
			nsec, j = frac, end
		}
	}
	if j < len(s) && s[j] == ':' { // Cisco IOS ends its timestamp with ':'
		j++
	}
	loc := p.loc()
	if year == 0 {
		year = p.year(mon, day, loc)
	}
	t := time.Date(year, mon, day, hh, mm, ss, nsec, loc)
	return t.UTC(), trimSpace(s[j:]), true
}

// year picks the year that puts month/day nearest to now: a record from up
// to a month "in the future" is this year, otherwise last year.
func (p Parser) year(mon time.Month, day int, loc *time.Location) int {
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	n := now().In(loc)
	y := n.Year()
	if time.Date(y, mon, day, 0, 0, 0, 0, loc).After(n.AddDate(0, 1, 0)) {
		y--
	}
	return y
}

func (p Parser) loc() *time.Location {
	if p.Location != nil {
		return p.Location
	}
	return time.UTC
}

func atoi(s string, i int) (int, int) {
	n := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' && n < 1e9 {
		n = n*10 + int(s[i]-'0')
		i++
	}
	return n, i
}

func indexSpace(s string, from int) int {
	for i := from; i < len(s); i++ {
		if s[i] == ' ' {
			return i
		}
	}
	return len(s)
}

func trimSpace(s string) string {
	for len(s) > 0 && s[0] == ' ' {
		s = s[1:]
	}
	return s
}

func nextWord(s string) (string, string) {
	i := indexSpace(s, 0)
	return s[:i], trimSpace(s[i:])
}

// isTag reports whether a word is a syslog tag rather than a host name.
func isTag(w string) bool {
	return len(w) > 0 && (w[len(w)-1] == ':' || w[len(w)-1] == ']' || containsByte(w, '['))
}

func containsByte(s string, b byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == b {
			return true
		}
	}
	return false
}

// splitTag splits "TAG[PID]: MSG". Real tags sometimes hold spaces
// ("syslogd 1.4.1: restart.", login's "-- root[2421]: ROOT LOGIN"), so up
// to two are allowed in the first 48 characters; without ": " there is no tag.
func splitTag(s string) (string, string) {
	spaces := 0
	for i := 0; i < len(s) && i < 48; i++ {
		switch s[i] {
		case ':':
			if i > 0 && (i+1 == len(s) || s[i+1] == ' ') && s[i-1] != ' ' {
				return s[:i], trimSpace(s[i+1:])
			}
		case ' ':
			if spaces++; spaces > 2 {
				return "", s
			}
		}
	}
	return "", s
}

func splitPID(tag string) (string, string) {
	if n := len(tag); n > 2 && tag[n-1] == ']' {
		for i := n - 2; i > 0; i-- {
			if tag[i] == '[' {
				return tag[:i], tag[i+1 : n-1]
			}
		}
	}
	return tag, ""
}
