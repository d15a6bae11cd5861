package normalize

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/parse/accesslog"
	"github.com/yagura-soc/yagura/internal/parse/auto"
	"github.com/yagura-soc/yagura/internal/parse/parsetest"
	"github.com/yagura-soc/yagura/internal/parse/rfc3164"
)

var testNow = func() time.Time { return time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC) }

// testdata/records.input holds "format<TAB>record" lines (empty format:
// auto-detect); the golden file has each event's time, ECS fields and
// parse error. go test -update rewrites it.
func TestGolden(t *testing.T) {
	n := Normalizer{Parsers: auto.Parsers{Syslog: rfc3164.Parser{Now: testNow}}}
	data, err := os.ReadFile("testdata/records.input")
	if err != nil {
		t.Fatal(err)
	}
	var results []parsetest.Result
	for _, line := range bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n")) {
		format, rec, _ := strings.Cut(string(line), "\t")
		ev := &event.Event{Raw: rec, Ingested: ingest}
		n.Event(ev, []byte(rec), format)
		r := parsetest.Result{Input: string(line), Format: format, Fields: ev.ECS, Error: ev.ParseError}
		if !ev.Timestamp.IsZero() {
			r.Time = ev.Timestamp.Format(time.RFC3339Nano)
		}
		if ev.ECS["event.dataset"] == nil && ev.ParseError == "" {
			t.Errorf("%s: parsed without event.dataset", line)
		}
		results = append(results, r)
	}
	parsetest.Compare(t, "records", results)
}

func TestTimestampFallback(t *testing.T) {
	ev := &event.Event{Ingested: ingest}
	Event(ev, []byte(`{"a":1}`), "")
	if !ev.Timestamp.IsZero() {
		t.Errorf("Event set %v for a record without time; the pipeline's envelope time must still apply", ev.Timestamp)
	}
	ev = &event.Event{Ingested: ingest}
	rec, err := auto.Default.Parse("", []byte(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	Apply(ev, rec)
	if !ev.Timestamp.Equal(ingest) {
		t.Errorf("Apply: %v, want the ingest time %v", ev.Timestamp, ingest)
	}
	ev = &event.Event{Ingested: ingest}
	Event(ev, []byte(`{"ts":"2026-11-02T09:00:00.123456789+09:00"}`), "")
	if want := time.Date(2026, 11, 2, 0, 0, 0, 123456789, time.UTC); !ev.Timestamp.Equal(want) || ev.Timestamp.Location() != time.UTC {
		t.Errorf("time %v, want %v in UTC with nanoseconds", ev.Timestamp, want)
	}
}

func TestNothingDropped(t *testing.T) {
	for _, in := range []string{"", "\x00\x01", "{", "<999>x", "just words"} {
		ev := &event.Event{Raw: in, Ingested: ingest}
		Event(ev, []byte(in), "")
		if ev.ParseError == "" || ev.Raw != in {
			t.Errorf("%q: ParseError %q Raw %q", in, ev.ParseError, ev.Raw)
		}
	}
}

func TestTruncationAndUTF8(t *testing.T) {
	long := `{"msg":"` + strings.Repeat("é", 40) + `"}`
	ev := &event.Event{Raw: long}
	Normalizer{Parsers: auto.Default, MaxLine: 21}.Event(ev, []byte(long), "")
	if ev.ECS["event.truncated"] != true || len(ev.Raw) > 21 || !strings.HasPrefix(long, ev.Raw) {
		t.Errorf("truncated=%v raw %q", ev.ECS["event.truncated"], ev.Raw)
	}
	if !utf8Valid(ev.Raw) {
		t.Errorf("truncation split a character: %q", ev.Raw)
	}
	bad := "<13>Jan  9 07:40:01 h app: caf\xe9"
	ev = &event.Event{Raw: bad}
	Event(ev, []byte(bad), "")
	if ev.ECS["event.invalid_utf8"] != true || ev.Fields["message"] != `caf\xe9` || ev.Raw != `<13>Jan  9 07:40:01 h app: caf\xe9` {
		t.Errorf("invalid UTF-8: %v %q raw %q", ev.ECS["event.invalid_utf8"], ev.Fields["message"], ev.Raw)
	}
	js := "{\"msg\":\"caf\xe9\"}"
	ev = &event.Event{Raw: js}
	Event(ev, []byte(js), "")
	if ev.ParseError != "" || ev.Fields["msg"] != "caf\ufffd" || ev.Raw != `{"msg":"caf\xe9"}` {
		t.Errorf("invalid UTF-8 in JSON: %q %q raw %q", ev.ParseError, ev.Fields["msg"], ev.Raw)
	}
	if got := string(escapeInvalidUTF8([]byte("a\xffé\xe2\x82"))); got != `a\xffé\xe2\x82` {
		t.Errorf("escape: %q", got)
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "?") == s }

func TestCanonicalNames(t *testing.T) {
	cases := []struct{ raw, name, domain string }{
		{`CORP\alice`, "alice", "CORP"},
		{"bob@corp.example", "bob", "corp.example"},
		{"carol", "carol", ""},
		{"@x", "@x", ""},
	}
	for _, c := range cases {
		ev := &event.Event{}
		setUser(ev, "user", c.raw)
		if ev.ECS["user.name"] != c.name || (c.domain != "" && ev.ECS["user.domain"] != c.domain) || (c.domain == "" && ev.ECS["user.domain"] != nil) {
			t.Errorf("%q: %v", c.raw, ev.ECS)
		}
	}
	ev := &event.Event{}
	setHost(ev, "Web-01.Corp.Example")
	if ev.ECS["host.name"] != "web-01.corp.example" || ev.ECS["host.hostname"] != "web-01" {
		t.Errorf("host: %v", ev.ECS)
	}
	ev = &event.Event{}
	setHost(ev, "10.0.0.1")
	if ev.ECS["host.name"] != "10.0.0.1" || ev.ECS["host.hostname"] != nil {
		t.Errorf("host IP: %v", ev.ECS)
	}
}

// SigmaHQ's webserver rules use W3C names; NCSA and IIS logs both answer
// them.
func TestWebserverAliases(t *testing.T) {
	for _, c := range []struct{ format, line string }{
		{"", `203.0.113.7 - bob [02/Nov/2026:09:00:00 +0000] "GET /a.php?cmd=whoami HTTP/1.1" 200 512 "-" "curl/8"`},
	} {
		ev := &event.Event{}
		Event(ev, []byte(c.line), c.format)
		want := map[string]string{"c-ip": "203.0.113.7", "cs-username": "bob", "cs-method": "GET", "cs-uri-stem": "/a.php",
			"cs-uri-query": "cmd=whoami", "c-uri": "/a.php?cmd=whoami", "cs-version": "HTTP/1.1", "sc-status": "200", "cs-user-agent": "curl/8"}
		for k, w := range want {
			if got, _ := ev.GetString(k); got != w {
				t.Errorf("%s = %q, want %q", k, got, w)
			}
		}
	}
	var w3c accesslog.W3C
	w3c.Line([]byte("#Fields: date time c-ip cs-method cs-uri-stem cs-uri-query sc-status cs(User-Agent) cs(Referer)"))
	rec, ok, err := w3c.Line([]byte("2019-09-03 10:13:36 10.0.2.17 GET /erp/conn.aspx proxy&port=3389 200 Mozilla/5.0 http://x/"))
	if !ok || err != nil {
		t.Fatal(ok, err)
	}
	ev := &event.Event{}
	Apply(ev, rec)
	for k, w := range map[string]string{"c-uri": "/erp/conn.aspx?proxy&port=3389", "cs-user-agent": "Mozilla/5.0", "cs-referer": "http://x/", "url.original": "/erp/conn.aspx?proxy&port=3389"} {
		if got, _ := ev.GetString(k); got != w {
			t.Errorf("W3C %s = %q, want %q", k, got, w)
		}
	}
}
