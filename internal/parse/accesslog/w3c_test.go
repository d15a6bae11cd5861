package accesslog

import (
	"bytes"
	"github.com/yagura-soc/yagura/internal/parse/parsetest"
	"os"
	"strings"
	"testing"

	"github.com/yagura-soc/yagura/internal/shareddata"
)

func TestW3C(t *testing.T) {
	var w W3C
	if _, _, err := w.Line([]byte("2019-09-03 10:13:36 10.0.2.15 GET /")); err == nil {
		t.Error("data before #Fields parsed")
	}
	for _, h := range []string{"#Software: Microsoft Internet Information Services 10.0", "#Fields: date time c-ip cs-method cs-uri-stem cs-uri-query sc-status cs(User-Agent)", ""} {
		if _, ok, err := w.Line([]byte(h)); ok || err != nil {
			t.Fatalf("%q: ok=%v err=%v", h, ok, err)
		}
	}
	rec, ok, err := w.Line([]byte("2019-09-03 10:13:36 10.0.2.17 GET /erp/conn.aspx proxy&port=3389 200 Mozilla/5.0+(Windows+NT)\r"))
	if !ok || err != nil {
		t.Fatalf("ok=%v err=%v", ok, err)
	}
	if got := rec.Time.Format("2006-01-02T15:04:05Z07:00") + " " + flatW3C(rec.Fields); got != "2019-09-03T10:13:36Z GET /erp/conn.aspx proxy&port=3389 200 10.0.2.17 Mozilla/5.0+(Windows+NT)" {
		t.Errorf("got %s", got)
	}
	if _, _, err := w.Line([]byte("2019-09-03 10:13:36 short")); err == nil {
		t.Error("short line parsed")
	}
	if _, _, err := w.Line([]byte("2019-09-03 25:13:36 10.0.2.17 GET / - 200 -")); err == nil {
		t.Error("bad time parsed")
	}
}

func flatW3C(f map[string]any) string {
	var parts []string
	for _, k := range []string{"cs-method", "cs-uri-stem", "cs-uri-query", "sc-status", "c-ip", "cs(User-Agent)"} {
		parts = append(parts, f[k].(string))
	}
	return strings.Join(parts, " ")
}

// Every data line of the IIS log among the attack samples parses.
func TestRealIISLog(t *testing.T) {
	body, err := os.ReadFile(shareddata.Path(t, "evtx-attack-samples", "Command and Control", "Tunna_rdp_tunnel_IIS.log"))
	if err != nil {
		t.Fatal(err)
	}
	var w W3C
	n := 0
	for i, line := range bytes.Split(body, []byte("\n")) {
		rec, ok, err := w.Line(line)
		if err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if ok {
			n++
			if rec.Time.IsZero() || rec.Fields["cs-method"] == nil || rec.Fields["c-ip"] == nil {
				t.Fatalf("line %d: %v %v", i+1, rec.Time, rec.Fields)
			}
		}
	}
	if n < 4000 {
		t.Errorf("%d records, the file holds over 4,000", n)
	}
}

func TestErrorParser(t *testing.T) {
	cases := []struct{ in, want string }{
		{"[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties",
			"2005-12-04T04:47:44Z|level=notice|message=workerEnv.init() ok /etc/httpd/conf/workers2.properties"},
		{"[Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187:5050] AH00128: File does not exist: /x",
			"2000-10-11T14:32:52.123456Z|client=72.15.99.187:5050|level=error|message=AH00128: File does not exist: /x|module=core|pid=35708|tid=4328636416"},
		{"[Sun Dec 04 04:47:44 2005] [error] [client 1.2.3.4] [id \"950901\"] ModSecurity: x",
			`2005-12-04T04:47:44Z|client=1.2.3.4|level=error|message=[id "950901"] ModSecurity: x`},
	}
	for _, c := range cases {
		if !LooksError([]byte(c.in)) {
			t.Errorf("LooksError(%q) = false", c.in)
		}
		rec, err := ErrorParser{}.Parse([]byte(c.in))
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if got := rec.Time.Format("2006-01-02T15:04:05.999999Z07:00") + "|" + parsetest.Flat(rec.Fields, "|"); got != c.want {
			t.Errorf("\n got %s\nwant %s", got, c.want)
		}
	}
	for _, bad := range []string{"", "[x", "[Sun Dec 04 04:47:44 2005]", "[yesterday] [error] x"} {
		if _, err := (ErrorParser{}).Parse([]byte(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// Apache_2k has no ground-truth CSV; every line must parse, and the level
// counts are those of the raw file (595 error, 1,405 notice).
func TestApache2k(t *testing.T) {
	body, err := os.ReadFile(shareddata.Path(t, "loghub", "Apache_2k.log"))
	if err != nil {
		t.Fatal(err)
	}
	levels := map[string]int{}
	for i, line := range strings.Split(strings.TrimRight(string(body), "\n"), "\n") {
		rec, err := ErrorParser{}.Parse([]byte(line))
		if err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if !strings.HasSuffix(strings.TrimRight(line, "\r"), rec.Fields["message"].(string)) {
			t.Fatalf("line %d: message %q is not the end of the line", i+1, rec.Fields["message"])
		}
		levels[rec.Fields["level"].(string)]++
	}
	if levels["error"] != 595 || levels["notice"] != 1405 {
		t.Errorf("levels %v", levels)
	}
}

func FuzzW3C(f *testing.F) {
	f.Add([]byte("#Fields: date time c-ip\n2019-09-03 10:13:36 1.2.3.4\n2019-09-03 x"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var w W3C
		for _, l := range bytes.Split(data, []byte("\n")) {
			w.Line(l)
		}
	})
}

func FuzzErrorParser(f *testing.F) {
	f.Add([]byte("[Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187:5050] x"))
	f.Add([]byte("[Sun Dec 04 04:47:44 2005] [notice] x"))
	f.Fuzz(func(t *testing.T, data []byte) { ErrorParser{}.Parse(data); LooksError(data) })
}
