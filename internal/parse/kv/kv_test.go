package kv

import (
	"github.com/yagura-soc/yagura/internal/parse/parsetest"
	"testing"
)

func TestPairs(t *testing.T) {
	cases := []struct{ in, want string }{
		{`date=2026-11-02 action=deny srcip=10.0.0.1 dstport=443`, "action=deny|date=2026-11-02|dstport=443|srcip=10.0.0.1"},
		{`msg="quoted value with spaces" user="a \"b\""`, `msg=quoted value with spaces|user=a "b"`},
		{`noise words here k=v and=more`, "and=more|k=v"},
		{`empty= next=1`, "empty=|next=1"},
		{`=novalue x==y`, "x==y"},
		{`unterminated="abc`, "unterminated=abc"},
	}
	for _, c := range cases {
		if got := parsetest.Flat(Pairs(c.in), "|"); got != c.want {
			t.Errorf("%q: %s, want %s", c.in, got, c.want)
		}
	}
	if _, err := (Parser{}).Parse([]byte("no pairs at all")); err != ErrNoPairs {
		t.Errorf("no pairs: %v", err)
	}
}

func FuzzPairs(f *testing.F) {
	for _, s := range []string{`a=1 b="2 3"`, `x="\`, `="`, `k=v\"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { Pairs(s) })
}
