package hunt

import (
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// compileCases cover every production of the compiler; their SQL and
// arguments are kept in testdata/compile.golden and reviewed like code.
var compileCases = []string{
	"",
	"mimikatz",
	`"logon failed"`,
	"mimi*katz",
	`powershell.exe -enc* OR "whoami /all" NOT rare_word`,
	`powershell.exe AND "cmd.exe /c" *admin*`,
	"user.name:alice",
	`user.name:"Alice Smith"`,
	"process.pid:4242",
	"Image:C:\\Windows\\*\\cmd.exe",
	"host.name:ws-0?",
	"network.bytes:>=1000",
	"user.name:>m",
	`user.name:<"m n"`,
	"network.bytes:[10 TO 20]",
	"network.bytes:[* TO 20]",
	"user.name:[a TO m]",
	"@timestamp:>=2026-03-10T02:00:00Z",
	"@timestamp:[2026-03-01 TO *]",
	"source.ip:10.0.0.0/8",
	"url.domain:10.0.0.0/8",
	`user.name:/^adm\d+$/`,
	"user.name:*",
	"@timestamp:*",
	"a:1 AND b:2 OR NOT c:3",
	"| where network.bytes > 10 AND user.name != bob",
	"| stats count()",
	"| stats count(), count(a), dc(user.name), sum(b), avg(b), min(b), max(b), min(@timestamp), values(host.name) by host.name, x",
	"| stats count() as n by user.name | where n >= 5 | sort -n, user.name | head 3",
	"| sort -network.bytes, @timestamp",
	"| head 5",
	"| fields @timestamp, user.name | head 2",
	"| dedup user.name, host.name",
	"| top 5 user.name",
	"| rare 3 process.name",
	"| timechart span=15m count() by host.name",
	"| timechart span=1d dc(user.name) as users, count()",
	"| stats count() by user.name | top 2 count",
}

func TestCompileGolden(t *testing.T) {
	var b strings.Builder
	for _, in := range compileCases {
		q, err := Parse(in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", in, err)
		}
		cq, err := Compile(q, in, Options{Limit: 50})
		if err != nil {
			t.Fatalf("Compile(%q): %v", in, err)
		}
		fmt.Fprintf(&b, "### %s\nwhere: %s\nwhere args: %s\nsql: %s\nargs: %s\ncount: %s\ncount args: %s\nevents: %v columns: %q\n",
			in, cq.Where, fmtArgs(cq.WhereArgs), cq.SQL, fmtArgs(cq.Args), cq.CountSQL, fmtArgs(cq.CountArgs), cq.Events, cq.Columns)
		if len(cq.Tokens) > 0 {
			fmt.Fprintf(&b, "tokens: %q\n", cq.Tokens)
		}
		b.WriteString("\n")
	}
	golden(t, "compile.golden", b.String())
}

func fmtArgs(args []any) string {
	parts := make([]string, len(args))
	for i, a := range args {
		if ts, ok := a.(time.Time); ok {
			parts[i] = ts.Format(time.RFC3339Nano)
			continue
		}
		parts[i] = fmt.Sprintf("%T(%v)", a, a)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the compiler's output (run go test -run %s -update and review the diff):\n%s", path, t.Name(), firstDiff(string(want), got))
	}
}

func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\nwant %s\ngot  %s", i+1, w, g)
		}
	}
	return ""
}

func TestCompileErrors(t *testing.T) {
	cases := []struct {
		in   string
		col  int
		want string
	}{
		{"| stats count() by user.name | where host.name:x", 38, `no column "host.name" here: an earlier stage left only "user.name", "count"`},
		{"| stats count() | where failed", 25, "bare word failed: after stats or fields name the column"},
		{"| stats count() | timechart count()", 19, "timechart needs events"},
		{"| stats count() as user.name by user.name", 3, `two columns named "user.name"`},
		{"| fields a, a", 3, `two columns named "a"`},
		{"| top 3 user.name | sort -n", 21, `no column "n" here`},
		{"@timestamp:yesterday", 1, "is a timestamp: compare it"},
		{"@timestamp:>yesterday", 1, `"yesterday" is not a time for @timestamp`},
		{"@timestamp:[2026-01-01 TO later]", 1, `"later" is not a time`},
		{"| fields user.name | stats dc(host.name)", 22, `no column "host.name"`},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			q, err := Parse(c.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			_, err = Compile(q, c.in, Options{})
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Compile(%q) error = %v, want *Error", c.in, err)
			}
			if e.Column() != c.col || !strings.Contains(e.Msg, c.want) {
				t.Errorf("Compile(%q) = column %d %q, want column %d containing %q", c.in, e.Column(), e.Msg, c.col, c.want)
			}
		})
	}
}

func TestCompileLimit(t *testing.T) {
	q, _ := Parse("")
	for _, c := range []struct{ in, want int }{{0, DefaultLimit}, {5, 5}, {MaxLimit * 10, MaxLimit}} {
		cq, err := Compile(q, "", Options{Limit: c.in})
		if err != nil {
			t.Fatal(err)
		}
		if got := cq.Args[len(cq.Args)-1]; got != int64(c.want) {
			t.Errorf("Limit %d compiled to %v, want %d", c.in, got, c.want)
		}
	}
}

func TestCompileExtras(t *testing.T) {
	q, _ := Parse("user.name:alice | head 5")
	h, s, ok, err := CompileExtras(q, "user.name:alice | head 5", time.Hour, 5)
	if err != nil || !ok {
		t.Fatalf("ok=%v err=%v", ok, err)
	}
	golden(t, "extras.golden", fmt.Sprintf("histogram: %s\nargs: %s\nwhere: %s %s\nsummary: %s\nargs: %s\n",
		h.SQL, fmtArgs(h.Args), h.Where, fmtArgs(h.WhereArgs), s.SQL, fmtArgs(s.Args)))
	q, _ = Parse("| stats count()")
	if _, _, ok, err := CompileExtras(q, "| stats count()", time.Hour, 5); ok || err != nil {
		t.Errorf("stats query has extras: ok=%v err=%v", ok, err)
	}
}

func TestCIDRPrefixes(t *testing.T) {
	cases := []struct{ in, want string }{
		{"0.0.0.0/0", `[""]`},
		{"10.0.0.0/8", `["10."]`},
		{"10.1.0.0/16", `["10.1."]`},
		{"192.0.2.0/24", `["192.0.2."]`},
		{"10.1.16.0/20", `["10.1.16." "10.1.17." "10.1.18." "10.1.19." "10.1.20." "10.1.21." "10.1.22." "10.1.23." "10.1.24." "10.1.25." "10.1.26." "10.1.27." "10.1.28." "10.1.29." "10.1.30." "10.1.31."]`},
		{"172.16.0.0/12", `["172.16." "172.17." "172.18." "172.19." "172.20." "172.21." "172.22." "172.23." "172.24." "172.25." "172.26." "172.27." "172.28." "172.29." "172.30." "172.31."]`},
		{"192.0.2.4/30", `["192.0.2.4" "192.0.2.5" "192.0.2.6" "192.0.2.7"]`},
		{"192.0.2.9/31", `["192.0.2.8" "192.0.2.9"]`},
	}
	for _, c := range cases {
		if got := fmt.Sprintf("%q", cidrPrefixes(netip.MustParsePrefix(c.in))); got != c.want {
			t.Errorf("cidrPrefixes(%s) = %s, want %s", c.in, got, c.want)
		}
	}
}
