package match

import (
	"hash/maphash"
	"net/netip"
	"strings"
	"time"

	"github.com/yagura-soc/yagura/internal/intel"
)

// Entry is what the matcher keeps of one indicator: enough to enrich an
// event and name the alert, nothing more.
type Entry struct {
	ID         string
	Type       intel.Type
	Value      string
	Confidence int
	TLP        string
	Source     string
	Tags       []string
	FirstSeen  time.Time
	LastSeen   time.Time
	Expires    time.Time // zero: never
	removed    bool      // a tombstone in a delta set
}

// EntryOf takes an indicator's matcher view.
func EntryOf(i intel.IOC) Entry {
	e := Entry{ID: i.ID, Type: i.Type, Value: i.Value, Confidence: i.Confidence, TLP: i.TLP, Source: i.Source(),
		Tags: i.Tags, FirstSeen: i.FirstSeen, LastSeen: i.LastSeen}
	if i.Expires != nil {
		e.Expires = *i.Expires
	}
	return e
}

// entryKey identifies an indicator; a struct, not a joined string, so
// that making one allocates nothing.
type entryKey struct {
	t intel.Type
	v string
}

func (e *Entry) key() entryKey { return entryKey{e.Type, e.Value} }

// set is an immutable index over entries: a hash map for single
// addresses, a radix tree for networks, a map per domain (looked up for
// the name and each parent), a hash map per other type. It is built once
// and never changed, so any number of goroutines read it without locks.
//
// Single addresses stay out of the radix tree on purpose: a host address
// is the longest possible prefix, so one hash probe answers it, where a
// walk down a tree of a million prefixes costs some twenty dependent
// memory loads. The tree then holds only networks and stays small.
type set struct {
	entries []Entry
	hosts   map[[16]byte]int32
	nets    *radix
	// v4blocks has one bit per IPv4 /24 block that some listed IPv4
	// network touches; nil when there is none. Most addresses are in no
	// listed network, and one bit answers that without a tree walk.
	v4blocks []uint64
	domains  map[string]int32
	exact    map[intel.Type]map[string]int32
	// quick holds one bit per hashed key of every address, domain and
	// exact value in the set. A clear bit proves a value absent with one
	// probe into 1 MB, which stays in the CPU cache, instead of a probe
	// into maps of a million entries, which does not: most values in
	// events are not indicators.
	quick []uint64
	seed  maphash.Seed
	kinds uint32 // typeBit of every type present
}

// typeBit gives each indicator type one bit, so Detect can skip the
// event fields of types a tenant has no indicators of.
func typeBit(t intel.Type) uint32 {
	for k, x := range intel.Types {
		if x == t {
			return 1 << k
		}
	}
	return 0
}

const quickBits = 1 << 23 // 1 MB; a million keys set about a tenth of it

// quickKey hashes a value of a kind ("" for domains, else the type).
func (s *set) quickKey(kind intel.Type, v string) uint64 {
	var h maphash.Hash
	h.SetSeed(s.seed)
	h.WriteString(string(kind))
	h.WriteByte(0)
	h.WriteString(v)
	return h.Sum64() & (quickBits - 1)
}

func (s *set) quickAddr(a [16]byte) uint64 {
	return maphash.Bytes(s.seed, a[:]) & (quickBits - 1)
}

func (s *set) mark(k uint64) { s.quick[k>>6] |= 1 << (k & 63) }

// maybe reports whether a key may be in the set; false is certain.
func (s *set) maybe(k uint64) bool { return s.quick == nil || s.quick[k>>6]&(1<<(k&63)) != 0 }

func build(entries []Entry) *set {
	s := &set{entries: entries, domains: map[string]int32{}, exact: map[intel.Type]map[string]int32{}}
	nNets, nHosts := 0, 0
	for _, e := range entries {
		switch e.Type {
		case intel.CIDR:
			nNets++
		case intel.IPv4, intel.IPv6:
			nHosts++
		}
	}
	s.nets = newRadix(nNets)
	s.hosts = make(map[[16]byte]int32, nHosts)
	s.seed = maphash.MakeSeed()
	if len(entries) > 0 {
		s.quick = make([]uint64, quickBits/64)
	}
	for k, e := range entries {
		v := int32(k + 1)
		s.kinds |= typeBit(e.Type)
		switch e.Type {
		case intel.IPv4, intel.IPv6:
			a, err := netip.ParseAddr(e.Value)
			if err == nil {
				s.hosts[a.As16()] = v
				s.mark(s.quickAddr(a.As16()))
			}
		case intel.CIDR:
			p, err := netip.ParsePrefix(e.Value)
			if err == nil {
				s.nets.insert(p, v)
				if p.Addr().Is4() {
					s.markV4(p)
				}
			}
		case intel.Domain:
			s.domains[e.Value] = v
			s.mark(s.quickKey("", e.Value))
		default:
			s.mark(s.quickKey(e.Type, e.Value))
			m := s.exact[e.Type]
			if m == nil {
				m = map[string]int32{}
				s.exact[e.Type] = m
			}
			m[e.Value] = v
		}
	}
	return s
}

func (s *set) entry(v int32) *Entry {
	if v == 0 {
		return nil
	}
	return &s.entries[v-1]
}

// markV4 sets the /24 block bits an IPv4 network covers.
func (s *set) markV4(p netip.Prefix) {
	if s.v4blocks == nil {
		s.v4blocks = make([]uint64, (1<<24)/64)
	}
	b := p.Addr().As4()
	first := uint32(b[0])<<16 | uint32(b[1])<<8 | uint32(b[2])
	n := uint32(1)
	if p.Bits() < 24 {
		n = 1 << (24 - p.Bits())
	}
	for k := first; k < first+n; k++ {
		s.v4blocks[k>>6] |= 1 << (k & 63)
	}
}

// ip finds the indicator for an address: the address itself, else the
// longest network containing it.
func (s *set) ip(a netip.Addr) *Entry {
	if len(s.entries) == 0 {
		return nil
	}
	k := a.As16()
	if s.maybe(s.quickAddr(k)) {
		if v, ok := s.hosts[k]; ok {
			return s.entry(v)
		}
	}
	if a.Is4() {
		if s.v4blocks == nil {
			return nil
		}
		b := a.As4()
		k := uint32(b[0])<<16 | uint32(b[1])<<8 | uint32(b[2])
		if s.v4blocks[k>>6]&(1<<(k&63)) == 0 {
			return nil
		}
	}
	if len(s.nets.nodes) == 1 && s.nets.nodes[0].val == 0 {
		return nil
	}
	return s.entry(s.nets.lookup(a))
}

// domain looks the name up, then each parent: a.b.evil.example checks
// a.b.evil.example, b.evil.example, evil.example (single labels are never
// indicators).
func (s *set) domain(name string) *Entry {
	if len(s.domains) == 0 {
		return nil
	}
	for {
		if s.maybe(s.quickKey("", name)) {
			if v, ok := s.domains[name]; ok {
				return s.entry(v)
			}
		}
		i := strings.IndexByte(name, '.')
		if i < 0 || strings.IndexByte(name[i+1:], '.') < 0 {
			return nil
		}
		name = name[i+1:]
	}
}

func (s *set) exactly(t intel.Type, v string) *Entry {
	m := s.exact[t]
	if m == nil {
		return nil
	}
	if !s.maybe(s.quickKey(t, v)) {
		return nil
	}
	return s.entry(m[v])
}
