package rfc3164

import (
	"encoding/csv"
	"fmt"
	"github.com/yagura-soc/yagura/internal/parse/parsetest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/shareddata"
)

var now = func() time.Time { return time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC) }

func TestParse(t *testing.T) {
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	cases := []struct {
		name string
		p    Parser
		in   string
		want string // time | fields
	}{
		{"classic", Parser{Now: now}, "<38>Jan  9 07:40:01 web-01 sshd[2211]: Failed password for root from 203.0.113.7 port 51234 ssh2",
			"2026-01-09T07:40:01Z | host=web-01 message=Failed password for root from 203.0.113.7 port 51234 ssh2 pid=2211 program=sshd syslog.facility=4 syslog.priority=38 syslog.severity=6"},
		{"december read in january is last year", Parser{Now: now}, "<13>Dec 31 23:59:59 h app: x",
			"2025-12-31T23:59:59Z | host=h message=x program=app syslog.facility=1 syslog.priority=13 syslog.severity=5"},
		{"zone from config", Parser{Now: now, Location: tokyo}, "<13>Jan  9 09:00:00 h app: x",
			"2026-01-09T00:00:00Z | host=h message=x program=app syslog.facility=1 syslog.priority=13 syslog.severity=5"},
		{"no priority", Parser{Now: now}, "Jan  9 07:40:01 combo kernel: Linux version 2.6",
			"2026-01-09T07:40:01Z | host=combo message=Linux version 2.6 program=kernel"},
		{"no hostname", Parser{Now: now}, "<13>Jan  9 07:40:01 sshd[1]: hello",
			"2026-01-09T07:40:01Z | message=hello pid=1 program=sshd syslog.facility=1 syslog.priority=13 syslog.severity=5"},
		{"rfc3339 timestamp", Parser{Now: now}, "<13>2026-01-09T07:40:01.123456+09:00 h app: x",
			"2026-01-08T22:40:01.123456Z | host=h message=x program=app syslog.facility=1 syslog.priority=13 syslog.severity=5"},
		{"year in timestamp", Parser{Now: now}, "<13>Mar  3 2024 01:02:03 fw-1 %ASA-6-302013: Built",
			"2024-03-03T01:02:03Z | host=fw-1 message=Built program=%ASA-6-302013 syslog.facility=1 syslog.priority=13 syslog.severity=5"},
		{"no tag", Parser{Now: now}, "<13>Jan  9 07:40:01 h just a message",
			"2026-01-09T07:40:01Z | host=h message=just a message syslog.facility=1 syslog.priority=13 syslog.severity=5"},
		{"parenthesised tag", Parser{Now: now}, "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: auth failure",
			"2025-06-14T15:16:01Z | host=combo message=auth failure pid=19939 program=sshd(pam_unix)"},
		{"cisco sequence number", Parser{Now: now}, "<189>123: Jan  9 07:40:01: %SYS-5-CONFIG_I: Configured from console",
			"2026-01-09T07:40:01Z | message=Configured from console program=%SYS-5-CONFIG_I sequence=123 syslog.facility=23 syslog.priority=189 syslog.severity=5"},
		{"cisco origin host and unsynchronised clock", Parser{Now: now}, "<189>1: router1: *Jan  9 18:46:11.123: %LINK-3-UPDOWN: Interface Gi0/1, changed state to up",
			"2026-01-09T18:46:11.123Z | host=router1 message=Interface Gi0/1, changed state to up program=%LINK-3-UPDOWN sequence=1 syslog.facility=23 syslog.priority=189 syslog.severity=5"},
		{"fractional seconds", Parser{Now: now}, "<13>Jan  9 07:40:01.250 h app: x",
			"2026-01-09T07:40:01.25Z | host=h message=x program=app syslog.facility=1 syslog.priority=13 syslog.severity=5"},
	}
	for _, c := range cases {
		rec, err := c.p.Parse([]byte(c.in))
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
	for _, in := range []string{"", "<999>Jan  9 07:40:01 h a: x", "<abc>x", "<13>yesterday h a: x", "<13>Foo  9 07:40:01 h", "<13>Jan 99 07:40:01 h a: x", "<13>Jan  9 25:40:01 h a: x"} {
		if _, err := (Parser{Now: now}).Parse([]byte(in)); err == nil {
			t.Errorf("%q parsed", in)
		}
	}
}

// Every line of the loghub samples parses to the ground truth's host,
// program, PID, time and message.
func TestLoghubGroundTruth(t *testing.T) {
	type cols struct{ host, program, pid, content int }
	sets := []struct {
		log string
		c   cols
		// OpenSSH's CSV has no program column: every line is sshd.
		program string
	}{
		{"Linux_2k.log", cols{4, 5, 6, 7}, ""},
		{"OpenSSH_2k.log", cols{4, -1, 5, 6}, "sshd"},
	}
	for _, set := range sets {
		logBody, err := os.ReadFile(shareddata.Path(t, "loghub", set.log))
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(shareddata.Path(t, "loghub", set.log+"_structured.csv"))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimRight(string(logBody), "\n"), "\n")
		if len(lines) != len(rows)-1 {
			t.Fatalf("%s: %d lines, %d truth rows", set.log, len(lines), len(rows)-1)
		}
		bad := 0
		for i, line := range lines {
			row := rows[i+1]
			rec, err := (Parser{Now: now}).Parse([]byte(line))
			if err != nil {
				t.Errorf("%s:%d: %v", set.log, i+1, err)
				bad++
				continue
			}
			want := map[string]string{"host": row[set.c.host], "pid": row[set.c.pid], "message": strings.TrimSpace(row[set.c.content])}
			if set.c.program >= 0 {
				want["program"] = row[set.c.program]
			} else {
				want["program"] = set.program
			}
			for k, w := range want {
				got := strings.TrimSpace(fmt.Sprint(rec.Fields[k]))
				if rec.Fields[k] == nil {
					got = ""
				}
				if got != w {
					bad++
					if bad < 10 {
						t.Errorf("%s:%d %s = %q, want %q", set.log, i+1, k, got, w)
					}
				}
			}
			if got := rec.Time.Format("Jan _2 15:04:05"); got != fmt.Sprintf("%s %2s %s", row[1], row[2], row[3]) {
				bad++
				if bad < 10 {
					t.Errorf("%s:%d time %s, want %s %s %s", set.log, i+1, got, row[1], row[2], row[3])
				}
			}
		}
		if bad > 0 {
			t.Errorf("%s: %d mismatches in %d lines", set.log, bad, len(lines))
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"<38>Jan  9 07:40:01 web-01 sshd[2211]: Failed", "Jan  9 07:40:01 h", "<13>2026-01-09T07:40:01Z h a: x", "<13>Mar  3 2024 01:02:03.5 h a[: x", "<", "<1"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := (Parser{Now: now}).Parse(data)
		if err == nil && rec.Fields["message"] == nil {
			t.Errorf("parsed without a message: %q", data)
		}
	})
}

func BenchmarkParse(b *testing.B) {
	line := []byte("<38>Nov  2 09:00:00 web-01 sshd[2211]: Failed password for invalid user admin from 203.0.113.7 port 51234 ssh2")
	p := Parser{Now: now}
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if _, err := p.Parse(line); err != nil {
			b.Fatal(err)
		}
	}
}

func TestHeader(t *testing.T) {
	for _, c := range []struct{ hdr, host, time string }{
		{"<134>Jan  9 07:40:01 fw-01 ", "fw-01", "2026-01-09T07:40:01Z"},
		{"<134>1 2026-01-09T07:40:01.5Z fw-02 app - - -", "fw-02", "2026-01-09T07:40:01.5Z"},
	} {
		rec, err := (Parser{Now: now}).Header(c.hdr)
		if err != nil || rec.Fields["host"] != c.host || rec.Time.Format(time.RFC3339Nano) != c.time {
			t.Errorf("Header(%q) = %v %v, %v; want host %s at %s", c.hdr, rec.Time, rec.Fields["host"], err, c.host, c.time)
		}
	}
	if _, err := (Parser{Now: now}).Header("<999>"); err == nil {
		t.Error("Header accepted a bad priority")
	}
}
