package ingest

import (
	"testing"
	"unicode/utf8"
)

func TestRecord(t *testing.T) {
	cases := []struct {
		name      string
		in        string
		max       int
		cut       bool
		want      string
		truncated bool
	}{
		{"plain", "hello", 10, false, "hello", false},
		{"cut here", "hello world", 5, false, "hello", true},
		{"cut by the framer", "hello", 10, true, "hello", true},
		{"no limit", "hello world", 0, false, "hello world", false},
		{"invalid bytes escaped", "a\xffb\xc3(", 0, false, `a\xffb\xc3(`, false},
		{"control byte below 0x10", "x\x80\x05", 0, false, `x\x80` + "\x05", false},
		{"valid multibyte kept", "日本", 0, false, "日本", false},
		{"cut inside a rune, then escaped", "aé", 2, false, `a\xc3`, true},
	}
	for _, c := range cases {
		it := Record([]byte(c.in), c.max, c.cut)
		if string(it.Data) != c.want || it.Truncated != c.truncated {
			t.Errorf("%s: %q truncated=%v, want %q truncated=%v", c.name, it.Data, it.Truncated, c.want, c.truncated)
		}
	}
	buf := []byte("reused")
	it := Record(buf, 0, false)
	buf[0] = 'X'
	if string(it.Data) != "reused" {
		t.Error("Record kept a reference to the caller's buffer")
	}
}

func FuzzEscapeInvalidUTF8(f *testing.F) {
	f.Add([]byte("a\xffb"))
	f.Fuzz(func(t *testing.T, b []byte) {
		it := Record(b, 64, false)
		if !utf8.Valid(it.Data) {
			t.Fatalf("%q escaped to invalid UTF-8 %q", b, it.Data)
		}
	})
}
