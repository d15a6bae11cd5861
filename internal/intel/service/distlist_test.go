package service

import (
	"bytes"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/intel"
	"github.com/yagura-soc/yagura/internal/intel/export"
)

// The sorted kinds a list keeps by binary search, change by change, give
// the same blocklists as sorting all its indicators afresh, the way the
// exporters do for a list handed over unsorted (and the filter on the
// entries' copies of confidence and expiry is Policy.Distributable).
func TestDistListIncremental(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 2))
	random := func() *intel.IOC {
		i := &intel.IOC{Confidence: 40 + r.IntN(60), ToBlock: true}
		switch r.IntN(5) {
		case 0:
			i.Type, i.Value = intel.IPv4, fmt.Sprintf("198.51.%d.%d", r.IntN(4), r.IntN(8))
		case 1:
			i.Type, i.Value = intel.CIDR, fmt.Sprintf("198.51.%d.0/%d", r.IntN(4), 22+r.IntN(3)*2)
		case 2:
			i.Type, i.Value = intel.IPv6, fmt.Sprintf("2001:db8::%x", r.IntN(16))
		case 3:
			i.Type, i.Value = intel.Domain, fmt.Sprintf("h%d.evil.example", r.IntN(40))
		default:
			i.Type, i.Value = intel.URL, fmt.Sprintf("http://evil.example/%d", r.IntN(40))
		}
		if r.IntN(4) == 0 { // expired an hour ago, expiring now, in an hour
			e := now.Add(time.Duration(r.IntN(3)-1) * time.Hour)
			i.Expires = &e
		}
		return i
	}
	dl := &distList{byKey: map[string]*intel.IOC{}}
	p := intel.Policy{MinConfidence: 60}
	for step := 0; step < 2000; step++ {
		i := random()
		if r.IntN(3) == 0 {
			dl.put(i.Key(), nil, true)
		} else {
			dl.put(i.Key(), i, true)
		}
		if step%97 != 0 {
			continue
		}
		sorted := export.List{Blocklist: dl.blocklist(p, now)}
		var unsorted export.List
		for _, i := range slices.Collect(maps.Values(dl.byKey)) {
			if p.Distributable(i, now) {
				unsorted.IOCs = append(unsorted.IOCs, i)
			}
		}
		for _, f := range []string{"edl/ip", "edl/domain", "edl/url", "rpz", "suricata"} {
			var a, b bytes.Buffer
			export.Formats[f].Write(&a, sorted)
			export.Formats[f].Write(&b, unsorted)
			if a.String() != b.String() {
				t.Fatalf("step %d, %s: kept sorted\n%s\nsorted afresh\n%s", step, f, a.String(), b.String())
			}
		}
	}
	if len(dl.nets)+len(dl.domains)+len(dl.urls) != len(dl.byKey) {
		t.Errorf("sorted kinds hold %d, the list %d", len(dl.nets)+len(dl.domains)+len(dl.urls), len(dl.byKey))
	}
}
