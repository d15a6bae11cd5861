package evtx

import (
	"encoding/binary"
	"math"
	"strings"
	"testing"
)

func le16(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }
func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
func le64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

func utf16le(s string) []byte { return appendUTF16LE(nil, s) }

// sidBytes is S-1-5-21-1-2-3-1001 in binary form.
var sidBytes = append(append([]byte{1, 5, 0, 0, 0, 0, 0, 5}, le32(21)...), append(append(append(le32(1), le32(2)...), le32(3)...), le32(1001)...)...)

// guidBytes is {01020304-0506-0708-090a-0b0c0d0e0f10} as Windows stores it.
var guidBytes = []byte{4, 3, 2, 1, 6, 5, 8, 7, 9, 10, 11, 12, 13, 14, 15, 16}

func sysTimeBytes(y, mo, d, h, mi, s, ms uint16) []byte {
	var b []byte
	for _, v := range []uint16{y, mo, 3, d, h, mi, s, ms} {
		b = append(b, le16(v)...)
	}
	return b
}

// valueCase is a value of type typ held in data and its rendering (for an
// array, the items' renderings joined by |).
type valueCase struct {
	name string
	typ  uint8
	data []byte
	want string
}

func TestValueTypes(t *testing.T) {
	tests := []valueCase{
		{"string", tString, utf16le("C:\\Windows\\cmd.exe"), `C:\Windows\cmd.exe`},
		{"string with terminator", tString, utf16le("abc\x00"), "abc"},
		{"string non-ASCII", tString, utf16le("Grüße 日本 😀"), "Grüße 日本 😀"},
		{"string lone surrogate", tString, append(le16(0xd800), utf16le("x")...), "\uFFFDx"},
		{"string odd length", tString, append(utf16le("ab"), 'c'), "ab"},
		{"ansi", tAnsi, []byte("hello\x00"), "hello"},
		{"ansi high byte", tAnsi, []byte{'c', 0xe9}, "cé"},
		{"int8", tInt8, []byte{0xff}, "-1"},
		{"uint8", tUint8, []byte{0xff}, "255"},
		{"int16", tInt16, le16(0x8000), "-32768"},
		{"uint16", tUint16, le16(0xffff), "65535"},
		{"int32", tInt32, le32(0xfffffffe), "-2"},
		{"uint32", tUint32, le32(4294967295), "4294967295"},
		{"int64", tInt64, le64(math.MaxUint64), "-1"},
		{"uint64", tUint64, le64(math.MaxUint64), "18446744073709551615"},
		{"real32", tReal32, le32(math.Float32bits(1.5)), "1.5"},
		{"real64", tReal64, le64(math.Float64bits(-0.25)), "-0.25"},
		{"bool true", tBool, le32(1), "true"},
		{"bool false", tBool, le32(0), "false"},
		{"bool one byte", tBool, []byte{1}, "true"},
		{"binary", tBinary, []byte{0x0a, 0xbc, 0x00}, "0ABC00"},
		{"guid", tGUID, guidBytes, "{01020304-0506-0708-090a-0b0c0d0e0f10}"},
		{"size_t 32", tSizeT, le32(0x1000), "0x1000"},
		{"size_t 64", tSizeT, le64(0x7ff612340000), "0x7ff612340000"},
		{"filetime", tFileTime, le64(131945546417222504), "2019-02-13T18:04:01.7222504Z"},
		{"filetime zero", tFileTime, le64(0), "1601-01-01T00:00:00.0000000Z"},
		{"systemtime", tSysTime, sysTimeBytes(2020, 9, 23, 16, 57, 41, 372), "2020-09-23T16:57:41.3720000Z"},
		{"sid", tSID, sidBytes, "S-1-5-21-1-2-3-1001"},
		{"sid short of its count", tSID, sidBytes[:16], "S-1-5-21-1"},
		{"sid too short", tSID, []byte{1, 1, 0}, "010100"},
		{"hexint32", tHexInt32, le32(0x3e7), "0x3e7"},
		{"hexint64", tHexInt64, le64(0x8020000000000000), "0x8020000000000000"},
		{"hexint64 zero", tHexInt64, le64(0), "0x0"},
		{"short fixed-size value", tUint32, []byte{1, 2}, "0102"},
		{"unknown type", 0x30, []byte{0xde, 0xad}, "DEAD"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(appendValue(nil, tc.typ, tc.data)); got != tc.want {
				t.Errorf("appendValue(%#x, % x) = %q, want %q", tc.typ, tc.data, got, tc.want)
			}
		})
	}
}

func TestArrays(t *testing.T) {
	tests := []valueCase{
		{"strings", arrayFlag | tString, utf16le("a\x00\x00bc\x00"), "a|bc"},
		{"strings unterminated", arrayFlag | tString, utf16le("a\x00b"), "a|b"},
		{"ansi", arrayFlag | tAnsi, []byte("x\x00y\x00"), "x|y"},
		{"uint16", arrayFlag | tUint16, append(le16(1), le16(65535)...), "1|65535"},
		{"uint64 with trailing byte", arrayFlag | tUint64, append(le64(7), 9), "7"},
		{"hexint64", arrayFlag | tHexInt64, append(le64(0x10), le64(0xff)...), "0x10|0xff"},
		{"guid", arrayFlag | tGUID, append(append([]byte{}, guidBytes...), guidBytes...), "{01020304-0506-0708-090a-0b0c0d0e0f10}|{01020304-0506-0708-090a-0b0c0d0e0f10}"},
		{"sid", arrayFlag | tSID, append(append([]byte{}, sidBytes...), 1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0), "S-1-5-21-1-2-3-1001|S-1-5-18"},
		{"binary", arrayFlag | tBinary, []byte{1, 2}, "0102"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var items []string
			splitArray(tc.typ, tc.data, func(item []byte) {
				items = append(items, string(appendValue(nil, tc.typ&^arrayFlag, item)))
			})
			if got := strings.Join(items, "|"); got != tc.want {
				t.Errorf("items %q, want %q", got, tc.want)
			}
		})
	}
}
