package export

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/intel"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func sample(t testing.TB) List {
	var iocs []*intel.IOC
	for _, v := range []struct {
		t intel.Type
		v string
	}{
		{intel.IPv4, "203.0.113.7"}, {intel.IPv4, "198.51.100.9"}, {intel.CIDR, "198.51.100.0/24"}, // .9 is inside the /24
		{intel.CIDR, "223.166.0.0/15"}, {intel.IPv6, "2001:db8::66"}, {intel.CIDR, "2001:db8:1::/48"},
		{intel.IPv6, "2001:db8:0:1:0:0:0:5"}, {intel.Domain, "evil.example"}, {intel.Domain, "c2.bad-actor.example"},
		{intel.Domain, "evil.example"}, {intel.URL, "http://evil.example/gate.php?id=1"}, {intel.URL, "https://x.example/a"},
		{intel.SHA256, "ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c"},
		{intel.Email, "bad@evil.example"},
	} {
		i, err := intel.Prepare(intel.IOC{Type: v.t, Value: v.v, ToBlock: true}, time.Unix(0, 0))
		if err != nil {
			t.Fatal(err)
		}
		iocs = append(iocs, &i)
	}
	return List{Tenant: "default", Serial: 42, Generated: time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC), IOCs: iocs}
}

func render(t *testing.T, name string, l List) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Formats[name].Write(&b, l); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return b.Bytes()
}

// Every format's output for the sample is fixed by a golden file.
func TestGolden(t *testing.T) {
	l := sample(t)
	for _, name := range Names() {
		got := render(t, name, l)
		path := filepath.Join("testdata", strings.ReplaceAll(name, "/", "-")+".golden")
		if *update {
			os.WriteFile(path, got, 0o644)
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s:\n%s", name, path, got)
		}
	}
}

func TestEDL(t *testing.T) {
	l := sample(t)
	cases := map[string]string{
		"edl/ip":     "198.51.100.0/24\n203.0.113.7\n223.166.0.0/15\n2001:db8::66\n2001:db8:0:1::5\n2001:db8:1::/48\n",
		"edl/domain": "c2.bad-actor.example\nevil.example\n",
		"edl/url":    "evil.example/gate.php?id=1\nx.example/a\n",
	}
	for name, want := range cases {
		if got := string(render(t, name, l)); got != want {
			t.Errorf("%s:\n%s\nwant\n%s", name, got, want)
		}
	}
	if err := EDL(&bytes.Buffer{}, l, "hash"); err == nil {
		t.Error("unknown EDL kind accepted")
	}
	if got := string(render(t, "edl/ip", List{})); got != "" {
		t.Errorf("empty list: %q", got)
	}
}

// tool finds a command the test drives; a missing tool fails the test,
// since CI installs it (scripts/install-deps.sh).
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found: run scripts/install-deps.sh (Debian packages nftables, bind9-utils)", name)
	}
	return p
}

func writeTemp(t *testing.T, name string, b []byte) string {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// nft accepts the script in check mode (nothing is applied), for the
// sample, an empty list and a large one.
func TestNFTablesAcceptedByNft(t *testing.T) {
	nft := tool(t, "nft")
	large := List{Tenant: "default", Serial: 1}
	for k := 0; k < 5000; k++ {
		i, _ := intel.Prepare(intel.IOC{Type: intel.IPv4, Value: fmt.Sprintf("10.%d.%d.%d", k/65536, (k/256)%256, k%256)}, time.Unix(0, 0))
		large.IOCs = append(large.IOCs, &i)
	}
	for name, l := range map[string]List{"sample": sample(t), "empty": {}, "large": large} {
		path := writeTemp(t, "yagura.nft", render(t, "nftables", l))
		out, err := exec.Command(nft, "-c", "-f", path).CombinedOutput()
		if err != nil {
			t.Errorf("%s: nft -c -f rejects the script: %v\n%s", name, err, out)
		}
	}
	// The check is real: a broken script is refused.
	bad := strings.Replace(string(render(t, "nftables", sample(t))), "198.51.100.0/24", "198.51.100.0/24,\n\t\t\t198.51.100.9", 1)
	if out, err := exec.Command(nft, "-c", "-f", writeTemp(t, "bad.nft", []byte(bad))).CombinedOutput(); err == nil {
		t.Errorf("nft accepted overlapping intervals; the check proves nothing:\n%s", out)
	}
}

func TestRPZAcceptedByNamedCheckzone(t *testing.T) {
	checkzone := tool(t, "named-checkzone")
	for name, l := range map[string]List{"sample": sample(t), "empty": {}} {
		path := writeTemp(t, "rpz.zone", render(t, "rpz", l))
		out, err := exec.Command(checkzone, "-i", "full", "-k", "fail", "rpz.yagura", path).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "OK") {
			t.Errorf("%s: named-checkzone rejects the zone: %v\n%s", name, err, out)
		}
	}
	bad := strings.Replace(string(render(t, "rpz", sample(t))), "evil.example CNAME .", "evil..example CNAME .", 1)
	if out, err := exec.Command(checkzone, "rpz.yagura", writeTemp(t, "bad.zone", []byte(bad))).CombinedOutput(); err == nil {
		t.Errorf("named-checkzone accepted an empty label; the check proves nothing:\n%s", out)
	}
}

func TestRPZIPOwnerNames(t *testing.T) {
	l := List{}
	for _, v := range []string{"203.0.113.7", "198.51.100.0/24", "2001:db8::66", "2001:db8:0:1::5", "2001:db8:1::/48", "::1"} {
		tp, cv, _ := intel.Canonical(intel.Guess(v), v)
		l.IOCs = append(l.IOCs, &intel.IOC{Type: tp, Value: cv})
	}
	got := string(render(t, "rpz", l))
	for _, want := range []string{
		"32.7.113.0.203.rpz-ip", "24.0.100.51.198.rpz-ip", "128.66.zz.db8.2001.rpz-ip",
		"128.5.zz.1.0.db8.2001.rpz-ip", "48.zz.1.db8.2001.rpz-ip", "128.1.zz.rpz-ip",
	} {
		if !strings.Contains(got, want+" CNAME .") {
			t.Errorf("RPZ lacks %s:\n%s", want, got)
		}
	}
}

// ipset restore would change the host's kernel sets, so the file is
// checked against ipset's restore grammar here instead.
func TestIPSetFile(t *testing.T) {
	got := string(render(t, "ipset", sample(t)))
	line := regexp.MustCompile(`^(# .*|create [a-z0-9-]{1,31} hash:net family inet6? maxelem \d+ -exist|flush [a-z0-9-]{1,31}|add [a-z0-9-]{1,31} [0-9a-f.:/]+|swap [a-z0-9-]{1,31} [a-z0-9-]{1,31}|destroy [a-z0-9-]{1,31})$`)
	for k, l := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		if !line.MatchString(l) {
			t.Errorf("ipset line %d is not restore syntax: %q", k+1, l)
		}
	}
	if !strings.Contains(got, "add yagura-v4-new 198.51.100.0/24\n") || strings.Contains(got, "198.51.100.9") {
		t.Errorf("ipset file:\n%s", got)
	}
	if n := ipsetName("a-very-long-tenant-name-indeed-x", "v6"); len(n+"-new") > 31 {
		t.Errorf("set name %q too long for ipset", n)
	}
}

func TestSuricataRulesPassStrictCheck(t *testing.T) {
	var l List
	for k := 0; k < 1200; k++ { // three IP batches
		i, _ := intel.Prepare(intel.IOC{Type: intel.IPv4, Value: fmt.Sprintf("10.0.%d.%d", k/256, k%256)}, time.Unix(0, 0))
		l.IOCs = append(l.IOCs, &i)
	}
	l.IOCs = append(l.IOCs, sample(t).IOCs...)
	rules := string(render(t, "suricata", l))
	n, err := checkSuricata(rules)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2*3+2*2 {
		t.Errorf("%d rules, want 10", n)
	}
	// The checker is strict: each of these breaks one rule.
	one := strings.Split(rules, "\n")[1]
	for name, bad := range map[string]string{
		"duplicate sid":   one + "\n" + one,
		"missing sid":     regexp.MustCompile(`sid:\d+; `).ReplaceAllString(one, ""),
		"unknown keyword": strings.Replace(one, "classtype:", "klasstype:", 1),
		"bad action":      strings.Replace(one, "alert ", "alarm ", 1),
		"unquoted msg":    strings.Replace(one, `msg:"`, `msg:`, 1),
		"bad address":     strings.Replace(one, "10.0.0.0", "10.0.0.300", 1),
		"no semicolon":    strings.Replace(one, "rev:1;", "rev:1", 1),
		"bad direction":   strings.Replace(one, " -> ", " => ", 1),
	} {
		if _, err := checkSuricata(bad); err == nil {
			t.Errorf("%s: accepted: %s", name, bad)
		}
	}
}

func FuzzSuricataCheck(f *testing.F) {
	f.Add(`alert ip $HOME_NET any -> [10.0.0.1] any (msg:"x"; sid:1; rev:1;)`)
	f.Fuzz(func(t *testing.T, s string) { checkSuricata(s) })
}
