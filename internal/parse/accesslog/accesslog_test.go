package accesslog

import (
	"github.com/yagura-soc/yagura/internal/parse/parsetest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/shareddata"
)

func TestParse(t *testing.T) {
	cases := []struct{ in, want string }{
		{`203.0.113.7 - - [02/Nov/2026:09:00:00 +0900] "GET /search?q=1'+or+'1'='1 HTTP/1.1" 200 512 "-" "sqlmap/1.7.2#stable (https://sqlmap.org)"`,
			"2026-11-02T00:00:00Z|bytes=512|client=203.0.113.7|method=GET|protocol=HTTP/1.1|request=GET /search?q=1'+or+'1'='1 HTTP/1.1|status=200|url=/search?q=1'+or+'1'='1|user_agent=sqlmap/1.7.2#stable (https://sqlmap.org)"},
		{`10.0.0.9 - alice [02/Nov/2026:09:00:00 +0000] "POST /login HTTP/1.1" 302 - "https://x.example/" "curl/8.0"`,
			"2026-11-02T09:00:00Z|client=10.0.0.9|method=POST|protocol=HTTP/1.1|referer=https://x.example/|request=POST /login HTTP/1.1|status=302|url=/login|user=alice|user_agent=curl/8.0"},
		{`h.example - - [02/Nov/2026:09:00:00 +0000] "GET / HTTP/1.0" 404 12`,
			"2026-11-02T09:00:00Z|bytes=12|client=h.example|method=GET|protocol=HTTP/1.0|request=GET / HTTP/1.0|status=404|url=/"},
		{`1.2.3.4 - - [02/Nov/2026:09:00:00 +0000] "\x16\x03\x01" 400 0 "-" "-"`,
			`2026-11-02T09:00:00Z|bytes=0|client=1.2.3.4|request=\x16\x03\x01|status=400`}, // nginx's byte escapes kept as logged
		{`192.168.105.83 - - [11/Jul/2018:09:32:27 +0300] "GET /IF.dll?postdata="><script>foo</script> HTTP/1.1" 404 997`,
			`2018-07-11T06:32:27Z|bytes=997|client=192.168.105.83|method=GET|protocol=HTTP/1.1|request=GET /IF.dll?postdata="><script>foo</script> HTTP/1.1|status=404|url=/IF.dll?postdata="><script>foo</script>`},
	}
	for _, c := range cases {
		if !Looks([]byte(c.in)) {
			t.Errorf("Looks(%q) = false", c.in)
		}
		rec, err := Parser{}.Parse([]byte(c.in))
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if got := rec.Time.Format(time.RFC3339) + "|" + parsetest.Flat(rec.Fields, "|"); got != c.want {
			t.Errorf("\n got %s\nwant %s", got, c.want)
		}
	}
	for _, bad := range []string{"", "x - - [bad] \"GET /\" 200 1", `1.2.3.4 - - [02/Nov/2026:09:00:00 +0000] GET 200 1`, `1.2.3.4 - - [02/Nov/2026:09:00:00 +0000] "GET / HTTP/1.1" abc 1`} {
		if _, err := (Parser{}).Parse([]byte(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// The Tomcat access log among the attack samples parses line by line.
func TestRealAccessLog(t *testing.T) {
	body, err := os.ReadFile(shareddata.Path(t, "evtx-attack-samples", "Command and Control", "web_attack_and_isp_webshell_localhost_access_log.txt"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	for i, line := range lines {
		if _, err := (Parser{}).Parse([]byte(strings.TrimRight(line, "\r"))); err != nil {
			t.Errorf("line %d: %v: %q", i+1, err, line)
		}
	}
	if len(lines) < 10 {
		t.Errorf("only %d lines", len(lines))
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`1.2.3.4 - - [02/Nov/2026:09:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "ua"`))
	f.Add([]byte(`1.2.3.4 - - [`))
	f.Fuzz(func(t *testing.T, d []byte) { Parser{}.Parse(d); Looks(d) })
}
