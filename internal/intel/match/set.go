package match

import (
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

func (e Entry) key() string { return string(e.Type) + "\x00" + e.Value }

// set is an immutable index over entries: a radix tree for addresses and
// networks, a map per domain (looked up for the name and each parent), a
// hash map per other type. It is built once and never changed, so any
// number of goroutines read it without locks.
type set struct {
	entries []Entry
	nets    *radix
	domains map[string]int32
	exact   map[intel.Type]map[string]int32
}

func build(entries []Entry) *set {
	s := &set{entries: entries, domains: map[string]int32{}, exact: map[intel.Type]map[string]int32{}}
	nNets := 0
	for _, e := range entries {
		if e.Type.IsNetwork() {
			nNets++
		}
	}
	s.nets = newRadix(nNets)
	for k, e := range entries {
		v := int32(k + 1)
		switch e.Type {
		case intel.IPv4, intel.IPv6:
			a, err := netip.ParseAddr(e.Value)
			if err == nil {
				s.nets.insert(netip.PrefixFrom(a, a.BitLen()), v)
			}
		case intel.CIDR:
			p, err := netip.ParsePrefix(e.Value)
			if err == nil {
				s.nets.insert(p, v)
			}
		case intel.Domain:
			s.domains[e.Value] = v
		default:
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

func (s *set) ip(a netip.Addr) *Entry { return s.entry(s.nets.lookup(a)) }

// domain looks the name up, then each parent: a.b.evil.example checks
// a.b.evil.example, b.evil.example, evil.example (single labels are never
// indicators).
func (s *set) domain(name string) *Entry {
	if len(s.domains) == 0 {
		return nil
	}
	for {
		if v, ok := s.domains[name]; ok {
			return s.entry(v)
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
	return s.entry(m[v])
}
