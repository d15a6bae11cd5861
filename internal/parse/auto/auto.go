// Package auto chooses the parser for a record when its source does not
// name one, and looks parsers up by name when it does. Detection is by
// cheap checks on the first bytes, most specific first: a JSON object
// (Windows event, CloudTrail, Suricata EVE and Zeek shapes before generic
// JSON), "CEF:"/"LEEF:" (bare or after a syslog header), "<PRI>1 " (RFC
// 5424), "<PRI>" (RFC 3164), an audit record, an access-log line, a BSD
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
var ErrUnknown = errors.New("no parser recognised the record: name its format in the source config (accesslog, auditd, cef, cloudtrail, json, kv, leef, rfc3164, rfc5424, suricata, winevent, zeek)")

// byName returns the parser for a format name.
func (p Parsers) byName(name string) (func([]byte) (parse.Record, error), bool) {
	switch name {
	case rfc3164.Format, "syslog":
		return p.Syslog.Parse, true
	case rfc5424.Format:
		return rfc5424.Parser{}.Parse, true
	case jsonlog.Format:
		return jsonlog.Parser{}.Parse, true
	case kv.Format:
		return kv.Parser{}.Parse, true
	case accesslog.Format:
		return accesslog.Parser{}.Parse, true
	case auditd.Format:
		return auditd.Parser{}.Parse, true
	case "winevent":
		return winevent.Parse, true
	case cef.Format:
		return cef.Parser{Syslog: p.Syslog}.Parse, true
	case leef.Format:
		return leef.Parser{Syslog: p.Syslog}.Parse, true
	case zeek.Format:
		return zeek.Parser{}.Parse, true
	case suricata.Format, "eve":
		return suricata.Parser{}.Parse, true
	case cloudtrail.Format:
		return cloudtrail.Parser{}.Parse, true
	}
	return nil, false
}

// Names lists the format names Parse accepts.
func Names() []string {
	n := []string{rfc3164.Format, rfc5424.Format, jsonlog.Format, kv.Format, accesslog.Format, auditd.Format, "winevent",
		cef.Format, leef.Format, zeek.Format, suricata.Format, cloudtrail.Format}
	sort.Strings(n)
	return n
}

// Parse parses data in the named format, or detects it when format is "".
func (p Parsers) Parse(format string, data []byte) (parse.Record, error) {
	if format != "" {
		fn, ok := p.byName(format)
		if !ok {
			return parse.Record{}, fmt.Errorf("unknown format %q (known: %s)", format, strings.Join(Names(), ", "))
		}
		return fn(data)
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
			if kvRec, kvErr := (kv.Parser{}).Parse(d); kvErr == nil && len(kvRec.Fields) >= 5 {
				return kvRec, nil
			}
		}
		return rec, err
	case auditd.Looks(d):
		return auditd.Parser{}.Parse(d)
	case accesslog.Looks(d):
		return accesslog.Parser{}.Parse(d)
	}
	if rec, err := p.Syslog.Parse(d); err == nil {
		return rec, nil
	}
	if f := kv.Pairs(string(d)); len(f) >= 2 {
		return parse.Record{Format: kv.Format, Fields: f}, nil
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
