package service

import (
	"fmt"
	"hash/crc32"
	"io"
	"net"
)

// Body is a rendered export: the document in parts, in order. Large
// parts are shared with the render memo and the cache, so a body is read
// only. A Suricata list is some 140 MB: serving it from its parts spares
// copying it (and the garbage collector's work on a fresh 140 MB buffer)
// after every change.
type Body struct {
	parts [][]byte
	size  int
	// ETag names the content for If-None-Match: the change-feed head,
	// the size and a CRC-32C of the bytes, worked out once per render.
	ETag string
}

// Len is the size of the document.
func (b Body) Len() int { return b.size }

// WriteTo writes the document (one writev where w is a connection).
func (b Body) WriteTo(w io.Writer) (int64, error) {
	bufs := make(net.Buffers, len(b.parts))
	copy(bufs, b.parts)
	return bufs.WriteTo(w)
}

// Bytes is the document in one slice (a copy when it is in parts).
func (b Body) Bytes() []byte {
	if len(b.parts) == 1 {
		return b.parts[0]
	}
	out := make([]byte, 0, b.size)
	for _, p := range b.parts {
		out = append(out, p...)
	}
	return out
}

// bodyWriter collects a render: small writes are copied into blocks of
// its own, text given to Keep is kept as it is (export.Keeper).
type bodyWriter struct {
	b   Body
	buf []byte // the block being filled, the last part
}

const bodyBlock = 1 << 20

func (w *bodyWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if len(w.buf) == cap(w.buf) {
			w.buf = make([]byte, 0, max(bodyBlock, min(len(p), 16*bodyBlock)))
			w.b.parts = append(w.b.parts, nil)
		}
		k := min(len(p), cap(w.buf)-len(w.buf))
		w.buf = append(w.buf, p[:k]...)
		w.b.parts[len(w.b.parts)-1] = w.buf
		p = p[k:]
	}
	w.b.size += n
	return n, nil
}

func (w *bodyWriter) Keep(p []byte) {
	if len(p) == 0 {
		return
	}
	w.b.parts = append(w.b.parts, p)
	w.b.size += len(p)
	w.buf = nil // the next write starts a block after the kept part
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// done finishes the body and names it.
func (w *bodyWriter) done(serial int64) Body {
	crc := uint32(0)
	for _, p := range w.b.parts {
		crc = crc32.Update(crc, castagnoli, p)
	}
	w.b.ETag = fmt.Sprintf(`"%d-%d-%08x"`, serial, w.b.size, crc)
	return w.b
}
