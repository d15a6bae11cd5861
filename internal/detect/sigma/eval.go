package sigma

import (
	"encoding/binary"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/yagura-soc/yagura/internal/event"
)

// fieldValue is the cached, resolved value of one Sigma field for the event
// under evaluation: the original text and its lower-cased form, one entry per
// list element.
type fieldValue struct {
	present bool
	null    bool
	orig    []string
	lower   []string
}

// evalCtx is the per-goroutine scratch space for evaluating one event. It is
// pooled by the Engine, so the hot path allocates nothing once warm.
type evalCtx struct {
	ev *event.Event
	// resolve maps a field id to the event keys to try, for the selector
	// currently in use.
	resolve [][]string
	fields  []fieldValue
	stamp   []uint32 // fields[i] is valid when stamp[i] == gen
	gen     uint32
	// arena holds lower-cased and rendered strings for the current event.
	// Strings point into it, so it is only appended to while an event is
	// evaluated and reset before the next one.
	arena []byte

	kwValid      bool
	kwLowerValid bool
	kwOrig       []string
	kwLower      []string

	candidates []uint64 // candidate rules of the group being evaluated

	groupStamp []uint32 // group already evaluated for this event
	eventGen   uint32
}

func newEvalCtx(numFields, numGroups int) *evalCtx {
	return &evalCtx{
		fields:     make([]fieldValue, numFields),
		stamp:      make([]uint32, numFields),
		groupStamp: make([]uint32, numGroups),
		arena:      make([]byte, 0, 4096),
	}
}

// beginEvent prepares the context for a new event.
func (c *evalCtx) beginEvent(ev *event.Event) {
	c.ev = ev
	c.arena = c.arena[:0]
	c.kwValid, c.kwLowerValid = false, false
	c.kwOrig = c.kwOrig[:0]
	c.kwLower = c.kwLower[:0]
	c.eventGen++
	if c.eventGen == 0 {
		clear(c.groupStamp)
		c.eventGen = 1
	}
	c.nextGen()
}

// useResolver switches the field resolution table (per log source
// selector); cached field values are invalidated because the same Sigma
// field may now read another event key.
func (c *evalCtx) useResolver(resolve [][]string) {
	c.resolve = resolve
	c.nextGen()
}

func (c *evalCtx) nextGen() {
	c.gen++
	if c.gen == 0 {
		clear(c.stamp)
		c.gen = 1
	}
}

// end drops references to the event so the pool does not keep it alive.
func (c *evalCtx) end() {
	c.ev = nil
	c.resolve = nil
	for i := range c.kwOrig {
		c.kwOrig[i] = ""
	}
	for i := range c.kwLower {
		c.kwLower[i] = ""
	}
}

func (c *evalCtx) field(fid int) *fieldValue {
	fv := &c.fields[fid]
	if c.stamp[fid] == c.gen {
		return fv
	}
	c.stamp[fid] = c.gen
	fv.present, fv.null = false, false
	fv.orig, fv.lower = fv.orig[:0], fv.lower[:0]
	for _, key := range c.resolve[fid] {
		v, ok := lookup(c.ev, key)
		if !ok {
			continue
		}
		fv.present = true
		c.setValue(fv, v)
		break
	}
	return fv
}

// lookup reads one key: native fields first (Sigma rules are written against
// native names), then ECS, then the event's own attributes.
func lookup(ev *event.Event, key string) (any, bool) {
	if v, ok := ev.Fields[key]; ok {
		return v, true
	}
	if v, ok := ev.ECS[key]; ok {
		return v, true
	}
	switch key {
	case event.FieldTimestamp, event.FieldIngested, event.FieldOriginal, event.FieldParseError,
		event.FieldTenant, event.FieldID, event.FieldSource:
		return ev.Get(key)
	}
	return nil, false
}

func (c *evalCtx) setValue(fv *fieldValue, v any) {
	switch x := v.(type) {
	case nil:
		fv.null = true
	case []any:
		if len(x) == 0 {
			fv.null = true
		}
		for _, item := range x {
			if item == nil {
				continue
			}
			s := c.render(item)
			fv.orig = append(fv.orig, s)
			fv.lower = append(fv.lower, c.lowerString(s))
		}
	case []string:
		for _, s := range x {
			fv.orig = append(fv.orig, s)
			fv.lower = append(fv.lower, c.lowerString(s))
		}
	default:
		s := c.render(v)
		fv.orig = append(fv.orig, s)
		fv.lower = append(fv.lower, c.lowerString(s))
	}
}

// render formats a scalar like event.String, but numbers go to the arena.
func (c *evalCtx) render(v any) string {
	start := len(c.arena)
	switch x := v.(type) {
	case string:
		return x
	case int64:
		c.arena = strconv.AppendInt(c.arena, x, 10)
	case int:
		c.arena = strconv.AppendInt(c.arena, int64(x), 10)
	case float64:
		c.arena = strconv.AppendFloat(c.arena, x, 'f', -1, 64)
	case bool:
		c.arena = strconv.AppendBool(c.arena, x)
	default:
		return event.String(v)
	}
	return c.arenaString(start)
}

func (c *evalCtx) arenaString(start int) string {
	b := c.arena[start:]
	if len(b) == 0 {
		return ""
	}
	// The bytes are never modified after this point within the event: the
	// arena is only appended to until beginEvent resets it.
	return unsafe.String(&b[0], len(b))
}

// lowerString lower-cases s without allocating for ASCII text. It works
// on eight bytes at a time: values are mostly ASCII paths and command lines.
func (c *evalCtx) lowerString(s string) string {
	hasUpper := false
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := load64(s, i)
		if w&highBits != 0 {
			return strings.ToLower(s)
		}
		if upperMask(w) != 0 {
			hasUpper = true
		}
	}
	for ; i < len(s); i++ {
		b := s[i]
		if b >= utf8.RuneSelf {
			return strings.ToLower(s)
		}
		if 'A' <= b && b <= 'Z' {
			hasUpper = true
		}
	}
	if !hasUpper {
		return s
	}
	start := len(c.arena)
	c.arena = append(c.arena, s...)
	out := c.arena[start:]
	i = 0
	for ; i+8 <= len(out); i += 8 {
		w := binary.LittleEndian.Uint64(out[i:])
		binary.LittleEndian.PutUint64(out[i:], w+upperMask(w)>>2)
	}
	for ; i < len(out); i++ {
		if b := out[i]; 'A' <= b && b <= 'Z' {
			out[i] = b + 'a' - 'A'
		}
	}
	return c.arenaString(start)
}

const highBits = 0x8080808080808080

// upperMask has 0x80 in every byte of w (all ASCII) that is 'A'..'Z'; a
// byte plus 0x3f reaches 0x80 from 'A' on, plus 0x25 from '[' on, and no
// byte below 0x80 carries into its neighbour.
func upperMask(w uint64) uint64 {
	return (w + 0x3f3f3f3f3f3f3f3f) &^ (w + 0x2525252525252525) & highBits
}

func load64(s string, i int) uint64 {
	_ = s[i+7]
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
}

// keywordValues returns the raw text and every field value, for keyword
// searches, as written.
func (c *evalCtx) keywordValues() []string {
	if c.kwValid {
		return c.kwOrig
	}
	c.kwValid = true
	add := func(v any) {
		switch x := v.(type) {
		case nil:
		case []any:
			for _, item := range x {
				if item != nil {
					c.kwOrig = append(c.kwOrig, c.render(item))
				}
			}
		default:
			c.kwOrig = append(c.kwOrig, c.render(v))
		}
	}
	if c.ev.Raw != "" {
		add(c.ev.Raw)
	}
	for _, v := range c.ev.Fields {
		add(v)
	}
	for _, v := range c.ev.ECS {
		add(v)
	}
	return c.kwOrig
}

// keywordValuesLower is keywordValues lower-cased.
func (c *evalCtx) keywordValuesLower() []string {
	if c.kwLowerValid {
		return c.kwLower
	}
	c.kwLowerValid = true
	for _, v := range c.keywordValues() {
		c.kwLower = append(c.kwLower, c.lowerString(v))
	}
	return c.kwLower
}
