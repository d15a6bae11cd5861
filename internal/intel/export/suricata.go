package export

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Suricata rule ids: Yagura takes 2,100,000,000 – 2,139,999,999, far from
// the ET Open (2,000,000 – 2,999,999) and local (1,000,000 – 1,999,999)
// ranges. A domain's id is derived from its name, so it stays the same
// from one export to the next.
const (
	suricataSIDBase  = 2_100_000_000
	suricataSIDRange = 40_000_000
	suricataIPBatch  = 500 // addresses per IP rule

	// FNV-1a, 32 bits: the rule ids of earlier exports were made with it.
	fnvOffset = 2166136261
	fnvPrime  = 16777619
)

// Suricata writes alert rules: IP rules in batches for traffic to and from
// listed addresses, and per domain a DNS query rule and a TLS SNI rule that
// match the domain and its subdomains.
func Suricata(w io.Writer, l List) error {
	bw := newWriter(w)
	fmt.Fprintf(bw, "# Yagura threat-intelligence rules, tenant %s, serial %d\n", l.Tenant, l.Serial)
	// One bit per id of the range (5 MB): a million rules ask for a
	// million ids, which a map would hold at many times the size.
	used := make([]uint64, (suricataSIDRange+63)/64)
	sid := func(prefix, key string) uint32 {
		h := uint32(fnvOffset)
		for _, s := range [2]string{prefix, key} {
			for i := 0; i < len(s); i++ {
				h = (h ^ uint32(s[i])) * fnvPrime
			}
		}
		n := h % suricataSIDRange
		for used[n/64]&(1<<(n%64)) != 0 {
			n = (n + 1) % suricataSIDRange
		}
		used[n/64] |= 1 << (n % 64)
		return suricataSIDBase + n
	}
	bl := l.blocklist()
	all := append(slices.Clip(bl.V4), bl.V6...)
	for start := 0; start < len(all); start += suricataIPBatch {
		batch := all[start:min(start+suricataIPBatch, len(all))]
		parts := make([]string, len(batch))
		for k, p := range batch {
			parts[k] = prefixString(p)
		}
		list := "[" + strings.Join(parts, ",") + "]"
		n := start/suricataIPBatch + 1
		fmt.Fprintf(bw, "alert ip $HOME_NET any -> %s any (msg:\"YAGURA intel traffic to listed address (batch %d)\"; "+
			"classtype:trojan-activity; sid:%d; rev:1; metadata:created_by yagura;)\n", list, n, sid("ip-out-", strconv.Itoa(n)))
		fmt.Fprintf(bw, "alert ip %s any -> $HOME_NET any (msg:\"YAGURA intel traffic from listed address (batch %d)\"; "+
			"classtype:trojan-activity; sid:%d; rev:1; metadata:created_by yagura;)\n", list, n, sid("ip-in-", strconv.Itoa(n)))
	}
	var line []byte
	for _, d := range bl.Domains {
		for _, r := range [2]struct{ proto, what, buffer, key string }{
			{"dns", "DNS query for ", "dns.query", "dns-"}, {"tls", "TLS SNI ", "tls.sni", "sni-"},
		} {
			line = append(line[:0], "alert "+r.proto+" $HOME_NET any -> any any (msg:\"YAGURA intel "+r.what...)
			line = append(append(line, d...), "\"; "+r.buffer+"; dotprefix; content:\"."...)
			line = append(append(line, d...), "\"; endswith; nocase; classtype:trojan-activity; sid:"...)
			line = strconv.AppendUint(line, uint64(sid(r.key, d)), 10)
			bw.Write(append(line, "; rev:1; metadata:created_by yagura;)\n"...))
		}
	}
	return bw.Flush()
}
