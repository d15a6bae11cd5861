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
	"cmp"
	"io"
	"net/netip"
	"slices"
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
	// Blocklist, when set, is what the blocklist formats write of IOCs,
	// from a caller that keeps its indicators sorted: a render then
	// streams it instead of sorting a million entries first. nil: it is
	// worked out from IOCs.
	Blocklist *Blocklist
	// Memo, when set, is the memo of this consumer's previous render of
	// the format (see Memo); nil renders every line.
	Memo *Memo
}

// Blocklist is what the blocklist formats (EDL, nftables, ipset,
// Suricata, RPZ) write: addresses and networks per family, by address,
// with no network inside another (interval sets refuse overlaps), and
// domains and URLs, sorted and unique.
type Blocklist struct {
	V4, V6        []netip.Prefix
	Domains, URLs []string
}

// ComparePrefix is the order of a Blocklist's networks: by address (IPv4
// first), then shorter prefix first, so a covering network comes right
// before everything it covers.
func ComparePrefix(a, b netip.Prefix) int {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return cmp.Compare(a.Bits(), b.Bits())
}

// AddNet adds an address or network, given in ComparePrefix order, unless
// the network added last covers it.
func (b *Blocklist) AddNet(p netip.Prefix) {
	ps := &b.V4
	if p.Addr().Is6() {
		ps = &b.V6
	}
	if n := len(*ps); n > 0 && (*ps)[n-1].Overlaps(p) {
		return
	}
	*ps = append(*ps, p)
}

func (l List) blocklist() *Blocklist {
	if l.Blocklist != nil {
		return l.Blocklist
	}
	b := &Blocklist{Domains: values(l, intel.Domain), URLs: values(l, intel.URL)}
	for _, p := range networks(l) {
		b.AddNet(p)
	}
	return b
}

// Keeper is a writer that may keep what it is given: a renderer hands
// Keep text it never changes again (a memo's runs), so that a document of
// a hundred megabytes is served from the memo instead of being copied
// into a buffer of its own after every change.
type Keeper interface {
	io.Writer
	Keep(p []byte)
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
// prefixes, in ComparePrefix order.
func networks(l List) []netip.Prefix {
	var ps []netip.Prefix
	for _, i := range l.IOCs {
		switch i.Type {
		case intel.IPv4, intel.IPv6:
			if a, err := netip.ParseAddr(i.Value); err == nil {
				ps = append(ps, netip.PrefixFrom(a, a.BitLen()))
			}
		case intel.CIDR:
			if p, err := netip.ParsePrefix(i.Value); err == nil {
				ps = append(ps, p)
			}
		}
	}
	slices.SortFunc(ps, ComparePrefix)
	return ps
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

// appendPrefix writes a host prefix as a bare address.
func appendPrefix(b []byte, p netip.Prefix) []byte {
	if p.IsSingleIP() {
		return p.Addr().AppendTo(b)
	}
	return p.AppendTo(b)
}

// prefixString is appendPrefix as a string.
func prefixString(p netip.Prefix) string { return string(appendPrefix(nil, p)) }

func newWriter(w io.Writer) *bufio.Writer { return bufio.NewWriterSize(w, 64<<10) }
