package evtx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"

	"github.com/yagura-soc/yagura/internal/parse"
)

// File layout ([MS-EVEN6] and libevtx's format notes): a file header in a
// block of its own, then 64 KiB chunks, each a 512-byte header (with its
// tables of string and template offsets) followed by event records.
const (
	fileMagic        = "ElfFile\x00"
	fileHeaderSize   = 128
	chunkMagic       = "ElfChnk\x00"
	chunkSize        = 0x10000
	chunkHeaderSize  = 0x200
	recordMagic      = "\x2a\x2a\x00\x00"
	recordHeaderSize = 24
)

// fileHeader is what Read uses of the file header.
type fileHeader struct {
	firstChunk int64 // offset of the first chunk (the header block size)
}

// readFileHeader checks the file header at the start of b.
func readFileHeader(b []byte) (fileHeader, error) {
	if len(b) < 8 || string(b[:8]) != fileMagic {
		return fileHeader{}, ErrNotEVTX
	}
	if len(b) < fileHeaderSize {
		return fileHeader{}, errors.New("evtx: truncated file header")
	}
	le := binary.LittleEndian
	if major := le.Uint16(b[38:]); major != 3 {
		return fileHeader{}, fmt.Errorf("evtx: unsupported format version %d.%d", major, le.Uint16(b[36:]))
	}
	// The header block is 4 KiB in every file Windows writes; a damaged
	// size field is not trusted beyond the sane range.
	block := int64(le.Uint16(b[40:]))
	if block < fileHeaderSize {
		block = 4096
	}
	return fileHeader{firstChunk: block}, nil
}

// decoder decodes chunks; it keeps its buffers and caches from chunk to
// chunk, so one decoder serves one goroutine.
type decoder struct {
	p   *parser
	w   walker
	buf []byte // the chunk being decoded; a short one is padded with zeroes
}

func newDecoder() *decoder {
	d := &decoder{p: newParser(), buf: make([]byte, chunkSize)}
	d.w.p = d.p
	return d
}

// chunk decodes chunk number idx held in b (its first chunkSize bytes, or
// fewer at the end of a truncated file) and calls emit for every record in
// order, or with a *RecordError for a record or a chunk that cannot be
// decoded. It returns emit's first error.
func (d *decoder) chunk(idx int, b []byte, emit func(parse.Record, error) error) error {
	fail := func(id uint64, err error) error {
		return emit(parse.Record{}, &RecordError{Chunk: idx, RecordID: id, Err: err})
	}
	if len(b) < chunkHeaderSize || string(b[:8]) != chunkMagic {
		if allZero(b) {
			return nil // space the log has not used yet
		}
		return fail(0, errors.New("bad chunk signature"))
	}
	le := binary.LittleEndian
	// A checksum mismatch is reported, and the records are read all the
	// same: each is checked on its own, and the chunk Windows is writing
	// to may not have its checksums updated yet.
	if sum := crc32.Update(crc32.ChecksumIEEE(b[:120]), crc32.IEEETable, b[128:chunkHeaderSize]); sum != le.Uint32(b[124:]) {
		if err := fail(0, errors.New("chunk header checksum mismatch")); err != nil {
			return err
		}
	}
	if free := int(le.Uint32(b[48:])); free < chunkHeaderSize || free > len(b) || crc32.ChecksumIEEE(b[chunkHeaderSize:free]) != le.Uint32(b[52:]) {
		if err := fail(0, errors.New("records checksum mismatch")); err != nil {
			return err
		}
	}
	first, last := le.Uint64(b[8:]), le.Uint64(b[16:])
	if le.Uint64(b[32:]) == math.MaxUint64 || last < first {
		return nil // a chunk with no records
	}
	if len(b) < chunkSize {
		// Decode what the truncated file still holds: records past its end
		// read as zeroes and stop the chunk.
		n := copy(d.buf, b)
		clear(d.buf[n:])
		b = d.buf
	}
	d.p.reset(b)
	d.w.newChunk()
	off := chunkHeaderSize
	for n := last - first + 1; n > 0; n-- {
		if off+recordHeaderSize > chunkSize {
			return fail(0, fmt.Errorf("record at %#x: past the end of the chunk", off))
		}
		if string(b[off:off+4]) != recordMagic {
			return fail(0, fmt.Errorf("record at %#x: bad record signature", off))
		}
		size := int(le.Uint32(b[off+4:]))
		id := le.Uint64(b[off+8:])
		if size < recordHeaderSize+4 || off+size > chunkSize || int(le.Uint32(b[off+size-4:])) != size {
			return fail(id, fmt.Errorf("record at %#x: bad record size %d", off, size))
		}
		rec, err := d.record(b, off, size)
		if err != nil {
			err = &RecordError{Chunk: idx, RecordID: id, Err: err}
		}
		if err := emit(rec, err); err != nil {
			return err
		}
		off += size
	}
	return nil
}

// record decodes the record of size bytes at off.
func (d *decoder) record(b []byte, off, size int) (parse.Record, error) {
	d.p.args = d.p.args[:0]
	r := reader{b: b, pos: off + recordHeaderSize, end: off + size - 4}
	f, err := d.p.parseFragment(&r, false, 0)
	if err != nil {
		return parse.Record{}, err
	}
	fields, t, err := d.w.fields(f)
	if err != nil {
		return parse.Record{}, err
	}
	if written := binary.LittleEndian.Uint64(b[off+16:]); t.IsZero() && written != 0 {
		t = fileTime(written)
	}
	return parse.Record{Format: Format, Time: t, Fields: fields}, nil
}
