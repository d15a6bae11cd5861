package event

import (
	"testing"
	"time"
)

func TestGetResolvesECSThenNativeThenStruct(t *testing.T) {
	ts := time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC)
	ev := &Event{
		Tenant: "default", ID: "01J", Timestamp: ts, Raw: "raw line",
		Fields: Fields{"Image": `C:\x.exe`, "host.name": "native"},
		ECS:    Fields{"host.name": "ecs", "event.code": int64(4624)},
	}
	cases := []struct {
		name   string
		want   string
		wantOK bool
	}{
		{"host.name", "ecs", true},
		{"Image", `C:\x.exe`, true},
		{"event.code", "4624", true},
		{FieldTimestamp, "2026-01-02T03:04:05.0000006Z", true},
		{FieldOriginal, "raw line", true},
		{FieldTenant, "default", true},
		{FieldParseError, "", false},
		{"missing", "", false},
	}
	for _, c := range cases {
		got, ok := ev.GetString(c.name)
		if got != c.want || ok != c.wantOK {
			t.Errorf("GetString(%q) = %q, %v; want %q, %v", c.name, got, ok, c.want, c.wantOK)
		}
	}
}

func TestString(t *testing.T) {
	cases := []struct {
		in   any
		want string
	}{
		{nil, ""},
		{"a", "a"},
		{int64(-7), "-7"},
		{3, "3"},
		{1.5, "1.5"},
		{1e21, "1000000000000000000000"},
		{true, "true"},
		{[]any{"a", int64(2)}, "a,2"},
		{[]string{"x", "y"}, "x,y"},
	}
	for _, c := range cases {
		if got := String(c.in); got != c.want {
			t.Errorf("String(%#v) = %q, want %q", c.in, got, c.want)
		}
	}
}
