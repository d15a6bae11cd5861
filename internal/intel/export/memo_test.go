package export

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

// keeper collects a render the way the service does: kept text by
// reference, the rest copied.
type keeper struct{ parts [][]byte }

func (k *keeper) Write(p []byte) (int, error) {
	k.parts = append(k.parts, bytes.Clone(p))
	return len(p), nil
}
func (k *keeper) Keep(p []byte) { k.parts = append(k.parts, p) }

// A Suricata or RPZ render with the memo of earlier renders is byte for
// byte a render without one, through adds and removals that move runs and rule ids
// (20,000 domains give some 40,000 rules: a few dozen ids collide and are
// probed past, so a change can move a later domain's id).
func TestMemoMatchesFreshRender(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 1))
	set := map[string]bool{}
	for len(set) < 20_000 {
		set[fmt.Sprintf("h%d.bad%d.example", r.IntN(50), r.IntN(1_000_000))] = true
	}
	addrs := []string{"198.51.100.0/24", "203.0.113.7", "2001:db8::1"}
	for k := 0; k < 3000; k++ {
		addrs = append(addrs, fmt.Sprintf("10.%d.%d.%d", r.IntN(256), r.IntN(256), r.IntN(256)), fmt.Sprintf("2001:db8::%x", r.IntN(1<<16)))
	}
	memo, rpzMemo := &Memo{}, &Memo{}
	probed := 0
	for step := 0; step < 12; step++ {
		bl := &Blocklist{Domains: slices.Sorted(func(yield func(string) bool) {
			for d := range set {
				if !yield(d) {
					return
				}
			}
		})}
		nets := make([]netip.Prefix, 0, len(addrs))
		for _, a := range addrs {
			nets = append(nets, mustPrefix(t, a))
		}
		slices.SortFunc(nets, ComparePrefix)
		for _, p := range nets {
			bl.AddNet(p)
		}
		l := List{Tenant: "default", Serial: int64(step), Blocklist: bl}
		var fresh bytes.Buffer
		if err := Suricata(&fresh, l); err != nil {
			t.Fatal(err)
		}
		l.Memo = memo
		var kept keeper
		if err := Suricata(&kept, l); err != nil {
			t.Fatal(err)
		}
		if got := bytes.Join(kept.parts, nil); !bytes.Equal(got, fresh.Bytes()) {
			t.Fatalf("step %d: the memo's render differs from a fresh one", step)
		}
		var freshRPZ bytes.Buffer
		RPZ(&freshRPZ, List{Tenant: "default", Serial: int64(step), Blocklist: bl})
		var keptRPZ keeper
		RPZ(&keptRPZ, List{Tenant: "default", Serial: int64(step), Blocklist: bl, Memo: rpzMemo})
		if got := bytes.Join(keptRPZ.parts, nil); !bytes.Equal(got, freshRPZ.Bytes()) {
			t.Fatalf("step %d: the memo's RPZ zone differs from a fresh one", step)
		}
		if n, err := checkSuricata(fresh.String()); err != nil || n != 2*len(bl.Domains)+2*((len(bl.V4)+len(bl.V6)+suricataIPBatch-1)/suricataIPBatch) {
			t.Fatalf("step %d: %d rules, %v", step, n, err)
		}
		if step == 0 {
			for _, line := range strings.Split(fresh.String(), "\n") {
				d, _, ok := strings.Cut(strings.TrimPrefix(line, `alert dns $HOME_NET any -> any any (msg:"YAGURA intel DNS query for `), `"`)
				if ok && !strings.Contains(line, fmt.Sprintf("sid:%d;", suricataSIDBase+fnvHash("dns-", d)%suricataSIDRange)) {
					probed++
				}
			}
		}
		// Change a few domains, sometimes many.
		for k := 0; k < 1+r.IntN(3)+(step%4)*200; k++ {
			d := fmt.Sprintf("h%d.bad%d.example", r.IntN(50), r.IntN(1_000_000))
			if r.IntN(2) == 0 {
				for old := range set {
					delete(set, old)
					break
				}
			}
			set[d] = true
		}
		addrs = append(addrs, fmt.Sprintf("192.0.2.%d", step))
		addrs = slices.Delete(addrs, 10, 10+r.IntN(3)) // and a few addresses
	}
	if probed == 0 {
		t.Error("no rule id was probed past a collision: the test does not cover them")
	}
}

func mustPrefix(t *testing.T, s string) netip.Prefix {
	t.Helper()
	if p, err := netip.ParsePrefix(s); err == nil {
		return p
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		t.Fatal(err)
	}
	return netip.PrefixFrom(a, a.BitLen())
}
