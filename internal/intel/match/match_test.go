package match

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/detect"
	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/intel"
)

var t0 = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

func ioc(t *testing.T, typ intel.Type, v string, conf int) intel.IOC {
	t.Helper()
	i, err := intel.Prepare(intel.IOC{ID: fmt.Sprintf("id-%s-%s", typ, v), Type: typ, Value: v, Confidence: conf,
		TLP: "amber", Sources: []intel.Source{{Name: "feed1"}}}, t0)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

// The radix tree agrees with a linear longest-prefix scan on random
// prefixes and addresses of both families.
func TestRadixAgainstLinearScan(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var prefixes []netip.Prefix
	tree := newRadix(0)
	randAddr := func(v6 bool) netip.Addr {
		if v6 {
			var b [16]byte
			b[0], b[1] = 0x20, 0x01 // keep them in a small space so prefixes nest
			for i := 2; i < 16; i++ {
				b[i] = byte(r.IntN(4))
			}
			return netip.AddrFrom16(b)
		}
		return netip.AddrFrom4([4]byte{10, byte(r.IntN(4)), byte(r.IntN(4)), byte(r.IntN(8))})
	}
	for k := 0; k < 3000; k++ {
		v6 := k%2 == 0
		a := randAddr(v6)
		bits := r.IntN(a.BitLen() + 1)
		if !v6 {
			bits = 8 + r.IntN(25)
		}
		p := netip.PrefixFrom(a, bits).Masked()
		prefixes = append(prefixes, p)
		tree.insert(p, int32(len(prefixes)))
	}
	for k := 0; k < 20000; k++ {
		a := randAddr(k%2 == 0)
		want := int32(0)
		wantBits := -1
		for i, p := range prefixes {
			// a later insert of the same prefix replaces the earlier one
			if p.Contains(a) && p.Bits() >= wantBits {
				want, wantBits = int32(i+1), p.Bits()
			}
		}
		if got := tree.lookup(a); got != want {
			t.Fatalf("lookup(%s) = %d, want %d (%v)", a, got, want, prefixes[max(want-1, 0)])
		}
	}
}

func ev(ecs event.Fields) *event.Event {
	return &event.Event{Tenant: "default", ID: "e1", Timestamp: t0, ECS: ecs, Fields: event.Fields{}}
}

func TestDetect(t *testing.T) {
	m := New(intel.DefaultWarningLists())
	m.SetClock(func() time.Time { return t0 })
	past := t0.Add(-time.Hour)
	expired := ioc(t, intel.IPv4, "203.0.113.99", 90)
	expired.Expires = &past
	m.Replace("default", []intel.IOC{
		ioc(t, intel.IPv4, "203.0.113.7", 90),
		ioc(t, intel.CIDR, "198.51.100.0/24", 40),
		ioc(t, intel.IPv6, "2001:db8::66", 70),
		ioc(t, intel.Domain, "evil.example", 95),
		ioc(t, intel.URL, "http://bad.example/x.php", 50),
		ioc(t, intel.SHA256, "ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c", 88),
		ioc(t, intel.MD5, "44d88612fea8a8f36de82e1278abb02f", 60),
		ioc(t, intel.Email, "billing@invoices-evil.example", 20),
		ioc(t, intel.FileName, "mimikatz.exe", 65),
		ioc(t, intel.UserAgent, "EvilBot/1.0", 50),
		ioc(t, intel.JA3, "e7d705a3286e19ea42f587b344ee6865", 50),
		ioc(t, intel.IPv4, "8.8.8.8", 100), // on a warning list: never matched
		expired,
	})
	cases := []struct {
		name     string
		fields   event.Fields
		rules    string
		atom     string
		level    string
		enriched string // threat.indicator.* field expected on the event
	}{
		{"destination ip", event.Fields{"destination.ip": "203.0.113.7"}, "yagura-intel-ipv4", "203.0.113.7", "high", "threat.indicator.ip"},
		{"mapped v4", event.Fields{"source.ip": "::ffff:203.0.113.7"}, "yagura-intel-ipv4", "::ffff:203.0.113.7", "high", "threat.indicator.ip"},
		{"inside cidr", event.Fields{"source.ip": "198.51.100.200"}, "yagura-intel-cidr", "198.51.100.200", "low", "threat.indicator.ip"},
		{"ipv6", event.Fields{"destination.ip": "2001:db8::66"}, "yagura-intel-ipv6", "2001:db8::66", "medium", "threat.indicator.ip"},
		{"parent domain", event.Fields{"dns.question.name": "Cdn.Login.EVIL.example."}, "yagura-intel-domain", "Cdn.Login.EVIL.example.", "high", "threat.indicator.url.domain"},
		{"exact domain", event.Fields{"url.domain": "evil.example"}, "yagura-intel-domain", "evil.example", "high", "threat.indicator.url.domain"},
		{"url canonicalised", event.Fields{"url.full": "HTTP://BAD.example/x.php"}, "yagura-intel-url", "HTTP://BAD.example/x.php", "low", "threat.indicator.url.full"},
		{"hash upper case", event.Fields{"file.hash.sha256": "EF537F25C895BFA782526529A9B63D97AA631564D5D789C2B765448C8635FB6C"}, "yagura-intel-sha256", "EF537F25C895BFA782526529A9B63D97AA631564D5D789C2B765448C8635FB6C", "high", "threat.indicator.file.hash.sha256"},
		{"email", event.Fields{"email.from.address": "Billing@invoices-evil.example"}, "yagura-intel-email", "Billing@invoices-evil.example", "informational", "threat.indicator.email.address"},
		{"process path", event.Fields{"process.name": `C:\Temp\mimikatz.exe`}, "yagura-intel-filename", `C:\Temp\mimikatz.exe`, "medium", "threat.indicator.file.name"},
		{"user agent", event.Fields{"user_agent.original": "EvilBot/1.0"}, "yagura-intel-user-agent", "EvilBot/1.0", "low", "threat.indicator.type"},
		{"ja3", event.Fields{"tls.client.ja3": "E7D705A3286E19EA42F587B344EE6865"}, "yagura-intel-ja3", "E7D705A3286E19EA42F587B344EE6865", "low", "threat.indicator.type"},
		{"list field, two hits, one per indicator", event.Fields{"related.ip": []any{"203.0.113.7", "2001:db8::66", "203.0.113.7"}},
			"yagura-intel-ipv4,yagura-intel-ipv6", "203.0.113.7", "high", "threat.indicator.ip"},
		{"warning list", event.Fields{"destination.ip": "8.8.8.8"}, "", "", "", ""},
		{"expired", event.Fields{"destination.ip": "203.0.113.99"}, "", "", "", ""},
		{"no match", event.Fields{"destination.ip": "192.0.2.1", "dns.question.name": "example", "url.domain": "notevil.example"}, "", "", "", ""},
		{"garbage", event.Fields{"destination.ip": "not an ip", "file.hash.md5": "xyz", "related.ip": []any{1, nil}}, "", "", "", ""},
	}
	for _, c := range cases {
		e := ev(c.fields)
		got := m.Detect(e, nil)
		var rules string
		for k, mt := range got {
			if k > 0 {
				rules += ","
			}
			rules += mt.RuleID
		}
		if rules != c.rules {
			t.Errorf("%s: rules %q, want %q", c.name, rules, c.rules)
			continue
		}
		if len(got) == 0 {
			if _, ok := e.ECS["threat.indicator.type"]; ok {
				t.Errorf("%s: enriched without a match", c.name)
			}
			continue
		}
		mt := got[0]
		if mt.Level != c.level || mt.Fields["threat.enrichments.matched.atomic"] != c.atom || mt.Tenant != "default" ||
			len(mt.Events) != 1 || mt.Events[0] != e {
			t.Errorf("%s: match %+v", c.name, mt)
		}
		if _, ok := mt.Fields["threat.indicator.confidence"].(int64); !ok {
			t.Errorf("%s: threat.indicator.confidence is %T, want int64", c.name, mt.Fields["threat.indicator.confidence"])
		}
		if _, ok := e.ECS[c.enriched]; !ok || e.ECS["threat.indicator.provider"] != "feed1" || e.ECS["threat.indicator.marking.tlp"] != "AMBER" {
			t.Errorf("%s: event not enriched with %s: %v", c.name, c.enriched, e.ECS)
		}
	}
	if got := m.Detect(&event.Event{Tenant: "acme", ECS: event.Fields{"destination.ip": "203.0.113.7"}}, nil); len(got) != 0 {
		t.Error("another tenant's indicators matched")
	}
	hits := m.TakeHits()
	if hits["default"]["id-ipv4-203.0.113.7"] != 3 {
		t.Errorf("hits %v", hits["default"])
	}
	if len(m.TakeHits()) != 0 {
		t.Error("TakeHits did not reset")
	}
}

func TestSysmonHashes(t *testing.T) {
	m := New(nil)
	m.Replace("default", []intel.IOC{ioc(t, intel.MD5, "44d88612fea8a8f36de82e1278abb02f", 60)})
	e := &event.Event{Tenant: "default", Fields: event.Fields{"Hashes": "SHA1=DA39A3EE5E6B4B0D3255BFEF95601890AFD80709,MD5=44D88612FEA8A8F36DE82E1278ABB02F,IMPHASH=00"}}
	if got := m.Detect(e, nil); len(got) != 1 || got[0].RuleID != "yagura-intel-md5" {
		t.Errorf("Sysmon Hashes: %+v", got)
	}
}

// Address lookups: hosts, networks of every length (the /24 block bitmap
// in front of the tree must cover short prefixes too), misses beside them.
func TestSetAddresses(t *testing.T) {
	var entries []Entry
	for _, v := range []string{"10.0.0.0/8", "172.16.5.0/24", "192.0.2.128/25", "198.51.100.7", "2001:db8::/32", "2001:db8:1::5"} {
		tp, cv, err := intel.Canonical(intel.Guess(v), v)
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, Entry{ID: v, Type: tp, Value: cv})
	}
	s := build(entries)
	for addr, want := range map[string]string{
		"10.0.0.1": "10.0.0.0/8", "10.255.255.254": "10.0.0.0/8", "11.0.0.1": "",
		"172.16.5.9": "172.16.5.0/24", "172.16.4.9": "", "192.0.2.200": "192.0.2.128/25", "192.0.2.100": "",
		"198.51.100.7": "198.51.100.7", "198.51.100.8": "", "2001:db8:1::5": "2001:db8:1::5",
		"2001:db8:ffff::1": "2001:db8::/32", "2001:db9::1": "",
	} {
		e := s.ip(netip.MustParseAddr(addr))
		got := ""
		if e != nil {
			got = e.ID
		}
		if got != want {
			t.Errorf("ip(%s) = %q, want %q", addr, got, want)
		}
	}
	if build(nil).ip(netip.MustParseAddr("10.0.0.1")) != nil {
		t.Error("empty set matched")
	}
}

// Updates: adds and removals through the delta, then through compaction,
// give the same answers as a fresh Replace.
func TestApply(t *testing.T) {
	m := New(nil)
	m.SetClock(func() time.Time { return t0 })
	var base []intel.IOC
	for k := 0; k < 100; k++ {
		base = append(base, ioc(t, intel.IPv4, fmt.Sprintf("203.0.113.%d", k), 50))
	}
	m.Replace("default", base)
	hit := func(ip string) bool {
		return len(m.Detect(ev(event.Fields{"destination.ip": ip}), nil)) > 0
	}
	if !hit("203.0.113.5") || hit("198.51.100.1") {
		t.Fatal("base set wrong")
	}
	revoked := base[5]
	revoked.Revoked = true
	m.Apply("default", []intel.IOC{revoked, ioc(t, intel.IPv4, "198.51.100.1", 50), ioc(t, intel.Domain, "new.example", 50)})
	if hit("203.0.113.5") || !hit("198.51.100.1") || !hit("203.0.113.6") {
		t.Error("delta update wrong")
	}
	if m.Len("default") != 101 {
		t.Errorf("Len = %d, want 101", m.Len("default"))
	}
	// Enough changes to force compaction into a new base.
	var many []intel.IOC
	for k := 0; k < 5000; k++ {
		many = append(many, ioc(t, intel.Domain, fmt.Sprintf("d%d.example", k), 50))
	}
	m.Apply("default", many)
	v := (*m.views.Load())["default"]
	if len(v.pending) != 0 || len(v.base.entries) != 5101 {
		t.Errorf("after compaction: %d pending, %d in base", len(v.pending), len(v.base.entries))
	}
	if hit("203.0.113.5") || !hit("198.51.100.1") {
		t.Error("compaction lost an update")
	}
	if e, ok := m.Lookup("default", intel.Domain, "x.d4999.example"); !ok || e.Value != "d4999.example" {
		t.Errorf("Lookup parent domain: %+v %v", e, ok)
	}
	if _, ok := m.Lookup("default", intel.IPv4, "203.0.113.5"); ok {
		t.Error("Lookup found a revoked indicator")
	}
}

// Readers run while a writer applies updates; run with -race.
func TestConcurrentReadsDuringUpdates(t *testing.T) {
	m := New(nil)
	m.Replace("default", []intel.IOC{ioc(t, intel.IPv4, "203.0.113.1", 50)})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for g := 0; g < 2; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out []detect.Match
			for {
				select {
				case <-stop:
					return
				default:
				}
				out = m.Detect(ev(event.Fields{"destination.ip": "203.0.113.1"}), out[:0])
				if len(out) != 1 {
					t.Error("a reader missed an indicator that was never removed")
					return
				}
			}
		}()
	}
	for k := 0; k < 200; k++ {
		m.Apply("default", []intel.IOC{ioc(t, intel.IPv4, fmt.Sprintf("198.51.100.%d", k%250), 50)})
	}
	close(stop)
	wg.Wait()
}

// A first bulk load into an empty set is built directly; a later report
// of the same indicator in the load wins, and a load that withdraws one
// of its own indicators takes the general path and withdraws it.
func TestApplyFirstBulkLoad(t *testing.T) {
	for _, withdraw := range []bool{false, true} {
		m := New(nil)
		m.SetClock(func() time.Time { return t0 })
		var load []intel.IOC
		for k := 0; k < 5000; k++ {
			load = append(load, ioc(t, intel.IPv4, fmt.Sprintf("198.18.%d.%d", k/250, 1+k%250), 50))
		}
		again := ioc(t, intel.IPv4, "198.18.0.1", 95)
		if withdraw {
			again.Revoked = true
		}
		load = append(load, again)
		m.Apply("default", load)
		e, ok := m.Lookup("default", intel.IPv4, "198.18.0.1")
		switch {
		case withdraw && ok:
			t.Error("an indicator withdrawn later in the same load is still matched")
		case !withdraw && (!ok || e.Confidence != 95):
			t.Errorf("the later report must win: %+v %v", e, ok)
		}
		if _, ok := m.Lookup("default", intel.IPv4, "198.18.19.250"); !ok {
			t.Error("bulk load lost an indicator")
		}
	}
}
