package evtx

import (
	"encoding/binary"
	"math"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// BinXML value types ([MS-EVEN6] 2.2.11 / libevtx's "value types"); an
// array of a type has the arrayFlag bit set.
const (
	tNull      = 0x00
	tString    = 0x01
	tAnsi      = 0x02
	tInt8      = 0x03
	tUint8     = 0x04
	tInt16     = 0x05
	tUint16    = 0x06
	tInt32     = 0x07
	tUint32    = 0x08
	tInt64     = 0x09
	tUint64    = 0x0a
	tReal32    = 0x0b
	tReal64    = 0x0c
	tBool      = 0x0d
	tBinary    = 0x0e
	tGUID      = 0x0f
	tSizeT     = 0x10
	tFileTime  = 0x11
	tSysTime   = 0x12
	tSID       = 0x13
	tHexInt32  = 0x14
	tHexInt64  = 0x15
	tBinXML    = 0x21
	arrayFlag  = 0x80
	timeLayout = "2006-01-02T15:04:05.0000000Z" // winevent.FormatTime's layout
)

// value is one substitution argument of a template instance: its type and
// where its bytes lie in the chunk. Offsets, not slices: the argument arena
// is reused for every record and holds no pointers for the GC to scan.
type value struct {
	off  int32
	size uint16
	typ  uint8
}

// fixedSize is the size of one item of a fixed-size type (0 for the
// variable-size ones: strings, binary, SID, BinXML).
func fixedSize(typ uint8) int {
	switch typ &^ arrayFlag {
	case tInt8, tUint8:
		return 1
	case tInt16, tUint16:
		return 2
	case tInt32, tUint32, tReal32, tBool, tHexInt32:
		return 4
	case tInt64, tUint64, tReal64, tFileTime, tHexInt64:
		return 8
	case tGUID, tSysTime:
		return 16
	}
	return 0
}

// appendValue appends the Windows XML-view rendering of one scalar value of
// type typ (array flag clear) held in b.
func appendValue(dst []byte, typ uint8, b []byte) []byte {
	if n := fixedSize(typ); n > 0 && len(b) < n && typ != tBool {
		return appendHex(dst, b, hexUpper) // short fixed-size value: keep the bytes
	}
	le := binary.LittleEndian
	switch typ {
	case tNull:
		return dst
	case tString:
		return appendUTF16(dst, trimNUL16(b))
	case tAnsi:
		return appendLatin1(dst, trimNUL8(b))
	case tInt8:
		return strconv.AppendInt(dst, int64(int8(b[0])), 10)
	case tUint8:
		return strconv.AppendUint(dst, uint64(b[0]), 10)
	case tInt16:
		return strconv.AppendInt(dst, int64(int16(le.Uint16(b))), 10)
	case tUint16:
		return strconv.AppendUint(dst, uint64(le.Uint16(b)), 10)
	case tInt32:
		return strconv.AppendInt(dst, int64(int32(le.Uint32(b))), 10)
	case tUint32:
		return strconv.AppendUint(dst, uint64(le.Uint32(b)), 10)
	case tInt64:
		return strconv.AppendInt(dst, int64(le.Uint64(b)), 10)
	case tUint64:
		return strconv.AppendUint(dst, le.Uint64(b), 10)
	case tReal32:
		return strconv.AppendFloat(dst, float64(math.Float32frombits(le.Uint32(b))), 'g', -1, 32)
	case tReal64:
		return strconv.AppendFloat(dst, math.Float64frombits(le.Uint64(b)), 'g', -1, 64)
	case tBool:
		return strconv.AppendBool(dst, !allZero(b))
	case tGUID:
		return appendGUID(dst, b)
	case tSizeT:
		if len(b) == 4 {
			return appendHexInt(dst, uint64(le.Uint32(b)))
		} else if len(b) == 8 {
			return appendHexInt(dst, le.Uint64(b))
		}
	case tFileTime:
		return fileTime(le.Uint64(b)).AppendFormat(dst, timeLayout)
	case tSysTime:
		return sysTime(b).AppendFormat(dst, timeLayout)
	case tSID:
		return appendSID(dst, b)
	case tHexInt32:
		return appendHexInt(dst, uint64(le.Uint32(b)))
	case tHexInt64:
		return appendHexInt(dst, le.Uint64(b))
	}
	// Binary, and types with no text form of their own (handles, unknown
	// codes): the bytes in hex, as Windows shows binary data.
	return appendHex(dst, b, hexUpper)
}

// splitArray calls fn with the bytes of every item of an array value.
// String arrays are NUL-separated; empty strings are skipped, as Windows
// does not show them.
func splitArray(typ uint8, b []byte, fn func(item []byte)) {
	switch typ &^ arrayFlag {
	case tString:
		b = trimNUL16(b)
		start := 0
		for i := 0; i+1 < len(b); i += 2 {
			if b[i] == 0 && b[i+1] == 0 {
				if i > start {
					fn(b[start:i])
				}
				start = i + 2
			}
		}
		if start < len(b)-1 {
			fn(b[start:])
		}
		return
	case tAnsi:
		b = trimNUL8(b)
		start := 0
		for i, c := range b {
			if c == 0 {
				if i > start {
					fn(b[start:i])
				}
				start = i + 1
			}
		}
		if start < len(b) {
			fn(b[start:])
		}
		return
	case tSID:
		for len(b) >= 8 {
			n := min(8+4*int(b[1]), len(b))
			fn(b[:n])
			b = b[n:]
		}
		return
	}
	n := fixedSize(typ)
	if n == 0 {
		fn(b) // an array of a variable-size type Windows does not write
		return
	}
	for ; len(b) >= n; b = b[n:] {
		fn(b[:n])
	}
}

// appendUTF16 appends little-endian UTF-16 text as UTF-8. Most text in an
// event log is ASCII: those code units are copied directly.
func appendUTF16(dst, b []byte) []byte {
	for i := 0; i+1 < len(b); i += 2 {
		c := uint16(b[i]) | uint16(b[i+1])<<8
		if c < utf8.RuneSelf {
			dst = append(dst, byte(c))
			continue
		}
		r := rune(c)
		if utf16.IsSurrogate(r) {
			r = utf8.RuneError
			if c < 0xdc00 && i+3 < len(b) {
				c2 := uint16(b[i+2]) | uint16(b[i+3])<<8
				if r2 := utf16.DecodeRune(rune(c), rune(c2)); r2 != utf8.RuneError {
					r = r2
					i += 2
				}
			}
		}
		dst = utf8.AppendRune(dst, r)
	}
	return dst
}

// appendLatin1 appends single-byte text; bytes above 0x7f are read as
// Latin-1 so that the result is valid UTF-8 whatever the code page was.
func appendLatin1(dst, b []byte) []byte {
	for _, c := range b {
		if c < utf8.RuneSelf {
			dst = append(dst, c)
		} else {
			dst = utf8.AppendRune(dst, rune(c))
		}
	}
	return dst
}

// trimNUL16 drops trailing NUL code units (Windows counts a terminator in
// some string arguments).
func trimNUL16(b []byte) []byte {
	b = b[:len(b)&^1]
	for len(b) >= 2 && b[len(b)-2] == 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-2]
	}
	return b
}

func trimNUL8(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return b
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

const (
	hexLower = "0123456789abcdef"
	hexUpper = "0123456789ABCDEF"
)

func appendHex(dst, b []byte, digits string) []byte {
	for _, c := range b {
		dst = append(dst, digits[c>>4], digits[c&0xf])
	}
	return dst
}

// appendHexInt renders a hex-typed integer as Windows does: 0x, lower
// case, no padding.
func appendHexInt(dst []byte, n uint64) []byte {
	return strconv.AppendUint(append(dst, "0x"...), n, 16)
}

// appendGUID renders a GUID in braces, lower case (Data1–3 are stored
// little-endian, Data4 as bytes).
func appendGUID(dst, b []byte) []byte {
	dst = append(dst, '{')
	dst = appendHex(dst, []byte{b[3], b[2], b[1], b[0]}, hexLower)
	dst = append(dst, '-')
	dst = appendHex(dst, []byte{b[5], b[4]}, hexLower)
	dst = append(dst, '-')
	dst = appendHex(dst, []byte{b[7], b[6]}, hexLower)
	dst = append(dst, '-')
	dst = appendHex(dst, b[8:10], hexLower)
	dst = append(dst, '-')
	dst = appendHex(dst, b[10:16], hexLower)
	return append(dst, '}')
}

// appendSID renders a binary SID as S-R-A-S1-S2…; a SID shorter than its
// sub-authority count says is rendered as far as it goes.
func appendSID(dst, b []byte) []byte {
	if len(b) < 8 {
		return appendHex(dst, b, hexUpper)
	}
	var auth uint64
	for _, c := range b[2:8] {
		auth = auth<<8 | uint64(c)
	}
	dst = append(dst, "S-"...)
	dst = strconv.AppendUint(dst, uint64(b[0]), 10)
	dst = append(dst, '-')
	dst = strconv.AppendUint(dst, auth, 10)
	subs := b[8:]
	for i := 0; i < int(b[1]) && len(subs) >= 4; i++ {
		dst = append(dst, '-')
		dst = strconv.AppendUint(dst, uint64(binary.LittleEndian.Uint32(subs)), 10)
		subs = subs[4:]
	}
	return dst
}

// fileTime converts a FILETIME (100 ns ticks since 1601) to UTC.
func fileTime(ft uint64) time.Time {
	const secsTo1970 = 11644473600
	return time.Unix(int64(ft/1e7)-secsTo1970, int64(ft%1e7)*100).UTC()
}

// sysTime converts a 16-byte SYSTEMTIME (year, month, weekday, day, hour,
// minute, second, millisecond) to UTC.
func sysTime(b []byte) time.Time {
	f := func(i int) int { return int(binary.LittleEndian.Uint16(b[2*i:])) }
	return time.Date(f(0), time.Month(f(1)), f(3), f(4), f(5), f(6), f(7)*int(time.Millisecond), time.UTC)
}
