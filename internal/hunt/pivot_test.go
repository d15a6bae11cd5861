package hunt

import (
	"testing"
	"time"
)

func TestPivotQuery(t *testing.T) {
	cases := []struct {
		in   map[string]string
		want string
	}{
		{map[string]string{"user.name": "alice", "host.name": "ws-01"}, `host.name:"ws-01" user.name:"alice"`},
		{map[string]string{"process.executable": `C:\Temp\evil "x".exe`}, `process.executable:"C:\\Temp\\evil \"x\".exe"`},
		{map[string]string{"bad field": "x", "user.name": ""}, ``},
	}
	for _, c := range cases {
		got := PivotQuery(c.in)
		if got != c.want {
			t.Errorf("PivotQuery(%v) = %s, want %s", c.in, got, c.want)
		}
		if got == "" {
			continue
		}
		// The query parses back to exactly the entities.
		q, err := Parse(got)
		if err != nil {
			t.Fatalf("%s: %v", got, err)
		}
		found := map[string]string{}
		var walk func(Expr)
		walk = func(e Expr) {
			switch x := e.(type) {
			case *And:
				walk(x.L)
				walk(x.R)
			case *Term:
				if x.Kind != TermMatch {
					t.Errorf("%s: term %s is not an equality", got, x)
				}
				found[x.Field] = x.Value
			}
		}
		walk(q.Filter)
		for f, v := range c.in {
			if v != "" && pivotField(f) && found[f] != v {
				t.Errorf("%s: %s = %q, want %q", got, f, found[f], v)
			}
		}
	}
	first := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	from, to := PivotRange(first, first.Add(time.Hour), 30*time.Minute)
	if !from.Equal(first.Add(-30*time.Minute)) || !to.Equal(first.Add(90*time.Minute)) {
		t.Errorf("PivotRange = %v, %v", from, to)
	}
}
