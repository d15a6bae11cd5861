package hunt

import (
	"fmt"
	"testing"
)

func TestRequiredTokens(t *testing.T) {
	for _, c := range []struct{ q, want string }{
		{"mimikatz", "[mimikatz]"},
		{"Mimikatz.EXE user.name:root", "[mimikatz exe]"},
		{`"sekurlsa::logonpasswords" mimikatz`, "[sekurlsa logonpasswords mimikatz]"},
		{"mimi*", "[]"},
		{"*admin* powershell -enc*", "[powershell]"},
		{"cmd.exe?x", "[cmd]"},
		{`"cmd.exe?x"`, "[cmd exe x]"},
		{"a OR b", "[]"},
		{"NOT mimikatz", "[]"},
		{"(a OR b) c", "[c]"},
		{"a a", "[a]"},
		{"user.name:root", "[]"},
		{"-- | stats count()", "[]"},
	} {
		q, err := Parse(c.q)
		if err != nil {
			t.Fatalf("%q: %v", c.q, err)
		}
		var got []string
		if q.Filter != nil {
			got = requiredTokens(q.Filter, nil)
		}
		if s := fmt.Sprint(got); s != c.want {
			t.Errorf("%q: %s, want %s", c.q, s, c.want)
		}
	}
}
