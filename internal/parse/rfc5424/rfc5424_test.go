package rfc5424

import (
	"github.com/yagura-soc/yagura/internal/parse/parsetest"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	cases := []struct{ name, in, want string }{
		// RFC 5424 section 6.5, examples 1, 3 and 4.
		{"rfc example 1", "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \ufeff'su root' failed for lonvick on /dev/pts/8",
			"2003-10-11T22:14:15.003Z | host=mymachine.example.com message='su root' failed for lonvick on /dev/pts/8 msgid=ID47 program=su syslog.facility=4 syslog.priority=34 syslog.severity=2 syslog.version=1"},
		{"rfc example 3 (SD)", `<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] BOMAn application event log entry...`,
			"2003-10-11T22:14:15.003Z | host=mymachine.example.com message=BOMAn application event log entry... msgid=ID47 program=evntslog sd.exampleSDID@32473.eventID=1011 sd.exampleSDID@32473.eventSource=Application sd.exampleSDID@32473.iut=3 syslog.facility=20 syslog.priority=165 syslog.severity=5 syslog.version=1"},
		{"rfc example 4 (SD only)", `<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3"][examplePriority@32473 class="high"]`,
			"2003-10-11T22:14:15.003Z | host=mymachine.example.com message= msgid=ID47 program=evntslog sd.examplePriority@32473.class=high sd.exampleSDID@32473.iut=3 syslog.facility=20 syslog.priority=165 syslog.severity=5 syslog.version=1"},
		{"escapes in SD", `<13>1 2026-01-01T00:00:00+09:00 h app 42 - [x@1 v="a \"q\" \] \\ b"] msg`,
			`2025-12-31T15:00:00Z | host=h message=msg pid=42 program=app sd.x@1.v=a "q" ] \ b syslog.facility=1 syslog.priority=13 syslog.severity=5 syslog.version=1`},
		{"all nil", "<13>1 - - - - - -", "0001-01-01T00:00:00Z | message= syslog.facility=1 syslog.priority=13 syslog.severity=5 syslog.version=1"},
	}
	for _, c := range cases {
		rec, err := Parser{}.Parse([]byte(c.in))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got := rec.Time.Format(time.RFC3339Nano) + " | " + parsetest.Flat(rec.Fields, " "); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
}

func TestErrors(t *testing.T) {
	cases := map[string]string{
		"<13>Jan  1 h a: x":                     "does not start",
		"<13>1 yesterday h a - - - x":           "not RFC 3339",
		"<13>1 2026-01-01T00:00:00Z h":          "header ends",
		`<13>1 - h a - - [x@1 v="unterminated]`: "unterminated",
		`<13>1 - h a - - [x@1 v=1]`:             `name="value"`,
		"<13>1 - h a - - x":                     "must be '-'",
		"<999>1 - - - - - -":                    "priority",
	}
	for in, want := range cases {
		if _, err := (Parser{}).Parse([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"<34>1 2003-10-11T22:14:15.003Z m su - ID47 - msg", `<165>1 - h e - ID [a b="c\"d"][e f="g"] m`, "<1>1 ", "<13>1 - - - - -"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if rec, err := (Parser{}).Parse(data); err == nil && rec.Fields["message"] == nil {
			t.Errorf("no message: %q", data)
		}
	})
}

func BenchmarkParse(b *testing.B) {
	line := []byte(`<165>1 2026-11-02T09:00:00.003Z web-01.corp.example.com sshd 2211 ID47 [meta@1 a="1" b="two"] Failed password for root from 203.0.113.7 port 51234 ssh2`)
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if _, err := (Parser{}).Parse(line); err != nil {
			b.Fatal(err)
		}
	}
}
