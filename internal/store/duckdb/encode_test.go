package duckdb

import (
	"encoding/json"
	"testing"

	"github.com/yagura-soc/yagura/internal/event"
)

// The fast encoder writes exactly what encoding/json writes.
func TestAppendFieldsMatchesEncodingJSON(t *testing.T) {
	cases := []event.Fields{
		{},
		{"a": "plain", "b": int64(-42), "c": true, "d": nil, "e": 1.5, "f": 1e21, "g": 0.000001},
		{"html": "<script>&</script>", "ctl": "tab\tnl\nnul\x00bell\x07\x1f", "q": `"quoted" \back\`},
		{"utf8": "日本語 ü", "bad": "a\xffb\xc3", "seps": "x\u2028y\u2029z", "emoji": "🙂"},
		{"list": []any{"x", int64(1), nil, false, 2.25, []any{"nested"}}, "strs": []string{"a", "<b>"}, "nilstrs": []string(nil)},
		{"int": 7, "map": map[string]any{"k": "v"}},
		{"z.y": "1", "a.b": "2", "A": "3", "_": "4"},
	}
	for i, f := range cases {
		want, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendFields(nil, f)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if string(got) != string(want) {
			t.Errorf("case %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	f.Add("<a href=\"x\">\u2028\xff</a>")
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendString(nil, s); string(got) != string(want) {
			t.Errorf("%q: got %s, want %s", s, got, want)
		}
	})
}

func BenchmarkAppendFields(b *testing.B) {
	f := event.Fields{"event.dataset": "linux.auth", "host.name": "web-01", "user.name": "user1", "source.ip": "10.0.1.2",
		"process.name": "sshd", "process.pid": int64(1000), "message": "Failed password for user1 from 10.0.1.2 port 1025 ssh2",
		"event.outcome": "failure", "event.category": []any{"authentication"}, "event.kind": "event"}
	b.Run("appendFields", func(b *testing.B) {
		var buf []byte
		for range b.N {
			buf, _ = appendFields(buf[:0], f)
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		for range b.N {
			json.Marshal(f)
		}
	})
}
