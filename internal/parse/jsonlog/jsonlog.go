// Package jsonlog parses one JSON object per record (NDJSON, application
// logs, Beats/Vector output) and flattens nested objects to dotted keys:
// {"a":{"b":1}} becomes "a.b" = int64(1). Arrays of scalars stay lists;
// objects inside arrays are flattened under their index ("a.0.b"). A
// timestamp is taken from the usual keys (@timestamp, timestamp, time, ts).
//
// The flattener is hand-written because it is the hottest parser: it walks
// the bytes once and allocates only the keys and values it keeps. It must
// never panic or recurse without bound on hostile input; nesting deeper than
// MaxDepth is an error.
package jsonlog

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/parse"
)

// Format is the record format name.
const Format = "json"

// MaxDepth bounds object and array nesting.
const MaxDepth = 64

// Parser parses one JSON object per record.
type Parser struct{}

// Name implements parse.Parser.
func (Parser) Name() string { return Format }

// TimeKeys are the keys, in order of preference, whose value is taken as
// the record's time.
var TimeKeys = []string{"@timestamp", "timestamp", "time", "ts", "eventTime", "EventTime", "TimeGenerated", "date", "datetime"}

// Parse implements parse.Parser.
func (Parser) Parse(data []byte) (parse.Record, error) {
	f := make(event.Fields, 24)
	if err := Flatten(data, f); err != nil {
		return parse.Record{}, err
	}
	return parse.Record{Format: Format, Time: TimeOf(f, TimeKeys...), Fields: f}, nil
}

// TimeOf returns the first of keys in f that holds a readable time: RFC
// 3339 text (with or without zone, then UTC), or epoch seconds/milliseconds
// as a number or numeric text. Zero when none does.
func TimeOf(f event.Fields, keys ...string) time.Time {
	for _, k := range keys {
		if t, ok := ParseTime(f[k]); ok {
			return t
		}
	}
	return time.Time{}
}

// ParseTime reads a time value as JSON logs write it.
func ParseTime(v any) (time.Time, bool) {
	switch x := v.(type) {
	case string:
		if x == "" {
			return time.Time{}, false
		}
		if x[0] >= '0' && x[0] <= '9' && len(x) >= 10 && x[4] == '-' {
			for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"} {
				if t, err := time.Parse(layout, x); err == nil {
					return t.UTC(), true
				}
			}
			return time.Time{}, false
		}
		if f, err := strconv.ParseFloat(x, 64); err == nil {
			return epoch(f)
		}
	case int64:
		return epoch(float64(x))
	case float64:
		return epoch(x)
	}
	return time.Time{}, false
}

// epoch reads seconds, or milliseconds when the number is too large to be
// seconds before the year 5000.
func epoch(f float64) (time.Time, bool) {
	if f <= 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		return time.Time{}, false
	}
	if f > 95e9 { // milliseconds
		f /= 1000
	}
	if f > 95e9 {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(math.Round(frac*1e6))*1000).UTC(), true
}

var errNotObject = errors.New("json: record is not a JSON object: expected '{'")

// Flatten parses one JSON object from data into f under dotted keys.
// Trailing white space is allowed, trailing data is an error.
func Flatten(data []byte, f event.Fields) error {
	// The decoder works on one string copy of the record: keys and values
	// without escapes are substrings of it, so they cost no copy each.
	return FlattenString(string(data), f)
}

// FlattenString is Flatten for a record already held as a string (a
// stored JSON column): no copy at all.
func FlattenString(data string, f event.Fields) error {
	return flatten(data, f, nil)
}

// FlattenSplit is FlattenString, except that the leaves of an object
// whose dotted name is a key of split go to that map, named relative to
// the object: {"Event":{"EventData":{"Image":…}}} with split
// {"Event.EventData": m} stores m["Image"]. A caller that renames an
// object's members anyway (Windows' EventData) is spared building,
// hashing and cutting the long names of every one of them.
func FlattenSplit(data string, f event.Fields, split map[string]event.Fields) error {
	d := decoder{data: data, f: f, valid: utf8.ValidString(data), split: split}
	return d.record()
}

func flatten(data string, f event.Fields, keep *KeySet) error {
	// One validity pass over the record spares a check per string.
	d := decoder{data: data, f: f, valid: utf8.ValidString(data), keep: keep}
	return d.record()
}

// record reads the one object data must hold.
func (d *decoder) record() error {
	d.skipSpace()
	if d.i >= len(d.data) || d.data[d.i] != '{' {
		return errNotObject
	}
	if err := d.object("", true, 0); err != nil {
		return err
	}
	d.skipSpace()
	if d.i != len(d.data) {
		return fmt.Errorf("json: unexpected %q after the object at byte %d: one object per record", d.data[d.i], d.i)
	}
	return nil
}

// KeySet names the leaves FlattenStringKeys keeps.
type KeySet struct {
	names map[string]uint8 // every leaf (keepLeaf) and dotted prefix of one (keepParent)
}

const (
	keepLeaf   = 1
	keepParent = 2
)

// NewKeySet makes a KeySet of dotted leaf names.
func NewKeySet(keys []string) *KeySet {
	ks := &KeySet{names: make(map[string]uint8, 2*len(keys))}
	for _, k := range keys {
		ks.names[k] |= keepLeaf
		for i := 0; i < len(k); i++ {
			if k[i] == '.' {
				ks.names[k[:i]] |= keepParent
			}
		}
	}
	return ks
}

// lookup tells whether name is a kept leaf, a parent of one, or neither.
func (ks *KeySet) lookup(name string) uint8 { return ks.names[name] }

// Has reports whether the leaf k is kept.
func (ks *KeySet) Has(k string) bool { return ks.lookup(k)&keepLeaf != 0 }

// FlattenStringKeys is FlattenString that keeps only the leaves in keep:
// the others are skipped without being decoded, which is what makes
// reading a few fields of a large stored record cheap. The whole record is
// still checked for syntax.
func FlattenStringKeys(data string, f event.Fields, keep *KeySet) error {
	return flatten(data, f, keep)
}

// Unquote decodes data that holds one JSON string and nothing else but
// white space around it, as Flatten decodes string values: escapes
// decoded, invalid UTF-8 and lone surrogates as U+FFFD. Unlike
// encoding/json it accepts raw control characters inside the string, so a
// shipper's stray tab does not turn a log line into an unparsed one.
func Unquote(data []byte) (string, error) {
	d := decoder{data: string(data), valid: utf8.Valid(data)}
	d.skipSpace()
	if d.i >= len(d.data) || d.data[d.i] != '"' {
		return "", d.errf(`'"'`)
	}
	s, err := d.str()
	if err != nil {
		return "", err
	}
	d.skipSpace()
	if d.i != len(d.data) {
		return "", fmt.Errorf("json: unexpected %q after the string at byte %d", d.data[d.i], d.i)
	}
	return s, nil
}

type decoder struct {
	data  string
	i     int
	f     event.Fields
	buf   []byte
	valid bool // data is valid UTF-8
	// keep, when set, names the only leaves stored; see FlattenStringKeys.
	keep *KeySet
	// split, when set, names objects whose leaves go to maps of their
	// own; see FlattenSplit.
	split map[string]event.Fields
	// inSplit is set while reading such an object.
	inSplit bool
}

func (d *decoder) skipSpace() {
	for d.i < len(d.data) {
		switch d.data[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *decoder) errf(what string) error {
	if d.i >= len(d.data) {
		return fmt.Errorf("json: unexpected end of input, expected %s: the record is truncated", what)
	}
	return fmt.Errorf("json: unexpected %q at byte %d, expected %s", d.data[d.i], d.i, what)
}

// join names a member: key itself at a root, prefix.key below one. The
// record's own members named "" are roots too (their members have always
// been named without a leading dot); inside a split object they are not,
// so that its relative names are the record's names with the object's
// prefix cut off.
func join(prefix string, root bool, key string) string {
	if root {
		return key
	}
	return prefix + "." + key
}

// colon moves past the ':' after a key and the white space around it.
func (d *decoder) colon() error {
	d.skipSpace()
	if d.i >= len(d.data) || d.data[d.i] != ':' {
		return d.errf("':' after key")
	}
	d.i++
	d.skipSpace()
	return nil
}

// object reads {...} at d.i and stores its leaves under prefix (as
// top-level names when root).
func (d *decoder) object(prefix string, root bool, depth int) error {
	if depth >= MaxDepth {
		return fmt.Errorf("json: nesting deeper than %d at byte %d", MaxDepth, d.i)
	}
	d.i++ // '{'
	d.skipSpace()
	if d.i < len(d.data) && d.data[d.i] == '}' {
		d.i++
		return nil
	}
	for {
		d.skipSpace()
		if d.i >= len(d.data) || d.data[d.i] != '"' {
			return d.errf("a quoted key")
		}
		key, err := d.str()
		if err != nil {
			return err
		}
		if err := d.colon(); err != nil {
			return err
		}
		name := join(prefix, root, key)
		kept := uint8(keepLeaf)
		if d.keep != nil {
			kept = d.keep.lookup(name)
			if name == "" {
				kept |= keepParent // "" adds no dot: its leaves are top-level names
			}
		}
		if kept == 0 {
			if err := d.skipValue(depth + 1); err != nil {
				return err
			}
		} else if d.i < len(d.data) && d.data[d.i] == '{' {
			if own, ok := d.split[name]; ok && !d.inSplit {
				// Its members are named relative to it, and none of
				// them is split again.
				outer := d.f
				d.f, d.inSplit = own, true
				err := d.object("", true, depth+1)
				d.f, d.inSplit = outer, false
				if err != nil {
					return err
				}
			} else if err := d.object(name, name == "" && !d.inSplit, depth+1); err != nil {
				return err
			}
		} else if d.i < len(d.data) && d.data[d.i] == '[' {
			if err := d.array(name, depth+1); err != nil {
				return err
			}
		} else {
			v, err := d.scalar()
			if err != nil {
				return err
			}
			if kept&keepLeaf != 0 {
				d.f[name] = v
			}
		}
		d.skipSpace()
		if d.i >= len(d.data) {
			return d.errf("',' or '}'")
		}
		switch d.data[d.i] {
		case ',':
			d.i++
		case '}':
			d.i++
			return nil
		default:
			return d.errf("',' or '}'")
		}
	}
}

// array reads [...] at d.i. Scalars collect into one list under prefix;
// objects and nested arrays go under prefix.N.
func (d *decoder) array(prefix string, depth int) error {
	if depth >= MaxDepth {
		return fmt.Errorf("json: nesting deeper than %d at byte %d", MaxDepth, d.i)
	}
	d.i++ // '['
	var list []any
	empty := false
	for n := 0; ; n++ {
		d.skipSpace()
		if d.i >= len(d.data) {
			return d.errf("a value or ']'")
		}
		if d.data[d.i] == ']' && n == 0 {
			d.i++
			empty = true
			break
		}
		switch d.data[d.i] {
		case '{':
			if err := d.object(prefix+"."+strconv.Itoa(n), false, depth+1); err != nil {
				return err
			}
		case '[':
			if err := d.array(prefix+"."+strconv.Itoa(n), depth+1); err != nil {
				return err
			}
		default:
			v, err := d.scalar()
			if err != nil {
				return err
			}
			list = append(list, v)
		}
		d.skipSpace()
		if d.i >= len(d.data) {
			return d.errf("',' or ']'")
		}
		if d.data[d.i] == ',' {
			d.i++
			continue
		}
		if d.data[d.i] == ']' {
			d.i++
			break
		}
		return d.errf("',' or ']'")
	}
	if d.keep != nil && !d.keep.Has(prefix) {
		return nil // only objects in the array held kept leaves
	}
	if list != nil {
		d.f[prefix] = list
	} else if empty {
		// An empty array is kept as an empty list so the key still exists.
		d.f[prefix] = []any{}
	}
	return nil
}

// skipValue moves past the value at d.i without decoding it, checking its
// syntax as the decoding path would.
func (d *decoder) skipValue(depth int) error {
	if depth >= MaxDepth {
		return fmt.Errorf("json: nesting deeper than %d at byte %d", MaxDepth, d.i)
	}
	if d.i >= len(d.data) {
		return d.errf("a value")
	}
	switch d.data[d.i] {
	case '"':
		return d.skipString()
	case '{', '[':
		closer := byte('}')
		if d.data[d.i] == '[' {
			closer = ']'
		}
		object := closer == '}'
		d.i++
		d.skipSpace()
		if d.i < len(d.data) && d.data[d.i] == closer {
			d.i++
			return nil
		}
		for {
			d.skipSpace()
			if object {
				if d.i >= len(d.data) || d.data[d.i] != '"' {
					return d.errf("a quoted key")
				}
				if err := d.skipString(); err != nil {
					return err
				}
				if err := d.colon(); err != nil {
					return err
				}
			}
			if err := d.skipValue(depth + 1); err != nil {
				return err
			}
			d.skipSpace()
			if d.i >= len(d.data) {
				return d.errf("',' or a closing bracket")
			}
			switch d.data[d.i] {
			case ',':
				d.i++
			case closer:
				d.i++
				return nil
			default:
				return d.errf("',' or a closing bracket")
			}
		}
	}
	if c := d.data[d.i]; c == '-' || (c >= '0' && c <= '9') {
		return d.skipNumber()
	}
	_, err := d.scalar()
	return err
}

// skipString moves past the string at d.i (its opening quote) without
// decoding it: the quote and each backslash are found with IndexByte, so
// a long value costs a memory scan, not a loop per byte.
func (d *decoder) skipString() error {
	j := d.i + 1
	for {
		k := strings.IndexByte(d.data[j:], '"')
		if k < 0 {
			d.i = len(d.data)
			return d.errf(`'"' closing the string`)
		}
		if b := strings.IndexByte(d.data[j:j+k], '\\'); b >= 0 {
			p := j + b
			if p+1 < len(d.data) && !validEscape(d.data[p+1:]) {
				d.i = p + 1
				return d.errf("a valid escape after '\\'")
			}
			j = p + 2
			if j > len(d.data) {
				j = len(d.data)
			}
			continue
		}
		d.i = j + k + 1
		return nil
	}
}

// validEscape reports whether s (what follows a backslash) starts with an
// escape the decoder accepts.
func validEscape(s string) bool {
	switch s[0] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return true
	case 'u':
		if len(s) < 5 {
			return false
		}
		for _, c := range []byte(s[1:5]) {
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
		return true
	}
	return false
}

func (d *decoder) scalar() (any, error) {
	if d.i >= len(d.data) {
		return nil, d.errf("a value")
	}
	switch c := d.data[d.i]; {
	case c == '"':
		return d.str()
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	}
	return nil, d.errf("a value")
}

func (d *decoder) literal(word string) error {
	if len(d.data)-d.i < len(word) || d.data[d.i:d.i+len(word)] != word {
		return d.errf(word)
	}
	d.i += len(word)
	return nil
}

func (d *decoder) number() (any, error) {
	start := d.i
	text, isFloat := d.numberText()
	if !isFloat {
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return n, nil
		}
	}
	fl, err := strconv.ParseFloat(text, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return text, nil // keep huge numbers as written
		}
		d.i = start
		return nil, d.errf("a number")
	}
	return fl, nil
}

// skipNumber moves past a number, without boxing it, failing where
// number fails: every text number reads as an integer reads as a float.
func (d *decoder) skipNumber() error {
	start := d.i
	text, _ := d.numberText()
	if _, err := strconv.ParseFloat(text, 64); err != nil && !errors.Is(err, strconv.ErrRange) {
		d.i = start
		return d.errf("a number")
	}
	return nil
}

// numberText moves past the characters of a number at d.i.
func (d *decoder) numberText() (text string, isFloat bool) {
	start := d.i
	for d.i < len(d.data) {
		c := d.data[d.i]
		if c >= '0' && c <= '9' || c == '-' || c == '+' {
			d.i++
		} else if c == '.' || c == 'e' || c == 'E' {
			isFloat = true
			d.i++
		} else {
			break
		}
	}
	return d.data[start:d.i], isFloat
}

// str reads a quoted string at d.i, decoding escapes; invalid UTF-8 and
// lone surrogates become U+FFFD.
func (d *decoder) str() (string, error) {
	d.i++ // opening quote
	start := d.i
	q := strings.IndexByte(d.data[d.i:], '"')
	if q < 0 {
		d.i = len(d.data)
		return "", d.errf(`closing '"'`)
	}
	s := d.data[start : start+q]
	if b := strings.IndexByte(s, '\\'); b >= 0 {
		d.i = start + b
		return d.strSlow(start)
	}
	d.i = start + q + 1
	if !d.valid && !utf8.ValidString(s) {
		s = toValidUTF8(s)
	}
	return s, nil
}

func (d *decoder) strSlow(start int) (string, error) {
	d.buf = append(d.buf[:0], d.data[start:d.i]...)
	for d.i < len(d.data) {
		c := d.data[d.i]
		switch {
		case c == '"':
			d.i++
			s := string(d.buf)
			// Runs of a valid record cut at ASCII bytes, and decoded
			// escapes, are valid: only an invalid record needs the check.
			if !d.valid && !utf8.ValidString(s) {
				s = toValidUTF8(s)
			}
			return s, nil
		case c != '\\':
			// The run up to the next quote or backslash, at once.
			run := d.data[d.i:]
			if q := strings.IndexByte(run, '"'); q >= 0 {
				run = run[:q]
			}
			if b := strings.IndexByte(run, '\\'); b >= 0 {
				run = run[:b]
			}
			d.buf = append(d.buf, run...)
			d.i += len(run)
			continue
		}
		d.i++
		if d.i >= len(d.data) {
			break
		}
		e := d.data[d.i]
		d.i++
		switch e {
		case '"', '\\', '/':
			d.buf = append(d.buf, e)
		case 'b':
			d.buf = append(d.buf, '\b')
		case 'f':
			d.buf = append(d.buf, '\f')
		case 'n':
			d.buf = append(d.buf, '\n')
		case 'r':
			d.buf = append(d.buf, '\r')
		case 't':
			d.buf = append(d.buf, '\t')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return "", d.errf(`four hex digits after \u`)
			}
			if utf16.IsSurrogate(r) {
				r = d.surrogatePair(r)
			}
			d.buf = utf8.AppendRune(d.buf, r)
		default:
			d.i--
			return "", d.errf(`a valid escape after '\'`)
		}
	}
	return "", d.errf(`closing '"'`)
}

// surrogatePair completes a UTF-16 surrogate read from a \u escape with
// the \u escape after it. Without a partner it is U+FFFD, and an escape
// after it that is not its partner stays to be read on its own, as
// encoding/json reads it.
func (d *decoder) surrogatePair(hi rune) rune {
	if d.i+1 < len(d.data) && d.data[d.i] == '\\' && d.data[d.i+1] == 'u' {
		save := d.i
		d.i += 2
		if lo, ok := d.hex4(); ok {
			if r := utf16.DecodeRune(hi, lo); r != utf8.RuneError {
				return r
			}
		}
		d.i = save
	}
	return utf8.RuneError
}

func (d *decoder) hex4() (rune, bool) {
	if len(d.data)-d.i < 4 {
		return 0, false
	}
	var r rune
	for k := d.i; k < d.i+4; k++ {
		c := d.data[k]
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	d.i += 4
	return r, true
}

// toValidUTF8 replaces each byte that is not part of valid UTF-8 with
// U+FFFD, as encoding/json does (strings.ToValidUTF8 would merge a run of
// them into one).
func toValidUTF8(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString("\uFFFD")
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
