// Package auditd parses Linux audit records ("type=EXECVE
// msg=audit(1700000000.123:4242): argc=2 a0=..."), optionally prefixed with
// "node=HOST". Values that auditd hex-encodes (proctitle, the EXECVE
// arguments and other untrusted strings when they contain spaces or
// quotes) are decoded; EXECVE arguments are joined into one command line.
// A Grouper joins the records of one event (same serial) into one.
//
// Pure functions: no I/O, no shared state.
package auditd

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/parse"
	"github.com/yagura-soc/yagura/internal/parse/kv"
)

// Format is the record format name.
const Format = "auditd"

// Parser parses one audit record.
type Parser struct{}

// Name implements parse.Parser.
func (Parser) Name() string { return Format }

// Looks reports whether data is an audit record: "type=… msg=audit(", or
// the AUOMS form "type=… audit(" that Azure's agent forwards.
func Looks(data []byte) bool {
	s := string(data[:min(len(data), 200)])
	if !strings.HasPrefix(s, "type=") && !strings.HasPrefix(s, "node=") {
		return false
	}
	i, _ := stampAt(s)
	return i >= 0
}

// stampAt finds "msg=audit(" or " audit(" and returns its index and text.
func stampAt(s string) (int, string) {
	if i := strings.Index(s, "msg=audit("); i >= 0 {
		return i, "msg=audit("
	}
	if i := strings.Index(s, " audit("); i >= 0 {
		return i, " audit("
	}
	return -1, ""
}

// hexFields are the fields auditd writes hex-encoded when they hold
// characters it escapes.
var hexFields = map[string]bool{"proctitle": true, "comm": true, "exe": true, "cwd": true, "name": true, "cmd": true, "path": true,
	"acct": true, "data": true, "old-acct": true, "new-acct": true}

// Parse implements parse.Parser.
func (Parser) Parse(data []byte) (parse.Record, error) {
	s := string(data)
	i, open := stampAt(s)
	if i < 0 {
		return parse.Record{}, fmt.Errorf("auditd: no msg=audit(...) in %q", parse.Head(s, 40))
	}
	end := strings.Index(s[i:], "):")
	if end < 0 {
		return parse.Record{}, fmt.Errorf("auditd: msg=audit( is not closed with '):'")
	}
	stamp := s[i+len(open) : i+end]
	dot, colon := strings.IndexByte(stamp, '.'), strings.IndexByte(stamp, ':')
	if dot < 0 || colon < dot {
		return parse.Record{}, fmt.Errorf("auditd: audit(%s) is not seconds.millis:serial", stamp)
	}
	sec, err1 := strconv.ParseInt(stamp[:dot], 10, 64)
	ms, err2 := strconv.ParseInt(stamp[dot+1:colon], 10, 64)
	serial, err3 := strconv.ParseInt(stamp[colon+1:], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return parse.Record{}, fmt.Errorf("auditd: audit(%s) is not seconds.millis:serial", stamp)
	}
	// One map for the header pairs (type, node) and the body: a syscall
	// record has some 30 fields.
	f := make(event.Fields, 40)
	kv.Into(s[i+end+2:], f)
	kv.Into(s[:i], f)
	f["serial"] = serial
	// User-space records (USER_LOGIN, USER_AUTH, USER_CMD …) carry their
	// payload quoted in msg='op=login acct="root" addr=… res=failed'.
	if inner, ok := f["msg"].(string); ok && strings.Count(inner, "=") > 0 {
		for k, v := range kv.Pairs(inner) {
			if _, taken := f[k]; !taken {
				f[k] = v
			}
		}
	}
	typ, _ := f["type"].(string)
	for k, v := range f {
		str, ok := v.(string)
		if !ok {
			continue
		}
		if hexFields[k] || (typ == "EXECVE" && isArg(k)) {
			if dec, ok := decodeHex(str); ok {
				if k == "proctitle" {
					dec = strings.ReplaceAll(dec, "\x00", " ")
				}
				f[k] = dec
			}
		}
	}
	if typ == "EXECVE" {
		f["cmdline"] = joinArgs(f)
	}
	return parse.Record{Format: Format, Time: time.Unix(sec, ms*int64(time.Millisecond)).UTC(), Fields: f}, nil
}

func isArg(k string) bool {
	if len(k) < 2 || k[0] != 'a' {
		return false
	}
	_, err := strconv.Atoi(k[1:])
	return err == nil
}

// decodeHex decodes an even-length upper-case hex string; quoted values
// were never hex.
func decodeHex(s string) (string, bool) {
	if len(s) < 2 || len(s)%2 != 0 {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'F') {
			return "", false
		}
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return "", false
	}
	return string(b), true
}

func joinArgs(f event.Fields) string {
	argc, _ := kv.Int(f, "argc")
	if argc == 0 {
		for i := 0; ; i++ {
			if _, ok := f["a"+strconv.Itoa(i)]; !ok {
				break
			}
			argc++
		}
	}
	parts := make([]string, 0, argc)
	for i := int64(0); i < argc; i++ {
		if v, ok := f["a"+strconv.FormatInt(i, 10)].(string); ok {
			parts = append(parts, v)
		}
	}
	return strings.Join(parts, " ")
}

// Grouper joins the records of one audit event (the same serial on the
// same node) into one record: fields of later record types are added under
// their type ("EXECVE.cmdline"), the first record's fields stay as they are.
type Grouper struct {
	open map[string]*parse.Record
}

// Add adds a record and returns the events completed by it (an EOE record,
// or a new serial on the node, completes the open one).
func (g *Grouper) Add(r parse.Record) []parse.Record {
	if g.open == nil {
		g.open = map[string]*parse.Record{}
	}
	node, _ := r.Fields["node"].(string)
	typ, _ := r.Fields["type"].(string)
	var out []parse.Record
	cur, ok := g.open[node]
	if ok && cur.Fields["serial"] != r.Fields["serial"] {
		out = append(out, *cur)
		delete(g.open, node)
		ok = false
	}
	if typ == "EOE" {
		if ok {
			out = append(out, *cur)
			delete(g.open, node)
		}
		return out
	}
	if !ok {
		rec := r
		rec.Fields = event.Fields{}
		for k, v := range r.Fields {
			rec.Fields[k] = v
		}
		rec.Fields["types"] = []any{typ}
		g.open[node] = &rec
		return out
	}
	cur.Fields["types"] = append(cur.Fields["types"].([]any), typ)
	for k, v := range r.Fields {
		if _, exists := cur.Fields[k]; !exists {
			cur.Fields[k] = v
		} else if k != "type" && k != "serial" && k != "node" && k != "msg" {
			cur.Fields[typ+"."+k] = v
		}
	}
	return out
}

// Flush returns the events still open.
func (g *Grouper) Flush() []parse.Record {
	var out []parse.Record
	for node, r := range g.open {
		out = append(out, *r)
		delete(g.open, node)
	}
	return out
}
