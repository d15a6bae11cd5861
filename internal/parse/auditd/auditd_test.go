package auditd

import (
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/parse"
)

func TestParse(t *testing.T) {
	cases := []struct {
		in    string
		check map[string]any
	}{
		{`node=web-01 type=EXECVE msg=audit(1793610000.033:724001): argc=3 a0="/bin/sh" a1="-c" a2=2F7573722F62696E2F706870202F7661722F7777772F736974652F63726F6E2E706870`,
			map[string]any{"node": "web-01", "type": "EXECVE", "serial": int64(724001), "a2": "/usr/bin/php /var/www/site/cron.php", "cmdline": "/bin/sh -c /usr/bin/php /var/www/site/cron.php"}},
		{`type=PROCTITLE msg=audit(1793610000.033:1): proctitle=2F62696E2F7368002D63`, map[string]any{"proctitle": "/bin/sh -c", "type": "PROCTITLE"}},
		{`type=SYSCALL msg=audit(1364481363.243:24287): arch=c000003e syscall=2 success=no exit=-13 comm="cat" exe="/bin/cat" key="sshd_config"`,
			map[string]any{"success": "no", "comm": "cat", "exe": "/bin/cat", "arch": "c000003e"}},
	}
	for _, c := range cases {
		rec, err := Parser{}.Parse([]byte(c.in))
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		for k, want := range c.check {
			if rec.Fields[k] != want {
				t.Errorf("%s = %#v, want %#v (%q)", k, rec.Fields[k], want, c.in)
			}
		}
	}
	rec, _ := Parser{}.Parse([]byte(cases[0].in))
	if !rec.Time.Equal(time.Unix(1793610000, 33e6)) {
		t.Errorf("time %v", rec.Time)
	}
	for _, bad := range []string{"type=X", "type=X msg=audit(abc): x=1", "type=X msg=audit(1.2:3 x=1"} {
		if _, err := (Parser{}).Parse([]byte(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestGrouper(t *testing.T) {
	lines := []string{
		`node=h type=SYSCALL msg=audit(1.000:7): syscall=59 success=yes exe="/usr/bin/curl" pid=10`,
		`node=h type=EXECVE msg=audit(1.000:7): argc=2 a0="curl" a1="http://x"`,
		`node=h type=PROCTITLE msg=audit(1.000:7): proctitle=6375726C00687474703A2F2F78`,
		`node=h type=EOE msg=audit(1.000:7):`,
		`node=h type=SYSCALL msg=audit(2.000:8): syscall=59 exe="/bin/ls"`,
	}
	var g Grouper
	var out []parse.Record
	for _, l := range lines {
		rec, err := Parser{}.Parse([]byte(l))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, g.Add(rec)...)
	}
	if len(out) != 1 {
		t.Fatalf("%d events completed, want 1", len(out))
	}
	ev := out[0].Fields
	if ev["cmdline"] != "curl http://x" || ev["exe"] != "/usr/bin/curl" || ev["proctitle"] != "curl http://x" || len(ev["types"].([]any)) != 3 {
		t.Errorf("grouped = %v", ev)
	}
	if rest := g.Flush(); len(rest) != 1 || rest[0].Fields["serial"] != int64(8) {
		t.Errorf("flush = %v", rest)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`type=EXECVE msg=audit(1.2:3): argc=1 a0=41`))
	f.Add([]byte(`node= type= msg=audit(`))
	f.Fuzz(func(t *testing.T, d []byte) { Parser{}.Parse(d) })
}
