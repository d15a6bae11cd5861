package stix

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/intel"
	"github.com/yagura-soc/yagura/internal/intel/feed"
	"github.com/yagura-soc/yagura/internal/shareddata"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func TestParsePattern(t *testing.T) {
	cases := []struct {
		in   string
		want string // Atoms rendered, or "error: <column>"
	}{
		{`[ipv4-addr:value = '198.51.100.1']`, "ipv4 198.51.100.1"},
		{`[ipv4-addr:value = '223.166.0.0/15']`, "cidr 223.166.0.0/15"},
		{`[ipv6-addr:value = '2001:db8::/32']`, "cidr 2001:db8::/32"},
		{`[domain-name:value = 'a.example' OR ipv4-addr:value = '198.51.100.2']`, "domain a.example|ipv4 198.51.100.2"},
		{`[domain-name:value IN ('a.example', 'b.example')]`, "domain a.example|domain b.example"},
		{`[domain-name:value LIKE '%.evil.example']`, "domain evil.example"},
		{`[domain-name:value MATCHES '(^|\\.)evil\\.example$']`, "domain evil.example"},
		{`[url:value MATCHES '^http://evil\\.example/x$']`, "url http://evil.example/x"},
		{`[url:value = 'http://x4z9arb.cn/4712']`, "url http://x4z9arb.cn/4712"},
		{`[file:hashes.'SHA-256' = 'EF537F25C895BFA782526529A9B63D97AA631564D5D789C2B765448C8635FB6C']`,
			"sha256 ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c"},
		{`[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e' AND file:name = 'x.exe']`, "md5 d41d8cd98f00b204e9800998ecf8427e"},
		{`[email-addr:value = 'bad@evil.example'] OR [email-message:from_ref.value = 'x@evil.example']`,
			"email bad@evil.example|email x@evil.example"},
		{`([ipv4-addr:value = '198.51.100.3'] OR [ipv4-addr:value = '198.51.100.4']) WITHIN 300 SECONDS`,
			"ipv4 198.51.100.3|ipv4 198.51.100.4"},
		{`[network-traffic:dst_ref.value = '2001:db8::5'] REPEATS 5 TIMES START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'`,
			"ipv6 2001:db8::5"},
		{`[x509-certificate:issuer = 'CN=WEBMAIL' AND x509-certificate:serial_number = '4c:0b']`, "unsupported"},
		{`[ipv4-addr:value = '198.51.100.1'] AND [domain-name:value = 'a.example']`, "unsupported"},
		{`[ipv4-addr:value = '198.51.100.1'] FOLLOWEDBY [domain-name:value = 'a.example']`, "unsupported"},
		{`[domain-name:value LIKE 'ev_l.example']`, "unsupported"},
		{`[url:value MATCHES 'evil']`, "unsupported"},
		{`[ipv4-addr:value != '198.51.100.1']`, "unsupported"},
		{`[ipv4-addr:value NOT = '198.51.100.1']`, "unsupported"},
		{`[process:pid = 4]`, "unsupported"},
		{`[file:size > 10 AND EXISTS file:name]`, "unsupported"},
		{`[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]`, "unsupported"},
		{`[ipv4-addr:value = '198.51.100.1'`, "error: 34"},
		{`ipv4-addr:value = '1.2.3.4'`, "error: 1"},
		{`[ipv4-addr:value = '1.2.3.4]`, "error: 20"},
		{`[ipv4-addr:value ~ '1.2.3.4']`, "error: 18"},
		{`[ipv4-addr:value = 'a\x']`, "error: 22"},
		{`[ipv4-addr:value IN '1.2.3.4']`, "error: 21"},
		{`[a:b = 1] WITHIN SECONDS`, "error: 18"},
		{`[a:b = 1] START t'x'`, "error: 21"},
		{`[:b = 1]`, "error: 2"},
		{``, "error: 1"},
		{strings.Repeat("(", 200) + `[a:b = 1]` + strings.Repeat(")", 200), "error: 101"},
	}
	for _, c := range cases {
		o, err := ParsePattern(c.in)
		var got string
		if err != nil {
			pe, ok := err.(*PatternError)
			if !ok {
				t.Fatalf("%s: error %T is not a *PatternError", c.in, err)
			}
			got = fmt.Sprintf("error: %d", pe.Col)
		} else {
			atoms, unsupported := Atoms(o)
			parts := []string{}
			for _, a := range atoms {
				t2, v, err := intel.Canonical(a.Type, a.Value)
				if err != nil {
					t.Errorf("%s: atom %v is not canonical: %v", c.in, a, err)
				}
				parts = append(parts, string(t2)+" "+v)
			}
			got = strings.Join(parts, "|")
			if len(unsupported) > 0 {
				if got != "" {
					got += "|"
				}
				got += "unsupported"
			}
		}
		if got != c.want {
			t.Errorf("%s\n got  %s (err %v)\n want %s", c.in, got, err, c.want)
		}
	}
}

// golden renders a result as sorted lines and compares it with a file.
func golden(t *testing.T, name string, res feed.Result) {
	t.Helper()
	var lines []string
	for _, i := range res.IOCs {
		lines = append(lines, fmt.Sprintf("ioc %s %s confidence=%d tlp=%s", i.Type, i.Value, i.Confidence, i.TLP))
	}
	for _, r := range res.Rejected {
		lines = append(lines, fmt.Sprintf("rejected %s: %s", r.Ref, r.Reason))
	}
	sort.Strings(lines)
	got := strings.Join(lines, "\n") + "\n"
	path := filepath.Join("testdata", name+".golden")
	if *update {
		os.WriteFile(path, []byte(got), 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file:\n%s", name, got)
	}
}

func readShared(t *testing.T, name string) feed.Result {
	t.Helper()
	f, err := os.Open(shareddata.Path(t, "stix", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := Read(f, feed.Options{Source: "oasis", Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func unique(res feed.Result) map[intel.Type][]string {
	seen := map[string]bool{}
	out := map[intel.Type][]string{}
	for _, i := range res.IOCs {
		if !seen[i.Key()] {
			seen[i.Key()] = true
			out[i.Type] = append(out[i.Type], i.Value)
		}
	}
	for _, v := range out {
		sort.Strings(v)
	}
	return out
}

// The APT1 report: four CIDR ranges, three domains and three MD5 hashes
// become indicators; the two x509 certificate patterns are reported.
func TestAPT1(t *testing.T) {
	res := readShared(t, "apt1.json")
	got := unique(res)
	want := map[intel.Type][]string{
		intel.CIDR:   {"112.64.0.0/15", "139.226.0.0/15", "223.166.0.0/15", "58.246.0.0/15"},
		intel.Domain: {"arrowservice.net", "hugesoft.org", "msnhome.org"},
		intel.MD5:    {"001dd76872d80801692ff942308c64e6", "002325a0a67fded0381b5648d7fe9b8e", "00dbb9e1c09dbdafb360f3163ba5a3de"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("APT1 indicators:\n got  %v\n want %v", got, want)
	}
	if len(res.Rejected) != 2 || !strings.Contains(res.Rejected[0].Reason, "x509-certificate") {
		t.Errorf("APT1 rejections: %+v", res.Rejected)
	}
	if !res.IOCs[0].FirstSeen.Equal(time.Date(2015, 5, 15, 9, 12, 16, 432678000, time.UTC)) {
		t.Errorf("valid_from not kept: %v", res.IOCs[0].FirstSeen)
	}
	golden(t, "apt1", res)
}

// Poison Ivy: 25 indicators with OR-ed patterns name 24 domains, 18 IPv4
// addresses and two file names; IPs shared between indicators dedup. One
// value in the bundle is "domain autuo.xicp.net" (a typo in the source):
// it is reported, not dropped and not mangled into a domain.
func TestPoisonIvy(t *testing.T) {
	res := readShared(t, "poisonivy.json")
	got := unique(res)
	if len(got[intel.Domain]) != 24 || len(got[intel.IPv4]) != 18 || len(got[intel.FileName]) != 2 || len(got) != 3 {
		t.Errorf("Poison Ivy: %d domains, %d IPv4, %d file names, %d types; want 24, 18, 2, 3",
			len(got[intel.Domain]), len(got[intel.IPv4]), len(got[intel.FileName]), len(got))
	}
	for _, v := range []string{"113.10.246.30", "219.90.112.203", "98.126.148.114", "60.10.1.121"} {
		if i := sort.SearchStrings(got[intel.IPv4], v); i == len(got[intel.IPv4]) || got[intel.IPv4][i] != v {
			t.Errorf("Poison Ivy: %s missing", v)
		}
	}
	if len(res.Rejected) != 1 || res.Rejected[0].Value != "domain autuo.xicp.net" {
		t.Errorf("Poison Ivy rejections: %+v", res.Rejected)
	}
	golden(t, "poisonivy", res)
}

func TestSmallBundles(t *testing.T) {
	for _, c := range []struct {
		file     string
		want     string
		rejected int
	}{
		{"indicator-for-c2-ip-address.json", "ipv4 10.0.0.0", 0},
		{"indicators-for-C2-with-COA.json", "ipv4 10.0.0.0|sha256 ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c", 0},
		{"malicious-email-indicator-with-attachment.json", "", 2}, // subject and attachment-name regexes
		{"infrastructure.json", "", 0},
	} {
		res := readShared(t, c.file)
		var parts []string
		for _, i := range res.IOCs {
			parts = append(parts, string(i.Type)+" "+i.Value)
		}
		sort.Strings(parts)
		if got := strings.Join(parts, "|"); got != c.want || len(res.Rejected) != c.rejected {
			t.Errorf("%s: %q with %d rejected (%+v); want %q with %d", c.file, got, len(res.Rejected), res.Rejected, c.want, c.rejected)
		}
	}
}

func TestReadShapesAndMarkings(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	single := `{"type":"indicator","id":"indicator--1","pattern":"[domain-name:value = 'a.example']","pattern_type":"stix",
		"confidence":85,"valid_until":"2027-01-01T00:00:00Z",
		"object_marking_refs":["marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"]}`
	res, err := Read(strings.NewReader(single), feed.Options{Now: now, ToBlock: true})
	if err != nil || len(res.IOCs) != 1 {
		t.Fatalf("single object: %+v %v", res, err)
	}
	i := res.IOCs[0]
	if i.Confidence != 85 || i.TLP != intel.TLPAmber || !i.ToBlock || i.Expires == nil || i.Expires.Year() != 2027 {
		t.Errorf("single object: %+v", i)
	}
	envelope := `{"more":false,"objects":[{"type":"marking-definition","id":"marking-definition--x","name":"TLP:RED"},
		{"type":"indicator","id":"indicator--2","pattern":"[url:value = 'http://b.example/']","object_marking_refs":["marking-definition--x"]},
		{"type":"indicator","id":"indicator--3","pattern":"x","pattern_type":"sigma"},
		{"type":"indicator","id":"indicator--4","pattern":"[ipv4-addr:value = '198.51.100.1']","revoked":true}]}`
	res, err = Read(strings.NewReader(envelope), feed.Options{Now: now})
	if err != nil || len(res.IOCs) != 1 || res.IOCs[0].TLP != intel.TLPRed || len(res.Rejected) != 2 {
		t.Errorf("envelope: %+v %v", res, err)
	}
	for _, bad := range []string{`[]`, `{}`, `nope`, `{"objects":[1]}`} {
		if _, err := Read(strings.NewReader(bad), feed.Options{Now: now}); err == nil {
			t.Errorf("Read(%s) accepted", bad)
		}
	}
}

func FuzzParsePattern(f *testing.F) {
	for _, s := range []string{
		`[ipv4-addr:value = '198.51.100.1']`,
		`[domain-name:value = 'a.example' OR ipv4-addr:value IN ('1.2.3.4','5.6.7.8')]`,
		`([a:b = 1] AND [c:d.'e-f'[*].g LIKE 'x%']) WITHIN 5 SECONDS REPEATS 2 TIMES`,
		`[url:value MATCHES '^http://a\\.b/$'] START t'2016-01-01T00:00:00Z' STOP t'2016-01-02T00:00:00Z'`,
		`[file:hashes.'SHA-256' = 'ab' AND EXISTS file:name AND file:size >= -1.5 AND x:y = h'ff' AND x:z = b'AA==' AND x:t = true]`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, err := ParsePattern(s)
		if err != nil {
			return
		}
		Atoms(o)
	})
}

func FuzzRead(f *testing.F) {
	f.Add([]byte(`{"type":"bundle","objects":[{"type":"indicator","id":"indicator--1","pattern":"[ipv4-addr:value = '198.51.100.1']"}]}`))
	f.Add([]byte(`{"objects":[{"type":"marking-definition","id":"m","definition_type":"tlp","definition":{"tlp":"green"}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		res, err := Read(strings.NewReader(string(b)), feed.Options{Now: time.Unix(0, 0)})
		if err != nil {
			return
		}
		for _, i := range res.IOCs {
			if _, v, err := intel.Canonical(i.Type, i.Value); err != nil || v != i.Value {
				t.Fatalf("reader kept a non-canonical value %q: %v", i.Value, err)
			}
		}
	})
}
