// Package auto chooses the parser for a record when its source does not
// name one, and looks parsers up by name when it does. Detection is by
// cheap checks on the first bytes, most specific first: a JSON object
// (Windows event, CloudTrail, Suricata EVE and Zeek shapes before generic
// JSON), "CEF:"/"LEEF:" (bare or after a syslog header), "<PRI>1 " (RFC
// 5424), "<PRI>" (RFC 3164), an audit record, an access-log or Apache
// error-log line, a BSD
// syslog line without priority, key=value.
//
// It must never run a parser's full parse just to guess (except the final
// syslog/kv fall-backs) and never panic: unknown input is ErrUnknown.
package auto

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/yagura-soc/yagura/internal/parse"
	"github.com/yagura-soc/yagura/internal/parse/accesslog"
	"github.com/yagura-soc/yagura/internal/parse/auditd"
	"github.com/yagura-soc/yagura/internal/parse/cef"
	"github.com/yagura-soc/yagura/internal/parse/cloudtrail"
	"github.com/yagura-soc/yagura/internal/parse/jsonlog"
	"github.com/yagura-soc/yagura/internal/parse/kv"
	"github.com/yagura-soc/yagura/internal/parse/leef"
	"github.com/yagura-soc/yagura/internal/parse/rfc3164"
	"github.com/yagura-soc/yagura/internal/parse/rfc5424"
	"github.com/yagura-soc/yagura/internal/parse/suricata"
	"github.com/yagura-soc/yagura/internal/parse/winevent"
	"github.com/yagura-soc/yagura/internal/parse/zeek"
)

// Parsers are the formats Yagura reads, by name.
type Parsers struct {
	// Syslog parses RFC 3164; its zone and clock resolve missing years.
	Syslog rfc3164.Parser
}

// ErrUnknown means no parser recognised the record.
var ErrUnknown = errors.New("no parser recognised the record: name its format in the source config (accesslog, apache_error, auditd, cef, cloudtrail, json, kv, leef, rfc3164, rfc5424, suricata, winevent, zeek)")

// parseNamed parses data with the parser called name; ok is false for an
// unknown name. A direct switch, not a table of method values, so the hot
// path allocates nothing to pick the parser.
func (p Parsers) parseNamed(name string, data []byte) (rec parse.Record, err error, ok bool) {
	switch name {
	case rfc3164.Format, "syslog":
		rec, err = p.Syslog.Parse(data)
	case rfc5424.Format:
		rec, err = rfc5424.Parser{}.Parse(data)
	case jsonlog.Format:
		rec, err = jsonlog.Parser{}.Parse(data)
	case kv.Format:
		rec, err = kv.Parser{Location: p.Syslog.Location}.Parse(data)
	case accesslog.Format:
		rec, err = accesslog.Parser{}.Parse(data)
	case accesslog.ErrorFormat:
		rec, err = accesslog.ErrorParser{Location: p.Syslog.Location}.Parse(data)
	case auditd.Format:
		rec, err = auditd.Parser{}.Parse(data)
	case winevent.Format:
		rec, err = winevent.Parse(data)
	case cef.Format:
		rec, err = cef.Parser{Syslog: p.Syslog}.Parse(data)
	case leef.Format:
		rec, err = leef.Parser{Syslog: p.Syslog}.Parse(data)
	case zeek.Format:
		rec, err = zeek.Parser{}.Parse(data)
	case suricata.Format, "eve":
		rec, err = suricata.Parser{}.Parse(data)
	case cloudtrail.Format:
		rec, err = cloudtrail.Parser{}.Parse(data)
	default:
		return parse.Record{}, nil, false
	}
	return rec, err, true
}

// Names lists the format names Parse accepts.
func Names() []string {
	n := []string{rfc3164.Format, rfc5424.Format, jsonlog.Format, kv.Format, accesslog.Format, accesslog.ErrorFormat, auditd.Format, winevent.Format,
		cef.Format, leef.Format, zeek.Format, suricata.Format, cloudtrail.Format}
	sort.Strings(n)
	return n
}

// Parse parses data in the named format, or detects it when format is "".
func (p Parsers) Parse(format string, data []byte) (parse.Record, error) {
	if format != "" {
		rec, err, ok := p.parseNamed(format, data)
		if !ok {
			return parse.Record{}, fmt.Errorf("unknown format %q (known: %s)", format, strings.Join(Names(), ", "))
		}
		return rec, err
	}
	d := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(d) == 0 {
		return parse.Record{}, errors.New("empty record")
	}
	switch {
	case d[0] == '{':
		switch {
		case winevent.Looks(d):
			return winevent.Parse(d)
		case cloudtrail.Looks(d):
			return cloudtrail.Parser{}.Parse(d)
		case suricata.Looks(d):
			return suricata.Parser{}.Parse(d)
		case zeek.Looks(d):
			return zeek.Parser{}.Parse(d)
		}
		return jsonlog.Parser{}.Parse(d)
	case bytes.HasPrefix(d, []byte("CEF:")):
		return cef.Parser{Syslog: p.Syslog}.Parse(d)
	case bytes.HasPrefix(d, []byte("LEEF:")):
		return leef.Parser{Syslog: p.Syslog}.Parse(d)
	case d[0] == '<' && cef.Looks(d):
		return cef.Parser{Syslog: p.Syslog}.Parse(d)
	case d[0] == '<' && leef.Looks(d):
		return leef.Parser{Syslog: p.Syslog}.Parse(d)
	case d[0] == '<':
		if rfc5424.Looks(d) {
			return rfc5424.Parser{}.Parse(d)
		}
		rec, err := p.Syslog.Parse(d)
		if err != nil {
			// FortiGate and others send "<PRI>date=… time=… k=v" with no header.
			if kvRec, kvErr := (kv.Parser{Location: p.Syslog.Location}).Parse(d); kvErr == nil && len(kvRec.Fields) >= 5 {
				return kvRec, nil
			}
		}
		return rec, err
	case auditd.Looks(d):
		return auditd.Parser{}.Parse(d)
	case accesslog.Looks(d):
		return accesslog.Parser{}.Parse(d)
	case accesslog.LooksError(d):
		return accesslog.ErrorParser{Location: p.Syslog.Location}.Parse(d)
	}
	if rec, err := p.Syslog.Parse(d); err == nil {
		return rec, nil
	}
	if rec, err := (kv.Parser{Location: p.Syslog.Location}).Parse(d); err == nil && len(rec.Fields) >= 2 {
		return rec, nil // with its date/time, like a named kv source
	}
	return parse.Record{}, ErrUnknown
}

// Default is the detection with syslog times in UTC and the real clock.
var Default = Parsers{Syslog: rfc3164.Parser{Location: time.UTC}}

// Parser is auto-detection as a parse.Parser: Name is "auto", Parse picks
// the format per record. The Format of the Record names the real parser.
type Parser struct {
	Parsers Parsers
}

// Name implements parse.Parser.
func (Parser) Name() string { return "auto" }

// Parse implements parse.Parser.
func (p Parser) Parse(data []byte) (parse.Record, error) { return p.Parsers.Parse("", data) }
