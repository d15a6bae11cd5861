package jsonlog

import (
	"encoding/json"
	"testing"
)

func TestUnquote(t *testing.T) {
	cases := []struct {
		in, want string
		ok       bool
	}{
		{`"plain"`, "plain", true},
		{` "a\"b\\c\/d\n" `, "a\"b\\c/d\n", true},
		{`"\u00e9\ud83d\ude00"`, "é😀", true},
		// A high surrogate whose next escape is no partner: U+FFFD, and
		// the next escape is still read (it used to be swallowed).
		{`"\ud800\u0041"`, "\uFFFDA", true},
		{`"\udc00x"`, "\uFFFDx", true},
		{"\"a\xffb\"", "a\uFFFDb", true},
		{"\"tab\tin\"", "tab\tin", true},
		{`"x" y`, "", false},
		{`{"a":1}`, "", false},
		{`"open`, "", false},
		{`"bad \q escape"`, "", false},
	}
	for _, c := range cases {
		got, err := Unquote([]byte(c.in))
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("Unquote(%s) = %q, %v; want %q, ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}

// Whatever encoding/json reads as a string, Unquote reads the same.
func FuzzUnquote(f *testing.F) {
	for _, s := range []string{`"plain"`, ` "a\"b\\c\/d\n\t" `, `"\u00e9\ud83d\ude00"`, `"\ud800\u0041"`, `"\udc00x"`, `"a` + "\xff" + `b"`, `"x" y`, `"tab	in"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var want string
		if json.Unmarshal(data, &want) != nil {
			Unquote(data) // must not panic; it may accept what encoding/json refuses
			return
		}
		got, err := Unquote(data)
		if err != nil || got != want {
			t.Errorf("Unquote(%q) = %q, %v; encoding/json reads %q", data, got, err, want)
		}
	})
}
