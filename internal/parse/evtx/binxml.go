package evtx

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// BinXML tokens. Element start, value, attribute, CDATA, character and
// entity references also come with 0x40 set ("more data follows"), which
// changes nothing in how they are read.
const (
	tokEOF            = 0x00
	tokOpenStart      = 0x01
	tokCloseStart     = 0x02
	tokCloseEmpty     = 0x03
	tokEnd            = 0x04
	tokValue          = 0x05
	tokAttribute      = 0x06
	tokCDATA          = 0x07
	tokCharRef        = 0x08
	tokEntityRef      = 0x09
	tokPITarget       = 0x0a
	tokPIData         = 0x0b
	tokTemplate       = 0x0c
	tokSubst          = 0x0d
	tokOptSubst       = 0x0e
	tokFragmentHeader = 0x0f
	tokMore           = 0x40
)

// Limits, per chunk, that keep a corrupt chunk from costing much more than
// a clean one: a template may name one argument many times, and every
// naming of a BinXML argument is decoded again.
const (
	maxDepth = 64 // element and fragment nesting
	// templateBudget caps the template body bytes parsed: the bodies of a
	// clean chunk do not overlap, so they fit in the chunk.
	templateBudget = chunkSize
	// nestedBudget caps the BinXML argument bytes parsed.
	nestedBudget = 8 * chunkSize
	// textBudget caps the text rendered: 64 times the chunk, where clean
	// chunks render less than their own size.
	textBudget = 64 * chunkSize
)

var (
	errTruncated = errors.New("truncated BinXML")
	errDepth     = errors.New("BinXML nested too deep")
	errBudget    = errors.New("chunk expands beyond the size limit")
)

// reader reads little-endian fields from the chunk between pos and end.
// Offsets are relative to the chunk: names and templates are referred to by
// chunk offset. A read past end sets err and returns zeroes, so a decoder
// checks once per token instead of once per field.
type reader struct {
	b   []byte
	pos int
	end int
	err error
}

func (r *reader) need(n int) bool {
	if r.err != nil {
		return false
	}
	if n < 0 || r.end-r.pos < n {
		r.err = errTruncated
		return false
	}
	return true
}

func (r *reader) u8() uint8 {
	if !r.need(1) {
		return 0
	}
	r.pos++
	return r.b[r.pos-1]
}

func (r *reader) u16() uint16 {
	if !r.need(2) {
		return 0
	}
	r.pos += 2
	return binary.LittleEndian.Uint16(r.b[r.pos-2:])
}

func (r *reader) u32() uint32 {
	if !r.need(4) {
		return 0
	}
	r.pos += 4
	return binary.LittleEndian.Uint32(r.b[r.pos-4:])
}

func (r *reader) skip(n int) {
	if r.need(n) {
		r.pos += n
	}
}

// utf16 returns the next n UTF-16 code units.
func (r *reader) utf16(n int) []byte {
	if !r.need(2 * n) {
		return nil
	}
	r.pos += 2 * n
	return r.b[r.pos-2*n : r.pos]
}

// Parts of an element's content or of an attribute's value.
const (
	partText  = iota // literal text
	partSubst        // a substitution: args[sub]
	partElem         // a child element
	partFrag         // a template instance inside BinXML that is not a template
)

type part struct {
	kind uint8
	opt  bool // optional substitution: a null value leaves no trace
	sub  uint16
	text string
	elem *element
	frag *fragment
}

type element struct {
	name    string
	attrs   []attr
	content []part
}

type attr struct {
	name  string
	value []part
}

// fragment is decoded BinXML: its top-level parts and the arguments their
// substitutions refer to.
type fragment struct {
	parts []part
	args  []value
	inst  bool // a template instance: its substitutions refer to args
}

// template is a parsed template definition; nil in the cache while being
// parsed, so that a template that instantiates itself is an error, not a
// loop.
type template struct {
	parts []part
}

// parser decodes BinXML of one chunk. It caches names and templates by
// chunk offset; reset clears them for the next chunk and keeps the memory.
type parser struct {
	chunk     []byte
	names     map[uint32]string
	templates map[uint32]*template
	intern    map[string]string // names across chunks, so a chunk's names cost no allocation
	budget    int               // template bytes left in this chunk
	args      []value           // arguments of the current record, reused
	scratch   []byte
}

func newParser() *parser {
	return &parser{
		names:     make(map[uint32]string),
		templates: make(map[uint32]*template),
		intern:    make(map[string]string),
	}
}

func (p *parser) reset(chunk []byte) {
	p.chunk = chunk
	clear(p.names)
	clear(p.templates)
	p.budget = templateBudget
}

// maxInterned bounds the cross-chunk name table: a file of random names
// would otherwise grow it without end.
const maxInterned = 4096

// name reads a name reference. The name is usually defined right there,
// inline, the first time a chunk uses it, and referred to by offset later.
func (p *parser) name(r *reader) string {
	off := r.u32()
	if r.err != nil {
		return ""
	}
	inline := int(off) == r.pos
	if s, ok := p.names[off]; ok {
		if inline {
			r.skip(4 + 2 + 2 + 2*len16(p.chunk, int(off)) + 2)
		}
		return s
	}
	nr := reader{b: p.chunk, pos: int(off), end: len(p.chunk)}
	nr.skip(4 + 2) // next name in the hash bucket, hash
	n := int(nr.u16())
	raw := nr.utf16(n)
	if nr.err != nil {
		r.err = fmt.Errorf("name at %#x: %w", off, nr.err)
		return ""
	}
	if inline {
		r.skip(4 + 2 + 2 + 2*n + 2)
	}
	p.scratch = appendUTF16(p.scratch[:0], raw)
	s := p.internBytes(p.scratch)
	p.names[off] = s
	return s
}

// internBytes returns b as a string, the same string for the same bytes
// while the table has room.
func (p *parser) internBytes(b []byte) string {
	if s, ok := p.intern[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(p.intern) < maxInterned {
		p.intern[s] = s
	}
	return s
}

// internKey is prefix+name, interned.
func (p *parser) internKey(prefix, name string) string {
	p.scratch = append(append(p.scratch[:0], prefix...), name...)
	return p.internBytes(p.scratch)
}

// len16 is the character count of the name defined at off (already read
// once, so in bounds).
func len16(chunk []byte, off int) int {
	return int(binary.LittleEndian.Uint16(chunk[off+6:]))
}

// parseFragment decodes the BinXML between r.pos and r.end: normally a
// fragment header and one template instance, whose arguments are appended
// to p.args. inTemplate says whether elements carry a dependency id (they
// do in template definitions, not in records or BinXML arguments).
func (p *parser) parseFragment(r *reader, inTemplate bool, depth int) (fragment, error) {
	if depth > maxDepth {
		return fragment{}, errDepth
	}
	var parts []part
	var first fragment // the usual record is one instance: kept out of parts, no copy
	for r.err == nil && r.pos < r.end {
		tok := r.u8()
		switch tok &^ tokMore {
		case tokEOF:
			r.pos = r.end
		case tokFragmentHeader:
			r.skip(3) // major, minor version, flags
		case tokTemplate:
			f, err := p.instance(r, depth)
			if err != nil {
				return fragment{}, err
			}
			if !first.inst && parts == nil {
				first = f
			} else {
				parts = append(parts, part{kind: partFrag, frag: heapFragment(f)})
			}
		case tokOpenStart:
			e, err := p.element(r, tok, inTemplate, depth+1)
			if err != nil {
				return fragment{}, err
			}
			parts = append(parts, part{kind: partElem, elem: e})
		case tokPITarget:
			p.name(r)
		case tokPIData:
			r.utf16(int(r.u16()))
		default:
			return fragment{}, fmt.Errorf("unexpected token %#x at %#x", tok, r.pos-1)
		}
	}
	if r.err != nil {
		return fragment{}, r.err
	}
	if first.inst {
		if parts == nil {
			return first, nil
		}
		parts = append([]part{{kind: partFrag, frag: heapFragment(first)}}, parts...)
	}
	return fragment{parts: parts}, nil
}

// heapFragment copies f to the heap; taking the address of a local instead
// would move every record's fragment there.
func heapFragment(f fragment) *fragment { return &f }

// instance reads a template instance: the template (defined inline the
// first time a chunk uses it) and its arguments.
func (p *parser) instance(r *reader, depth int) (fragment, error) {
	r.skip(1 + 4) // unknown, template id
	defOff := r.u32()
	if r.err != nil {
		return fragment{}, r.err
	}
	if int(defOff) == r.pos {
		// Inline definition: next template offset, GUID, body size, body.
		r.skip(4 + 16)
		r.skip(int(r.u32()))
	}
	t, err := p.template(defOff, depth)
	if err != nil {
		return fragment{}, err
	}
	n := int(r.u32())
	if !r.need(4 * n) { // every argument has a 4-byte descriptor
		return fragment{}, fmt.Errorf("template instance: %d arguments: %w", n, r.err)
	}
	start := len(p.args)
	desc := r.pos
	r.pos += 4 * n
	for i := 0; i < n; i++ {
		size := binary.LittleEndian.Uint16(r.b[desc+4*i:])
		typ := r.b[desc+4*i+2]
		if !r.need(int(size)) {
			return fragment{}, fmt.Errorf("template argument %d: %w", i, r.err)
		}
		p.args = append(p.args, value{off: int32(r.pos), size: size, typ: typ})
		r.pos += int(size)
	}
	return fragment{parts: t.parts, args: p.args[start:len(p.args):len(p.args)], inst: true}, nil
}

// template returns the template defined at chunk offset off, parsing it the
// first time.
func (p *parser) template(off uint32, depth int) (*template, error) {
	if t, ok := p.templates[off]; ok {
		if t == nil {
			return nil, fmt.Errorf("template at %#x instantiates itself", off)
		}
		return t, nil
	}
	r := reader{b: p.chunk, pos: int(off), end: len(p.chunk)}
	r.skip(4 + 16) // next template offset, GUID
	size := int(r.u32())
	if !r.need(size) {
		return nil, fmt.Errorf("template at %#x: %w", off, r.err)
	}
	if p.budget -= size; p.budget < 0 {
		return nil, fmt.Errorf("template at %#x: chunk's templates exceed its size", off)
	}
	r.end = r.pos + size
	p.templates[off] = nil
	// Arguments of an instance inside a definition live as long as the
	// template, not in the record's arena.
	recordArgs := p.args
	p.args = nil
	f, err := p.parseFragment(&r, true, depth+1)
	p.args = recordArgs
	if err != nil {
		delete(p.templates, off)
		return nil, fmt.Errorf("template at %#x: %w", off, err)
	}
	t := &template{parts: f.parts}
	if f.inst {
		t.parts = []part{{kind: partFrag, frag: heapFragment(f)}}
	}
	p.templates[off] = t
	return t, nil
}

// element reads an element whose start token tok has just been read.
func (p *parser) element(r *reader, tok uint8, inTemplate bool, depth int) (*element, error) {
	if depth > maxDepth {
		return nil, errDepth
	}
	if inTemplate {
		r.skip(2) // dependency id
	}
	r.skip(4) // data size
	e := &element{name: p.name(r)}
	if tok&tokMore != 0 {
		r.skip(4) // attribute list size
	}
	for r.err == nil {
		tok := r.u8()
		switch tok &^ tokMore {
		case tokAttribute:
			a := attr{name: p.name(r)}
			for r.err == nil && r.pos < r.end && isValueToken(r.b[r.pos]) {
				pt, err := p.valuePart(r, r.u8())
				if err != nil {
					return nil, err
				}
				a.value = append(a.value, pt)
			}
			e.attrs = append(e.attrs, a)
		case tokCloseEmpty:
			return e, r.err
		case tokCloseStart:
			return e, p.content(r, e, inTemplate, depth)
		default:
			if r.err != nil {
				return nil, r.err
			}
			return nil, fmt.Errorf("unexpected token %#x in <%s> at %#x", tok, e.name, r.pos-1)
		}
	}
	return nil, r.err
}

// content reads an element's content up to its end token.
func (p *parser) content(r *reader, e *element, inTemplate bool, depth int) error {
	for r.err == nil {
		tok := r.u8()
		switch {
		case tok&^tokMore == tokEnd:
			return r.err
		case tok&^tokMore == tokOpenStart:
			c, err := p.element(r, tok, inTemplate, depth+1)
			if err != nil {
				return err
			}
			e.content = append(e.content, part{kind: partElem, elem: c})
		case tok&^tokMore == tokPITarget:
			p.name(r)
		case tok&^tokMore == tokPIData:
			r.utf16(int(r.u16()))
		case tok&^tokMore == tokTemplate:
			f, err := p.instance(r, depth)
			if err != nil {
				return err
			}
			e.content = append(e.content, part{kind: partFrag, frag: heapFragment(f)})
		case isValueToken(tok):
			pt, err := p.valuePart(r, tok)
			if err != nil {
				return err
			}
			e.content = append(e.content, pt)
		default:
			if r.err != nil {
				return r.err
			}
			return fmt.Errorf("unexpected token %#x in <%s> at %#x", tok, e.name, r.pos-1)
		}
	}
	return r.err
}

// isValueToken reports whether tok stands for text: a value, CDATA, a
// character or entity reference, or a substitution.
func isValueToken(tok uint8) bool {
	switch tok &^ tokMore {
	case tokValue, tokCDATA, tokCharRef, tokEntityRef:
		return true
	}
	return tok == tokSubst || tok == tokOptSubst
}

// valuePart reads the text token tok.
func (p *parser) valuePart(r *reader, tok uint8) (part, error) {
	switch tok &^ tokMore {
	case tokSubst, tokOptSubst:
		id := r.u16()
		r.skip(1) // declared type; the argument's own type is what counts
		return part{kind: partSubst, sub: id, opt: tok == tokOptSubst}, r.err
	case tokValue, tokCDATA:
		if tok&^tokMore == tokValue {
			r.skip(1) // value type: always a UTF-16 string
		}
		p.scratch = appendUTF16(p.scratch[:0], r.utf16(int(r.u16())))
		return part{kind: partText, text: string(p.scratch)}, r.err
	case tokCharRef:
		return part{kind: partText, text: string(rune(r.u16()))}, r.err
	default: // entity reference
		name := p.name(r)
		return part{kind: partText, text: entity(name)}, r.err
	}
}

// entity resolves the predefined XML entities; others are kept as written.
func entity(name string) string {
	switch name {
	case "amp":
		return "&"
	case "lt":
		return "<"
	case "gt":
		return ">"
	case "quot":
		return `"`
	case "apos":
		return "'"
	}
	return "&" + name + ";"
}
