package misp

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/intel"
	"github.com/yagura-soc/yagura/internal/intel/feed"
)

var now = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)

func render(res feed.Result) string {
	var lines []string
	for _, i := range res.IOCs {
		lines = append(lines, fmt.Sprintf("%s %s c=%d tlp=%s", i.Type, i.Value, i.Confidence, i.TLP))
	}
	for _, r := range res.Rejected {
		lines = append(lines, "rejected "+r.Ref+": "+r.Reason)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func TestReadEvent(t *testing.T) {
	f, err := os.Open("testdata/event.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := Read(f, feed.Options{Source: "misp", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"domain loader.evil.example c=90 tlp=amber",
		"ipv4 198.51.100.45 c=90 tlp=amber",
		"ipv4 203.0.113.45 c=90 tlp=amber",
		"md5 44d88612fea8a8f36de82e1278abb02f c=90 tlp=amber",
		`rejected a0000001-0000-4000-8000-000000000004: ip-src attribute has to_ids=false (context, not for detection)`,
		`rejected a0000001-0000-4000-8000-000000000005: link attribute has to_ids=false (context, not for detection)`,
		`rejected a0000001-0000-4000-8000-000000000006: MISP attribute type "vulnerability" has no indicator type`,
		"sha256 ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c c=90 tlp=amber",
		"url http://loader.evil.example/wp-content/x.php c=90 tlp=red",
	}, "\n")
	if got := render(res); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	for _, i := range res.IOCs {
		if i.Value == "203.0.113.45" && (i.Description != "C2" || !i.LastSeen.Equal(time.Unix(1794996000, 0)) ||
			!i.FirstSeen.Equal(time.Date(2026, 11, 18, 0, 0, 0, 0, time.UTC)) || len(i.Tags) != 1) {
			t.Errorf("attribute details lost: %+v", i)
		}
	}
}

func TestReadFeed(t *testing.T) {
	res, err := ReadFeed(os.DirFS("testdata"), "feed", feed.Options{Source: "circl", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"domain login.invoices-evil.example c=50 tlp=clear",
		"email billing@invoices-evil.example c=50 tlp=clear",
		"rejected 5e1f2c1a-0b7c-4f3e-9d2a-c0a8000a0003: event listed in the manifest but missing from the feed",
	}, "\n")
	if got := render(res); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if _, err := ReadFeed(os.DirFS("testdata"), ".", feed.Options{}); err == nil {
		t.Error("a folder without manifest.json was accepted")
	}
}

func TestShapes(t *testing.T) {
	search := `{"response":[{"Event":{"info":"x","Attribute":[{"type":"sha1","to_ids":1,"value":"DA39A3EE5E6B4B0D3255BFEF95601890AFD80709"}]}}]}`
	res, err := Read(strings.NewReader(search), feed.Options{Now: now})
	if err != nil || len(res.IOCs) != 1 || res.IOCs[0].Type != intel.SHA1 {
		t.Errorf("search result: %+v %v", res, err)
	}
	for _, bad := range []string{`{}`, `[]`, `{"Event":{"Attribute":[{"to_ids":"maybe"}]}}`, `{"Event":{"threat_level_id":{}}}`} {
		if _, err := Read(strings.NewReader(bad), feed.Options{Now: now}); err == nil {
			t.Errorf("Read(%s) accepted", bad)
		}
	}
	res, _ = Read(strings.NewReader(`{"Event":{"Attribute":[{"type":"domain|ip","to_ids":true,"value":"only.example"}]}}`), feed.Options{Now: now})
	if len(res.Rejected) != 1 {
		t.Errorf("composite without |: %+v", res)
	}
}

func FuzzRead(f *testing.F) {
	b, _ := os.ReadFile("testdata/event.json")
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		res, err := Read(strings.NewReader(string(b)), feed.Options{Now: now})
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
