package match

import (
	"math/bits"
	"net/netip"
)

// radix is a path-compressed binary trie over 128-bit keys: IPv6 as is,
// IPv4 mapped into ::ffff:0:0/96, so one tree serves both families.
// Lookup returns the longest stored prefix containing an address in at
// most one step per stored prefix length on the path, O(log n) for random
// keys and never more than 129 steps. Nodes live in one slice (32 bytes
// each, no pointers) so a million prefixes cost little for the garbage
// collector.
type radix struct {
	nodes []rnode
}

type rnode struct {
	hi, lo uint64   // prefix bits, masked to plen
	plen   uint8    // prefix length 0..128
	child  [2]int32 // 0: none (node 0 is the root and never a child)
	val    int32    // entry index + 1; 0: none
}

func newRadix(capacity int) *radix {
	r := &radix{nodes: make([]rnode, 1, 1+2*capacity)}
	return r
}

func key(p netip.Prefix) (hi, lo uint64, plen uint8) {
	a := p.Addr()
	n := p.Bits()
	if a.Is4() {
		a = netip.AddrFrom16(a.As16())
		n += 96
	}
	b := a.As16()
	hi = uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 | uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
	lo = uint64(b[8])<<56 | uint64(b[9])<<48 | uint64(b[10])<<40 | uint64(b[11])<<32 | uint64(b[12])<<24 | uint64(b[13])<<16 | uint64(b[14])<<8 | uint64(b[15])
	hi, lo = mask(hi, lo, uint8(n))
	return hi, lo, uint8(n)
}

func mask(hi, lo uint64, n uint8) (uint64, uint64) {
	switch {
	case n == 0:
		return 0, 0
	case n < 64:
		return hi & ^(^uint64(0) >> n), 0
	case n == 64:
		return hi, 0
	case n < 128:
		return hi, lo & ^(^uint64(0) >> (n - 64))
	}
	return hi, lo
}

func bit(hi, lo uint64, i uint8) int {
	if i < 64 {
		return int(hi>>(63-i)) & 1
	}
	return int(lo>>(127-i)) & 1
}

// common is the length of the common prefix of two keys, at most limit.
func common(h1, l1, h2, l2 uint64, limit uint8) uint8 {
	var n int
	if x := h1 ^ h2; x != 0 {
		n = bits.LeadingZeros64(x)
	} else {
		n = 64 + bits.LeadingZeros64(l1^l2)
	}
	if n > int(limit) {
		return limit
	}
	return uint8(n)
}

// insert stores val (an entry index + 1) under prefix p, replacing what
// was stored under the very same prefix.
func (r *radix) insert(p netip.Prefix, val int32) {
	hi, lo, plen := key(p)
	cur := int32(0)
	for {
		n := &r.nodes[cur]
		if n.plen == plen {
			n.val = val
			return
		}
		b := bit(hi, lo, n.plen)
		c := n.child[b]
		if c == 0 {
			r.nodes = append(r.nodes, rnode{hi: hi, lo: lo, plen: plen, val: val})
			r.nodes[cur].child[b] = int32(len(r.nodes) - 1)
			return
		}
		ch := r.nodes[c]
		cpl := common(hi, lo, ch.hi, ch.lo, min(plen, ch.plen))
		if cpl == ch.plen {
			cur = c
			continue
		}
		if cpl == plen { // the new prefix sits above the child
			nn := rnode{hi: hi, lo: lo, plen: plen, val: val}
			nn.child[bit(ch.hi, ch.lo, plen)] = c
			r.nodes = append(r.nodes, nn)
			r.nodes[cur].child[b] = int32(len(r.nodes) - 1)
			return
		}
		// Split: a value-less node for the common prefix, both below it.
		mh, ml := mask(hi, lo, cpl)
		mid := rnode{hi: mh, lo: ml, plen: cpl}
		r.nodes = append(r.nodes, rnode{hi: hi, lo: lo, plen: plen, val: val})
		leaf := int32(len(r.nodes) - 1)
		mid.child[bit(hi, lo, cpl)] = leaf
		mid.child[bit(ch.hi, ch.lo, cpl)] = c
		r.nodes = append(r.nodes, mid)
		r.nodes[cur].child[b] = int32(len(r.nodes) - 1)
		return
	}
}

// lookup returns the value of the longest prefix containing a, or 0.
func (r *radix) lookup(a netip.Addr) int32 {
	hi, lo, _ := key(netip.PrefixFrom(a, a.BitLen()))
	best := r.nodes[0].val
	cur := int32(0)
	for {
		n := &r.nodes[cur]
		if n.plen == 128 {
			return best
		}
		c := n.child[bit(hi, lo, n.plen)]
		if c == 0 {
			return best
		}
		ch := &r.nodes[c]
		if mh, ml := mask(hi, lo, ch.plen); mh != ch.hi || ml != ch.lo {
			return best
		}
		if ch.val != 0 {
			best = ch.val
		}
		cur = c
	}
}
