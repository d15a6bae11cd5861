package evtx

import (
	"encoding/binary"
	"hash/crc32"
	"math"
	"unicode/utf16"
)

// This file writes EVTX files for tests: BinXML from a small element tree,
// template instances, chunks and the file header with valid checksums.

// xelem is an element of a template or of a BinXML argument. Its content
// holds strings (text), xsub (substitutions) and *xelem (children).
type xelem struct {
	name    string
	attrs   []xattr
	content []any
}

type xattr struct {
	name  string
	value any // string or xsub
}

type xsub struct {
	id  uint16
	opt bool
}

// xarg is one template argument: its type and bytes.
type xarg struct {
	typ  uint8
	data []byte
}

// bxml appends BinXML to a chunk being built; pos is the chunk offset of
// the end of b, which is where inline names and templates are defined.
type bxml struct {
	b    []byte
	base int // chunk offset of b[0]
}

func (x *bxml) pos() int       { return x.base + len(x.b) }
func (x *bxml) u8(v uint8)     { x.b = append(x.b, v) }
func (x *bxml) u16(v uint16)   { x.b = binary.LittleEndian.AppendUint16(x.b, v) }
func (x *bxml) u32(v uint32)   { x.b = binary.LittleEndian.AppendUint32(x.b, v) }
func (x *bxml) utf16(s string) { x.b = appendUTF16LE(x.b, s) }

func appendUTF16LE(b []byte, s string) []byte {
	for _, c := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, c)
	}
	return b
}

// name writes a name defined inline.
func (x *bxml) name(s string) {
	x.u32(uint32(x.pos() + 4))
	x.u32(0) // next name
	x.u16(0) // hash, not checked
	x.u16(uint16(len(utf16.Encode([]rune(s)))))
	x.utf16(s)
	x.u16(0)
}

func (x *bxml) element(e *xelem, inTemplate bool) {
	tok := uint8(tokOpenStart)
	if len(e.attrs) > 0 {
		tok |= tokMore
	}
	x.u8(tok)
	if inTemplate {
		x.u16(0xffff) // dependency id
	}
	x.u32(0) // data size, not read
	x.name(e.name)
	if len(e.attrs) > 0 {
		x.u32(0) // attribute list size, not read
	}
	for i, a := range e.attrs {
		tok := uint8(tokAttribute)
		if i < len(e.attrs)-1 {
			tok |= tokMore
		}
		x.u8(tok)
		x.name(a.name)
		x.text(a.value)
	}
	if len(e.content) == 0 {
		x.u8(tokCloseEmpty)
		return
	}
	x.u8(tokCloseStart)
	for _, c := range e.content {
		if child, ok := c.(*xelem); ok {
			x.element(child, inTemplate)
		} else {
			x.text(c)
		}
	}
	x.u8(tokEnd)
}

func (x *bxml) text(v any) {
	switch v := v.(type) {
	case string:
		x.u8(tokValue)
		x.u8(tString)
		x.u16(uint16(len(utf16.Encode([]rune(v)))))
		x.utf16(v)
	case xsub:
		if v.opt {
			x.u8(tokOptSubst)
		} else {
			x.u8(tokSubst)
		}
		x.u16(v.id)
		x.u8(tString) // declared type; the argument's type is used
	}
}

// instance writes a template instance of root with args; defs maps a
// template root to the chunk offset of its definition, and a root not yet
// defined in this chunk is defined inline.
func (x *bxml) instance(root *xelem, args []xarg, defs map[*xelem]int) {
	x.u8(tokTemplate)
	x.u8(1)
	x.u32(0) // template id, not read
	if off, ok := defs[root]; ok {
		x.u32(uint32(off))
	} else {
		defs[root] = x.pos() + 4
		x.u32(uint32(x.pos() + 4))
		x.u32(0)                               // next template
		x.b = append(x.b, make([]byte, 16)...) // GUID
		sizeAt := len(x.b)
		x.u32(0)
		start := len(x.b)
		x.u8(tokFragmentHeader)
		x.b = append(x.b, 1, 1, 0)
		x.element(root, true)
		x.u8(tokEOF)
		binary.LittleEndian.PutUint32(x.b[sizeAt:], uint32(len(x.b)-start))
	}
	x.u32(uint32(len(args)))
	for _, a := range args {
		x.u16(uint16(len(a.data)))
		x.u8(a.typ)
		x.u8(0)
	}
	for _, a := range args {
		x.b = append(x.b, a.data...)
	}
}

// fragment is a BinXML argument holding an instance of root; base is where
// its bytes will lie in the chunk, which inline definitions depend on.
func fragmentArg(root *xelem, args []xarg, base int, defs map[*xelem]int) xarg {
	x := bxml{base: base}
	x.u8(tokFragmentHeader)
	x.b = append(x.b, 1, 1, 0)
	x.instance(root, args, defs)
	x.u8(tokEOF)
	return xarg{typ: tBinXML, data: x.b}
}

// xrecord is a record to write: its id, written time and the template
// instance it holds; nested, when set, builds the arguments from the chunk
// offset at which they will start (for BinXML arguments with templates).
type xrecord struct {
	id      uint64
	written uint64
	root    *xelem
	args    []xarg
	nested  func(base int, defs map[*xelem]int) []xarg
}

// buildChunk writes a chunk holding recs.
func buildChunk(recs []xrecord) []byte {
	cw := newChunkWriter()
	defs := map[*xelem]int{}
	for _, r := range recs {
		x := bxml{base: cw.bodyAt()}
		x.u8(tokFragmentHeader)
		x.b = append(x.b, 1, 1, 0)
		args := r.args
		if r.nested != nil {
			// The argument data follows the instance header, its
			// definition (if inline here) and the descriptors.
			probe := bxml{base: x.pos()}
			probe.instance(r.root, make([]xarg, len(r.nested(0, map[*xelem]int{}))), copyDefs(defs))
			args = r.nested(x.pos()+len(probe.b), defs)
		}
		x.instance(r.root, args, defs)
		x.u8(tokEOF)
		cw.put(r.id, r.written, x.b)
	}
	return cw.finish()
}

// chunkWriter lays records out in a chunk and fills in its header.
type chunkWriter struct {
	c           []byte
	off         int
	first, last uint64
}

func newChunkWriter() *chunkWriter {
	return &chunkWriter{c: make([]byte, chunkSize), off: chunkHeaderSize}
}

// bodyAt is the chunk offset of the next record's BinXML.
func (cw *chunkWriter) bodyAt() int { return cw.off + recordHeaderSize }

func (cw *chunkWriter) put(id, written uint64, body []byte) {
	if cw.off == chunkHeaderSize {
		cw.first = id
	}
	cw.last = id
	le := binary.LittleEndian
	size := recordHeaderSize + len(body) + 4
	rec := cw.c[cw.off : cw.off+size]
	copy(rec, recordMagic)
	le.PutUint32(rec[4:], uint32(size))
	le.PutUint64(rec[8:], id)
	le.PutUint64(rec[16:], written)
	copy(rec[recordHeaderSize:], body)
	le.PutUint32(rec[size-4:], uint32(size))
	cw.off += size
}

func (cw *chunkWriter) finish() []byte {
	c, le := cw.c, binary.LittleEndian
	copy(c, chunkMagic)
	le.PutUint64(c[8:], cw.first)
	le.PutUint64(c[16:], cw.last)
	le.PutUint64(c[24:], cw.first)
	le.PutUint64(c[32:], cw.last)
	le.PutUint32(c[40:], 128)
	le.PutUint32(c[44:], uint32(cw.off)) // last record offset (not read)
	le.PutUint32(c[48:], uint32(cw.off)) // free space offset
	le.PutUint32(c[52:], crc32.ChecksumIEEE(c[chunkHeaderSize:cw.off]))
	le.PutUint32(c[124:], crc32.Update(crc32.ChecksumIEEE(c[:120]), crc32.IEEETable, c[128:chunkHeaderSize]))
	return c
}

func copyDefs(m map[*xelem]int) map[*xelem]int {
	out := make(map[*xelem]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// buildFile writes an EVTX file of the given chunks.
func buildFile(chunks ...[]byte) []byte {
	b := make([]byte, 4096)
	copy(b, fileMagic)
	le := binary.LittleEndian
	le.PutUint64(b[16:], uint64(len(chunks))-1)
	le.PutUint32(b[32:], fileHeaderSize)
	le.PutUint16(b[36:], 1)
	le.PutUint16(b[38:], 3)
	le.PutUint16(b[40:], 4096)
	le.PutUint16(b[42:], uint16(len(chunks)))
	le.PutUint32(b[124:], crc32.ChecksumIEEE(b[:120]))
	for _, c := range chunks {
		b = append(b, c...)
	}
	return b
}

// Templates of the synthetic file: a Security-like event with every value
// type in EventData, an event whose UserData is a BinXML argument holding
// an instance of its own template, and one with unnamed Data.
var (
	typesEvent = &xelem{name: "Event", attrs: []xattr{{"xmlns", "http://schemas.microsoft.com/win/2004/08/events/event"}}, content: []any{
		&xelem{name: "System", content: []any{
			&xelem{name: "Provider", attrs: []xattr{{"Name", xsub{id: 0}}, {"Guid", xsub{id: 1}}}},
			&xelem{name: "EventID", attrs: []xattr{{"Qualifiers", xsub{id: 2, opt: true}}}, content: []any{xsub{id: 3}}},
			&xelem{name: "Level", content: []any{xsub{id: 4}}},
			&xelem{name: "Keywords", content: []any{xsub{id: 5}}},
			&xelem{name: "TimeCreated", attrs: []xattr{{"SystemTime", xsub{id: 6}}}},
			&xelem{name: "EventRecordID", content: []any{xsub{id: 7}}},
			&xelem{name: "Correlation", attrs: []xattr{{"ActivityID", xsub{id: 8, opt: true}}}},
			&xelem{name: "Execution", attrs: []xattr{{"ProcessID", xsub{id: 9}}, {"ThreadID", xsub{id: 10}}}},
			&xelem{name: "Channel", content: []any{"Security"}},
			&xelem{name: "Computer", content: []any{xsub{id: 11}}},
			&xelem{name: "Security", attrs: []xattr{{"UserID", xsub{id: 12, opt: true}}}},
		}},
		&xelem{name: "EventData", content: []any{
			data("SubjectLogonId", 13), data("Status", 14), data("Count", 15), data("Ratio", 16),
			data("Flag", 17), data("LogonGuid", 18), data("Strings", 19), data("Ports", 20),
			data("When", 21), data("Pointer", 22), data("Ansi", 23), data("Absent", 24),
			data("Unicode", 25), data("Mixed", 26),
			&xelem{name: "Binary", content: []any{xsub{id: 27}}},
		}},
	}}
	clearedEvent = &xelem{name: "Event", content: []any{
		&xelem{name: "System", content: []any{
			&xelem{name: "Provider", attrs: []xattr{{"Name", "Microsoft-Windows-Eventlog"}, {"Guid", "fc65ddd8-d6ef-4962-83d5-6e5cfe9ce148"}}},
			&xelem{name: "EventID", content: []any{xsub{id: 0}}},
			&xelem{name: "Keywords", content: []any{xsub{id: 1}}},
			&xelem{name: "EventRecordID", content: []any{xsub{id: 2}}},
			&xelem{name: "Channel", content: []any{"Security"}},
		}},
		&xelem{name: "UserData", content: []any{xsub{id: 3}}},
	}}
	logFileCleared = &xelem{name: "LogFileCleared", attrs: []xattr{{"xmlns", "http://manifests.microsoft.com/win/2004/08/windows/eventlog"}}, content: []any{
		&xelem{name: "SubjectUserName", content: []any{xsub{id: 0}}},
		&xelem{name: "SubjectLogonId", content: []any{xsub{id: 1}}},
	}}
	unnamedEvent = &xelem{name: "Event", content: []any{
		&xelem{name: "System", content: []any{
			&xelem{name: "Provider", attrs: []xattr{{"EventSourceName", "Classic Source"}}},
			&xelem{name: "EventID", content: []any{xsub{id: 0}}},
			&xelem{name: "EventRecordID", content: []any{xsub{id: 1}}},
			&xelem{name: "Channel", content: []any{"Application"}},
		}},
		&xelem{name: "EventData", content: []any{
			&xelem{name: "Data", content: []any{xsub{id: 2}}},
			&xelem{name: "Data", content: []any{"a & b"}},
			&xelem{name: "Data", content: []any{xsub{id: 3, opt: true}}},
		}},
	}}
)

func data(name string, sub uint16) *xelem {
	return &xelem{name: "Data", attrs: []xattr{{"Name", name}}, content: []any{xsub{id: sub}}}
}

func str(s string) xarg { return xarg{tString, utf16le(s)} }

// syntheticFile is a one-chunk EVTX file of four records.
func syntheticFile() []byte {
	const written = 132000000000000000 // 2019-04-18, the records' write time
	types := []xarg{
		str("Microsoft-Windows-Security-Auditing"), {tGUID, guidBytes}, {tNull, nil}, {tUint16, le16(4624)},
		{tUint8, []byte{0}}, {tHexInt64, le64(0x8020000000000000)}, {tFileTime, le64(131945546417222504)},
		{tUint64, le64(1)}, {tNull, nil}, {tUint32, le32(4)}, {tUint32, le32(56)}, str("PC01.example.corp"),
		{tSID, sidBytes},
		{tHexInt64, le64(0x3e7)}, {tHexInt32, le32(0xc000006d)}, {tInt32, le32(0xfffffffe)},
		{tReal64, le64(math.Float64bits(0.5))}, {tBool, le32(1)}, {tGUID, guidBytes},
		{arrayFlag | tString, utf16le("one\x00\x00two\x00")}, {arrayFlag | tUint16, append(le16(80), le16(443)...)},
		{tSysTime, sysTimeBytes(2020, 9, 23, 16, 57, 41, 372)}, {tSizeT, le64(0x7ff612340000)},
		{tAnsi, []byte("ansi\x00")}, {tNull, nil}, str("Grüße 😀"), str("a\r\nb"), {tBinary, []byte{0xde, 0xad}},
	}
	// The second record reuses the template with other types: a plain
	// integer Keywords mask, no SID, a string where a number was.
	second := append([]xarg(nil), types...)
	second[5] = xarg{tUint64, le64(0x8010000000000000)}
	second[7] = xarg{tUint64, le64(2)}
	second[12] = xarg{tNull, nil}
	second[15] = str("n/a")
	return buildFile(buildChunk([]xrecord{
		{id: 1, written: written, root: typesEvent, args: types},
		{id: 2, written: written, root: typesEvent, args: second},
		{id: 3, written: written, root: clearedEvent, nested: func(base int, defs map[*xelem]int) []xarg {
			head := []xarg{{tUint16, le16(1102)}, {tHexInt64, le64(0x4020000000000000)}, {tUint64, le64(3)}}
			for _, a := range head {
				base += len(a.data)
			}
			inner := []xarg{str("admin01"), {tHexInt64, le64(0xaf855)}}
			return append(head, fragmentArg(logFileCleared, inner, base, defs))
		}},
		{id: 4, written: written, root: unnamedEvent, args: []xarg{{tUint16, le16(7036)}, {tUint64, le64(4)}, str("first"), {tNull, nil}}},
	}))
}
