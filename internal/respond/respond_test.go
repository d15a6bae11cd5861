package respond

import "testing"

func TestValidate(t *testing.T) {
	cases := []struct {
		action, target, want string
		ok                   bool
	}{
		{Block, "203.0.113.7", "203.0.113.7", true},
		{Block, "::ffff:203.0.113.7", "203.0.113.7", true},
		{Block, "198.51.100.77/24", "198.51.100.0/24", true},
		{Block, "2001:db8::1/64", "2001:db8::/64", true},
		{Block, "Evil.Example.COM.", "evil.example.com", true},
		{Block, "https://evil.example.com/payload?x=1", "https://evil.example.com/payload?x=1", true},
		{Block, "not a target", "", false},
		{Block, "ftp://x.example", "", false},
		{Isolate, "WS-017", "ws-017", true},
		{Isolate, "ws-017; rm -rf /", "", false},
		{Disable, `CORP\alice`, `CORP\alice`, true},
		{Disable, "alice; shutdown", "", false},
		{"explode", "x", "", false},
	}
	for _, c := range cases {
		got, err := Validate(c.action, c.target)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("Validate(%s, %q) = %q, %v", c.action, c.target, got, err)
		}
	}
	for _, pair := range [][2]string{{Block, Unblock}, {Isolate, Release}, {Disable, Enable}} {
		if r, ok := Reverse(pair[0]); !ok || r != pair[1] {
			t.Errorf("Reverse(%s) = %s", pair[0], r)
		}
	}
}
