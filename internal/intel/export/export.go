// Package export renders a tenant's distributable indicators for the
// devices that block them: external dynamic lists (plain text per type,
// polled by Palo Alto, Fortinet and Check Point firewalls), an nftables
// script, an ipset restore file, Suricata rules and a DNS RPZ zone.
//
// Every exporter has the same shape: a Writer that takes a List (already
// filtered by intel.Policy: to_block, unexpired, above the consumer's
// confidence threshold, on no warning list) and writes one document.
// Output is sorted and deterministic, so a device (or a diff) sees change
// only when the list changes. This package never decides what is
// distributable and never does I/O beyond the writer it is given.
package export

import (
	"bufio"
	"io"
	"net/netip"
	"sort"
	"time"

	"github.com/yagura-soc/yagura/internal/intel"
)

// List is what one export renders.
type List struct {
	Tenant    string
	Serial    int64 // the tenant's change-feed head: grows with every change
	Generated time.Time
	IOCs      []*intel.IOC // shared with the caller's lists: read only
}

// Format is one export format.
type Format struct {
	Name        string
	ContentType string
	Write       func(w io.Writer, l List) error
}

// Formats are the exports by name, as the API serves them.
var Formats = map[string]Format{
	"edl/ip":     {"edl/ip", "text/plain; charset=utf-8", func(w io.Writer, l List) error { return EDL(w, l, "ip") }},
	"edl/domain": {"edl/domain", "text/plain; charset=utf-8", func(w io.Writer, l List) error { return EDL(w, l, "domain") }},
	"edl/url":    {"edl/url", "text/plain; charset=utf-8", func(w io.Writer, l List) error { return EDL(w, l, "url") }},
	"nftables":   {"nftables", "text/plain; charset=utf-8", NFTables},
	"ipset":      {"ipset", "text/plain; charset=utf-8", IPSet},
	"suricata":   {"suricata", "text/plain; charset=utf-8", Suricata},
	"rpz":        {"rpz", "text/dns; charset=utf-8", RPZ},
}

// Names lists the format names, sorted.
func Names() []string {
	out := make([]string, 0, len(Formats))
	for n := range Formats {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// networks returns the address and network indicators of a list as
// prefixes of one family, with every prefix inside another one dropped,
// so that interval sets (nftables, ipset) never see overlaps.
func networks(l List, v6 bool) []netip.Prefix {
	var ps []netip.Prefix
	for _, i := range l.IOCs {
		var p netip.Prefix
		switch i.Type {
		case intel.IPv4, intel.IPv6:
			a, err := netip.ParseAddr(i.Value)
			if err != nil {
				continue
			}
			p = netip.PrefixFrom(a, a.BitLen())
		case intel.CIDR:
			var err error
			if p, err = netip.ParsePrefix(i.Value); err != nil {
				continue
			}
		default:
			continue
		}
		if p.Addr().Is6() == v6 {
			ps = append(ps, p)
		}
	}
	// Sorted by address then shorter prefix first, a covering prefix
	// comes right before everything it covers.
	sort.Slice(ps, func(a, b int) bool {
		if c := ps[a].Addr().Compare(ps[b].Addr()); c != 0 {
			return c < 0
		}
		return ps[a].Bits() < ps[b].Bits()
	})
	out := ps[:0]
	for _, p := range ps {
		if len(out) > 0 && out[len(out)-1].Overlaps(p) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// values returns the sorted, unique values of the given types.
func values(l List, types ...intel.Type) []string {
	want := map[intel.Type]bool{}
	for _, t := range types {
		want[t] = true
	}
	var out []string
	for _, i := range l.IOCs {
		if want[i.Type] {
			out = append(out, i.Value)
		}
	}
	sort.Strings(out)
	n := 0
	for k, v := range out {
		if k == 0 || v != out[n-1] {
			out[n] = v
			n++
		}
	}
	return out[:n]
}

// prefixString writes a host prefix as a bare address.
func prefixString(p netip.Prefix) string {
	if p.IsSingleIP() {
		return p.Addr().String()
	}
	return p.String()
}

func newWriter(w io.Writer) *bufio.Writer { return bufio.NewWriterSize(w, 64<<10) }
