package csv

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/intel"
	"github.com/yagura-soc/yagura/internal/intel/feed"
)

var now = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)

func render(res feed.Result) string {
	var b strings.Builder
	for _, i := range res.IOCs {
		fmt.Fprintf(&b, "%s %s c=%d tags=%s first=%s\n", i.Type, i.Value, i.Confidence, strings.Join(i.Tags, "|"), i.FirstSeen.Format(time.DateTime))
	}
	for _, r := range res.Rejected {
		fmt.Fprintf(&b, "rejected %s: %s\n", r.Ref, r.Reason)
	}
	return b.String()
}

// The testdata files follow the abuse.ch export layouts byte for byte
// (banner, commented header, quoting); the values are documentation
// addresses and names.
func TestBuiltInLayouts(t *testing.T) {
	cases := []struct {
		file string
		want string
	}{
		{"urlhaus.csv", `url http://198.51.100.23/bins/x.mips c=50 tags=32-bit|Mozi|elf|mips first=2026-11-20 10:11:12
url https://evil-cdn.example/dl/invoice.zip c=50 tags=zip first=2026-11-20 10:09:01
rejected 3301232: url "not a url": want scheme://host/path
`},
		{"feodo.csv", `ipv4 203.0.113.61 c=50 tags= first=2026-01-10 09:30:25
ipv6 2001:db8::61 c=50 tags= first=2026-02-11 11:02:44
`},
		{"threatfox.csv", `ipv4 203.0.113.77 c=100 tags=CobaltStrike|c2 first=2026-11-20 10:00:05
domain update-check.example c=75 tags=RAT first=2026-11-20 09:58:41
url https://update-check.example/gate.php c=50 tags= first=2026-11-20 09:57:10
md5 44d88612fea8a8f36de82e1278abb02f c=80 tags=exe first=2026-11-20 09:55:00
rejected 1334563: indicator type "sha3_384_hash" is not supported
`},
		{"generic.csv", `domain evil.example c=90 tags=kit|phishing first=2026-11-21 00:00:00
cidr 198.51.100.0/24 c=70 tags= first=2026-11-21 00:00:00
email bad@evil.example c=60 tags= first=2026-11-21 00:00:00
`},
	}
	for _, c := range cases {
		f, err := os.Open(filepath.Join("testdata", c.file))
		if err != nil {
			t.Fatal(err)
		}
		res, err := Read(f, feed.Options{Source: "abuse.ch", Now: now}, nil)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if got := render(res); got != c.want {
			t.Errorf("%s:\n got\n%s want\n%s", c.file, got, c.want)
		}
	}
}

func TestGenericFieldsAndMappings(t *testing.T) {
	f, _ := os.Open("testdata/generic.csv")
	defer f.Close()
	res, _ := Read(f, feed.Options{Now: now}, nil)
	if i := res.IOCs[0]; i.TLP != intel.TLPAmber || !i.ToBlock || i.Description != "Phishing kit host" {
		t.Errorf("generic row: %+v", i)
	}
	cases := []struct {
		mapping, body, want string
		err                 bool
	}{
		{"value=1,fixed_type=domain", "x,evil.example\ny,b.example\n", "domain evil.example c=50 tags= first=2026-11-21 00:00:00\ndomain b.example c=50 tags= first=2026-11-21 00:00:00\n", false},
		{"value=ioc,confidence=score", "ioc,score\n203.0.113.5,80\n203.0.113.6,high\n", "ipv4 203.0.113.5 c=80 tags= first=2026-11-21 00:00:00\nrejected line 3: confidence \"high\" is not a number\n", false},
		{"value=missing", "ioc,score\n203.0.113.5,80\n", "", true},
		{"feodo", "a,b\n", "", true},
		{"nonsense", "", "", true},
		{"value=", "", "", true},
		{"colour=red,value=a", "", "", true},
	}
	for _, c := range cases {
		l, err := ParseMapping(c.mapping)
		if err == nil {
			var res feed.Result
			res, err = Read(strings.NewReader(c.body), feed.Options{Now: now}, &l)
			if err == nil && render(res) != c.want {
				t.Errorf("mapping %s:\n got\n%s want\n%s", c.mapping, render(res), c.want)
			}
		}
		if (err != nil) != c.err {
			t.Errorf("mapping %s: error %v, want error %v", c.mapping, err, c.err)
		}
	}
}

func FuzzRead(f *testing.F) {
	for _, name := range []string{"urlhaus.csv", "feodo.csv", "threatfox.csv", "generic.csv"} {
		b, _ := os.ReadFile(filepath.Join("testdata", name))
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		res, err := Read(strings.NewReader(string(b)), feed.Options{Now: now}, nil)
		if err != nil {
			return
		}
		for _, i := range res.IOCs {
			if _, v, err := intel.Canonical(i.Type, i.Value); err != nil || v != i.Value {
				t.Fatalf("kept a non-canonical value %q: %v", i.Value, err)
			}
		}
	})
}
