package normalize

import (
	"bytes"
	"net/netip"
	"strings"
	"unicode/utf8"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/parse"
	"github.com/yagura-soc/yagura/internal/parse/accesslog"
	"github.com/yagura-soc/yagura/internal/parse/auditd"
	"github.com/yagura-soc/yagura/internal/parse/auto"
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

// DefaultMaxLine is the default record size limit (64 KiB).
const DefaultMaxLine = 64 << 10

// Normalizer parses and normalizes records with one set of parsers.
type Normalizer struct {
	Parsers auto.Parsers
	// MaxLine truncates longer records before parsing (0: DefaultMaxLine);
	// truncated events carry event.truncated=true.
	MaxLine int
}

// Event parses data (in format, or detected when format is ""), fills ev's
// native fields, ECS fields and timestamp. A record no parser can read is
// kept: ev.Raw stays, ev.ParseError says why, and the text is searchable
// as the event's message. Invalid UTF-8 is kept, escaped as \xNN (in Raw
// too when Raw holds data).
//
// A record without its own time leaves ev.Timestamp as the caller set it
// (zero by default): the pipeline then applies the intake's envelope time
// and finally the receipt time. Use Apply for the stand-alone fallback.
func (n Normalizer) Event(ev *event.Event, data []byte, format string) {
	max := n.MaxLine
	if max <= 0 {
		max = DefaultMaxLine
	}
	if len(data) > max {
		cut := max
		for cut > 0 && cut > max-utf8.UTFMax && !utf8.RuneStart(data[cut]) {
			cut-- // do not split a character
		}
		data = data[:cut]
		ev.SetECS("event.truncated", true)
		if len(ev.Raw) > cut {
			ev.Raw = string(data)
		}
	}
	if !utf8.Valid(data) {
		// Invalid bytes become "\xNN" text: nothing is lost, and stores
		// and JSON encoders that demand UTF-8 accept the event.
		escaped := escapeInvalidUTF8(data)
		if ev.Raw == string(data) {
			ev.Raw = string(escaped)
		}
		if t := bytes.TrimLeft(data, " \t"); len(t) > 0 && t[0] == '{' {
			// "\x" is not a JSON escape: a JSON parser gets U+FFFD instead.
			data = []byte(strings.ToValidUTF8(string(data), "\ufffd"))
		} else {
			data = escaped
		}
		ev.SetECS("event.invalid_utf8", true)
	}
	if ev.ECS == nil {
		// Syslog auth, network and Windows records set 20-odd ECS
		// fields; one right-sized table beats growing through two. 28 is
		// the most a 32-slot table holds: a hint of 29 to 56 allocates
		// 64 slots, twice the bytes (2,392 against 1,240).
		ev.ECS = make(event.Fields, 28)
	}
	rec, err := n.Parsers.Parse(format, data)
	if err != nil && rec.Fields == nil {
		unparsed(ev, err, string(data))
		return
	}
	if err != nil {
		ev.ParseError = err.Error() // fields read, something (the time) not
	}
	apply(ev, rec)
}

// unparsed keeps a record no parser could read: the error, and its text
// as the message so that it stays searchable.
func unparsed(ev *event.Event, err error, text string) {
	ev.ParseError = err.Error()
	ev.SetECS("message", text)
	ev.SetECS("event.kind", "event")
}

// Event is the normalizer with the default parsers (syslog times in UTC).
func Event(ev *event.Event, data []byte, format string) {
	Normalizer{Parsers: auto.Default}.Event(ev, data, format)
}

// Apply sets ev from a parsed record: its native fields, its time and the
// ECS fields of its format. A record without a time keeps a time the
// caller set, else takes ev.Ingested.
func Apply(ev *event.Event, rec parse.Record) {
	apply(ev, rec)
	if ev.Timestamp.IsZero() {
		ev.Timestamp = ev.Ingested.UTC()
	}
}

func apply(ev *event.Event, rec parse.Record) {
	ev.Fields = rec.Fields
	if !rec.Time.IsZero() {
		ev.Timestamp = rec.Time.UTC()
	}
	ev.SetECS("event.kind", "event")
	switch rec.Format {
	case rfc3164.Format, rfc5424.Format:
		syslog(ev, rec.Format)
	case accesslog.Format:
		webAccess(ev)
	case accesslog.ErrorFormat:
		webError(ev)
	case auditd.Format:
		audit(ev)
	case kv.Format:
		if !firewall(ev, ev.Fields) {
			ev.SetECS("event.dataset", event.DatasetGeneric)
		}
	case jsonlog.Format:
		jsonECS(ev)
	case cef.Format:
		cefECS(ev)
	case leef.Format:
		leefECS(ev)
	case suricata.Format:
		suricataECS(ev)
	case zeek.Format:
		zeekECS(ev)
	case cloudtrail.Format:
		cloudTrailECS(ev)
	case winevent.Format:
		Windows(ev)
	default:
		ev.SetECS("event.dataset", event.DatasetGeneric)
	}
}

// str reads a native field as a string ("" when missing).
func str(f event.Fields, k string) string {
	if v, ok := f[k]; ok && v != nil {
		return event.String(v)
	}
	return ""
}

// setHost sets host.name (lower-case, as given) and host.hostname (the
// short name).
func setHost(ev *event.Event, name string) {
	name = strings.ToLower(strings.TrimSpace(name))
	if name == "" || name == "-" {
		return
	}
	ev.SetECS("host.name", name)
	if _, err := netip.ParseAddr(name); err != nil {
		short, _, _ := strings.Cut(name, ".")
		ev.SetECS("host.hostname", short)
	}
}

// setUser splits "DOMAIN\user" and "user@domain" into user.name and
// user.domain under prefix ("user" or "user.target").
func setUser(ev *event.Event, prefix, raw string) {
	raw = strings.TrimSpace(raw)
	if raw == "" || raw == "-" {
		return
	}
	name, domain := raw, ""
	if d, u, ok := strings.Cut(raw, `\`); ok {
		name, domain = u, d
	} else if u, d, ok := strings.Cut(raw, "@"); ok && u != "" && d != "" {
		name, domain = u, d
	}
	ev.SetECS(prefix+".name", name)
	if domain != "" {
		ev.SetECS(prefix+".domain", domain)
	}
}

// escapeInvalidUTF8 writes each byte that is not part of a valid UTF-8
// sequence as the four characters \xNN.
func escapeInvalidUTF8(data []byte) []byte {
	out := make([]byte, 0, len(data)+16)
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		if r == utf8.RuneError && size == 1 {
			out = append(out, '\\', 'x', hexDigits[data[0]>>4], hexDigits[data[0]&0xf])
		} else {
			out = append(out, data[:size]...)
		}
		data = data[size:]
	}
	return out
}

const hexDigits = "0123456789abcdef"
