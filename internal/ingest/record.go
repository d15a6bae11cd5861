package ingest

import (
	"strconv"
	"unicode/utf8"

	"github.com/yagura-soc/yagura/internal/pipeline"
)

// DefaultMaxRecordBytes is the record size limit when a source's
// configuration does not set one.
const DefaultMaxRecordBytes = 64 << 10

// Record makes a pipeline item of one framed record: cut at max bytes (and
// flagged as truncated), and with invalid UTF-8 kept visible as \xNN
// escapes, so the stored text is valid and nothing of the original is lost
// silently. data is copied; the caller may reuse its buffer.
func Record(data []byte, max int, truncated bool) pipeline.Item {
	if max > 0 && len(data) > max {
		data, truncated = data[:max], true
	}
	if utf8.Valid(data) {
		return pipeline.Item{Data: append([]byte(nil), data...), Truncated: truncated}
	}
	return pipeline.Item{Data: EscapeInvalidUTF8(data), Truncated: truncated}
}

// EscapeInvalidUTF8 returns a copy of b where every byte that is not part
// of a valid UTF-8 sequence is written as \xNN.
func EscapeInvalidUTF8(b []byte) []byte {
	out := make([]byte, 0, len(b)+16)
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size <= 1 {
			out = append(out, '\\', 'x')
			if b[0] < 0x10 {
				out = append(out, '0')
			}
			out = strconv.AppendUint(out, uint64(b[0]), 16)
			b = b[1:]
			continue
		}
		out = append(out, b[:size]...)
		b = b[size:]
	}
	return out
}
