package export

import (
	"fmt"
	"io"
	"slices"
	"strconv"
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

// suricataRun is the rules of consecutive domains: their ids before
// probing (the name hashes, kept so a reused run is not hashed again),
// their ids, and their text.
type suricataRun struct {
	domains []string
	hashes  []uint32 // dns, sni per domain: the name hash modulo the range
	sids    []uint32 // dns, sni per domain: after probing past used ids
	text    []byte
}

// runBoundary reports whether an entry (by a hash of it) starts a new
// run: one in 256, chosen by the entry so that a change moves no run
// boundary but its own.
func runBoundary(h uint32) bool { return (h*0x9E3779B1)>>24 == 0 }

func fnvHash(prefix, key string) uint32 {
	h := uint32(fnvOffset)
	for i := 0; i < len(prefix); i++ {
		h = (h ^ uint32(prefix[i])) * fnvPrime
	}
	for i := 0; i < len(key); i++ {
		h = (h ^ uint32(key[i])) * fnvPrime
	}
	return h
}

// Suricata writes alert rules: IP rules in batches for traffic to and from
// listed addresses, and per domain a DNS query rule and a TLS SNI rule that
// match the domain and its subdomains.
func Suricata(w io.Writer, l List) error {
	bw := newWriter(w)
	fmt.Fprintf(bw, "# Yagura threat-intelligence rules, tenant %s, serial %d\n", l.Tenant, l.Serial)
	// One bit per id of the range (5 MB): a million rules ask for a
	// million ids, which a map would hold at many times the size. Ids are
	// handed out in document order; a taken id moves to the next free one.
	used := make([]uint64, (suricataSIDRange+63)/64)
	take := func(h uint32) uint32 {
		n := h % suricataSIDRange
		for used[n/64]&(1<<(n%64)) != 0 {
			n = (n + 1) % suricataSIDRange
		}
		used[n/64] |= 1 << (n % 64)
		return suricataSIDBase + n
	}
	bl := l.blocklist()
	n4 := len(bl.V4)
	var line []byte
	for start, batch := 0, 1; start < n4+len(bl.V6); start, batch = start+suricataIPBatch, batch+1 {
		end := min(start+suricataIPBatch, n4+len(bl.V6))
		list := append(line[:0], '[')
		for k := start; k < end; k++ {
			if k > start {
				list = append(list, ',')
			}
			if k < n4 {
				list = appendPrefix(list, bl.V4[k])
			} else {
				list = appendPrefix(list, bl.V6[k-n4])
			}
		}
		list = append(list, ']')
		nb := strconv.Itoa(batch)
		for _, r := range [2]struct{ key, what string }{{"ip-out-", "to"}, {"ip-in-", "from"}} {
			bw.WriteString("alert ip ")
			if r.key == "ip-out-" {
				bw.WriteString("$HOME_NET any -> ")
				bw.Write(list)
				bw.WriteString(" any")
			} else {
				bw.Write(list)
				bw.WriteString(" any -> $HOME_NET any")
			}
			bw.WriteString(" (msg:\"YAGURA intel traffic " + r.what + " listed address (batch " + nb +
				")\"; classtype:trojan-activity; sid:" + strconv.FormatUint(uint64(take(fnvHash(r.key, nb))), 10) +
				"; rev:1; metadata:created_by yagura;)\n")
		}
		line = list
	}

	memo := l.memo()
	memo.mu.Lock()
	defer memo.mu.Unlock()
	runs := make(map[string]*suricataRun, len(memo.suricata))
	for k := 0; k < len(bl.Domains); {
		// The memo's run from here, if the list still holds its domains.
		r := memo.suricata[bl.Domains[k]]
		if r != nil && !(k+len(r.domains) <= len(bl.Domains) && slices.Equal(r.domains, bl.Domains[k:k+len(r.domains)])) {
			r = nil
		}
		if r == nil {
			r = &suricataRun{}
			for _, d := range bl.Domains[k:] {
				h := fnvHash("dns-", d)
				if len(r.domains) > 0 && runBoundary(h) {
					break
				}
				r.domains = append(r.domains, d)
				r.hashes = append(r.hashes, h, fnvHash("sni-", d))
			}
		}
		sids := make([]uint32, len(r.hashes))
		for j, h := range r.hashes {
			sids[j] = take(h)
		}
		if r.text == nil || !slices.Equal(sids, r.sids) {
			r = &suricataRun{domains: r.domains, hashes: r.hashes, sids: sids, text: appendDomainRules(nil, r.domains, sids)}
		}
		runs[r.domains[0]] = r
		if err := writeRun(w, bw, r.text); err != nil {
			return err
		}
		k += len(r.domains)
	}
	memo.suricata = runs
	return bw.Flush()
}

// appendDomainRules appends the DNS and TLS rules of each domain.
func appendDomainRules(b []byte, domains []string, sids []uint32) []byte {
	size := 0
	for _, d := range domains {
		size += 4*len(d) + 400 // two rules of some 200 bytes, the name twice in each
	}
	b = slices.Grow(b, size)
	for k, d := range domains {
		for j, r := range [2]struct{ proto, what, buffer string }{
			{"dns", "DNS query for ", "dns.query"}, {"tls", "TLS SNI ", "tls.sni"},
		} {
			b = append(b, "alert "...)
			b = append(b, r.proto...)
			b = append(b, " $HOME_NET any -> any any (msg:\"YAGURA intel "...)
			b = append(b, r.what...)
			b = append(b, d...)
			b = append(b, "\"; "...)
			b = append(b, r.buffer...)
			b = append(b, "; dotprefix; content:\"."...)
			b = append(b, d...)
			b = append(b, "\"; endswith; nocase; classtype:trojan-activity; sid:"...)
			b = strconv.AppendUint(b, uint64(sids[2*k+j]), 10)
			b = append(b, "; rev:1; metadata:created_by yagura;)\n"...)
		}
	}
	return b
}
