package export

import (
	"fmt"
	"hash/fnv"
	"io"
	"net/netip"
	"strings"

	"github.com/yagura-soc/yagura/internal/intel"
)

// Suricata rule ids: Yagura takes 2,100,000,000 – 2,139,999,999, far from
// the ET Open (2,000,000 – 2,999,999) and local (1,000,000 – 1,999,999)
// ranges. A domain's id is derived from its name, so it stays the same
// from one export to the next.
const (
	suricataSIDBase  = 2_100_000_000
	suricataSIDRange = 40_000_000
	suricataIPBatch  = 500 // addresses per IP rule
)

// Suricata writes alert rules: IP rules in batches for traffic to and from
// listed addresses, and per domain a DNS query rule and a TLS SNI rule that
// match the domain and its subdomains.
func Suricata(w io.Writer, l List) error {
	bw := newWriter(w)
	fmt.Fprintf(bw, "# Yagura threat-intelligence rules, tenant %s, serial %d\n", l.Tenant, l.Serial)
	used := map[uint32]bool{}
	sid := func(key string) uint32 {
		h := fnv.New32a()
		h.Write([]byte(key))
		n := h.Sum32() % suricataSIDRange
		for used[n] {
			n = (n + 1) % suricataSIDRange
		}
		used[n] = true
		return suricataSIDBase + n
	}
	var all []netip.Prefix
	all = append(all, networks(l, false)...)
	all = append(all, networks(l, true)...)
	for start := 0; start < len(all); start += suricataIPBatch {
		batch := all[start:min(start+suricataIPBatch, len(all))]
		parts := make([]string, len(batch))
		for k, p := range batch {
			parts[k] = prefixString(p)
		}
		list := "[" + strings.Join(parts, ",") + "]"
		n := start/suricataIPBatch + 1
		fmt.Fprintf(bw, "alert ip $HOME_NET any -> %s any (msg:\"YAGURA intel traffic to listed address (batch %d)\"; "+
			"classtype:trojan-activity; sid:%d; rev:1; metadata:created_by yagura;)\n", list, n, sid(fmt.Sprintf("ip-out-%d", n)))
		fmt.Fprintf(bw, "alert ip %s any -> $HOME_NET any (msg:\"YAGURA intel traffic from listed address (batch %d)\"; "+
			"classtype:trojan-activity; sid:%d; rev:1; metadata:created_by yagura;)\n", list, n, sid(fmt.Sprintf("ip-in-%d", n)))
	}
	for _, d := range values(l, intel.Domain) {
		fmt.Fprintf(bw, "alert dns $HOME_NET any -> any any (msg:\"YAGURA intel DNS query for %s\"; dns.query; dotprefix; "+
			"content:\".%s\"; endswith; nocase; classtype:trojan-activity; sid:%d; rev:1; metadata:created_by yagura;)\n",
			d, d, sid("dns-"+d))
		fmt.Fprintf(bw, "alert tls $HOME_NET any -> any any (msg:\"YAGURA intel TLS SNI %s\"; tls.sni; dotprefix; "+
			"content:\".%s\"; endswith; nocase; classtype:trojan-activity; sid:%d; rev:1; metadata:created_by yagura;)\n",
			d, d, sid("sni-"+d))
	}
	return bw.Flush()
}
