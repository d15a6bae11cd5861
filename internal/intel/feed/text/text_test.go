package text

import (
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/intel"
	"github.com/yagura-soc/yagura/internal/intel/feed"
)

func TestRead(t *testing.T) {
	// The form of Feodo Tracker's ipblocklist.txt and of most EDL files.
	in := `#####################
# Feodo Tracker Botnet C2 IP Blocklist
#####################
203.0.113.61
2001:db8::61   # trailing comment
; semicolon comment
198.51.100.0/24
evil.example.
http://evil.example/x
0123456789abcdef0123456789abcdef
not a value!
` + strings.Repeat("x", MaxLine+10)
	res, err := Read(strings.NewReader(in), feed.Options{Now: time.Unix(0, 0)}, "")
	var got []string
	for _, i := range res.IOCs {
		got = append(got, string(i.Type)+" "+i.Value)
	}
	want := "ipv4 203.0.113.61|ipv6 2001:db8::61|cidr 198.51.100.0/24|domain evil.example|url http://evil.example/x|md5 0123456789abcdef0123456789abcdef"
	if strings.Join(got, "|") != want {
		t.Errorf("got  %s\nwant %s", strings.Join(got, "|"), want)
	}
	if len(res.Rejected) != 1 || res.Rejected[0].Ref != "line 11" {
		t.Errorf("rejected: %+v", res.Rejected)
	}
	if err == nil || !strings.Contains(err.Error(), "line 12") {
		t.Errorf("over-long line: %v, want an error naming line 12", err)
	}
	res, _ = Read(strings.NewReader("evil.example\n"), feed.Options{}, intel.URL)
	if len(res.IOCs) != 0 || len(res.Rejected) != 1 {
		t.Errorf("fixed type not applied: %+v", res)
	}
}

func FuzzRead(f *testing.F) {
	f.Add([]byte("203.0.113.61\n# c\nevil.example\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		res, _ := Read(strings.NewReader(string(b)), feed.Options{Now: time.Unix(0, 0)}, "")
		for _, i := range res.IOCs {
			if _, v, err := intel.Canonical(i.Type, i.Value); err != nil || v != i.Value {
				t.Fatalf("kept a non-canonical value %q: %v", i.Value, err)
			}
		}
	})
}
