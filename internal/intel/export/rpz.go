package export

import (
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
)

// RPZ writes a DNS Response Policy Zone (BIND, Unbound, PowerDNS,
// Knot Resolver): listed domains and their subdomains answer NXDOMAIN
// (CNAME .), and answers that contain a listed address are rewritten the
// same way (rpz-ip triggers). The SOA serial is the change-feed head, so
// secondaries transfer the zone only when it changed. The zone's origin
// is chosen by the resolver's configuration (e.g. rpz.yagura).
func RPZ(w io.Writer, l List) error {
	bw := newWriter(w)
	serial := uint32(l.Serial) // wraps like a DNS serial (RFC 1982)
	if serial == 0 {
		serial = 1
	}
	fmt.Fprintf(bw, "; Yagura threat-intelligence response policy zone, tenant %s\n", l.Tenant)
	fmt.Fprintf(bw, "$TTL 300\n@ IN SOA localhost. hostmaster.localhost. ( %d 3600 600 86400 300 )\n@ IN NS localhost.\n", serial)
	bl := l.blocklist()
	memo := l.memo()
	memo.mu.Lock()
	defer memo.mu.Unlock()
	err := writeRuns(w, bw, &memo.names, bl.Domains, nameHash, func(b []byte, d string) []byte {
		b = append(append(b, d...), " CNAME .\n*."...)
		return append(append(b, d...), " CNAME .\n"...)
	})
	if err != nil {
		return err
	}
	// One memo for both families: a run never spans them.
	nets := map[netip.Prefix]*lineRun[netip.Prefix]{}
	for _, ps := range [][]netip.Prefix{bl.V4, bl.V6} {
		runs := memo.nets
		if err := writeRuns(w, bw, &runs, ps, prefixHash, func(b []byte, p netip.Prefix) []byte {
			return append(appendRPZIP(b, p), ".rpz-ip CNAME .\n"...)
		}); err != nil {
			return err
		}
		for k, r := range runs {
			nets[k] = r
		}
	}
	memo.nets = nets
	return bw.Flush()
}

// appendRPZIP appends the owner name of an IP trigger: the prefix length, then the
// address reversed (IPv4 octets; IPv6 16-bit groups with the longest run
// of zero groups written as "zz").
func appendRPZIP(line []byte, p netip.Prefix) []byte {
	line = strconv.AppendInt(line, int64(p.Bits()), 10)
	if p.Addr().Is4() {
		b := p.Addr().As4()
		for k := 3; k >= 0; k-- {
			line = strconv.AppendUint(append(line, '.'), uint64(b[k]), 10)
		}
		return line
	}
	b := p.Addr().As16()
	groups := make([]string, 8)
	for k := 0; k < 8; k++ {
		groups[k] = strconv.FormatUint(uint64(b[2*k])<<8|uint64(b[2*k+1]), 16)
	}
	// The longest run (at least two) of zero groups becomes "zz".
	bestStart, bestLen := -1, 1
	for k := 0; k < 8; {
		if groups[k] != "0" {
			k++
			continue
		}
		j := k
		for j < 8 && groups[j] == "0" {
			j++
		}
		if j-k > bestLen {
			bestStart, bestLen = k, j-k
		}
		k = j
	}
	if bestStart >= 0 {
		groups = append(append(append([]string(nil), groups[:bestStart]...), "zz"), groups[bestStart+bestLen:]...)
	}
	for i, j := 0, len(groups)-1; i < j; i, j = i+1, j-1 {
		groups[i], groups[j] = groups[j], groups[i]
	}
	return append(append(line, '.'), strings.Join(groups, ".")...)
}
