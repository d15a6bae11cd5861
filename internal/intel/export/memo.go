package export

import (
	"bufio"
	"io"
	"net/netip"
	"slices"
	"sync"
)

// Memo keeps the text of a consumer's last render of one format in runs
// of a few hundred entries (Suricata's domain rules, the RPZ zone's
// domain and address lines), so that the render after a few changes
// copies the runs nothing touched instead of writing a million lines
// anew. A run is reused only when its entries (and, for Suricata, their
// rule ids) are the ones the new render has, so the output is byte for
// byte what a render without the memo writes. It holds what the last
// render wrote (the size of one document) and nothing older. The zero
// value is ready; renders that share a memo take turns.
type Memo struct {
	mu       sync.Mutex
	suricata map[string]*suricataRun // by first domain
	names    map[string]*lineRun[string]
	nets     map[netip.Prefix]*lineRun[netip.Prefix]
}

// memo is the list's memo; a list without one gets a memo of its own
// for this render.
func (l List) memo() *Memo {
	if l.Memo == nil {
		return &Memo{}
	}
	return l.Memo
}

// lineRun is the lines of consecutive entries.
type lineRun[K comparable] struct {
	keys []K
	text []byte
}

// writeRuns writes the lines of keys, from the runs of the last render
// where they still hold, and keeps the runs of this one in *runs.
func writeRuns[K comparable](w io.Writer, bw *bufio.Writer, runs *map[K]*lineRun[K], keys []K,
	hash func(K) uint32, line func([]byte, K) []byte) error {
	next := make(map[K]*lineRun[K], len(*runs))
	for k := 0; k < len(keys); {
		r := (*runs)[keys[k]]
		if r == nil || k+len(r.keys) > len(keys) || !slices.Equal(r.keys, keys[k:k+len(r.keys)]) {
			j := k + 1
			for j < len(keys) && !runBoundary(hash(keys[j])) {
				j++
			}
			// A copy: the run must not keep this render's list alive.
			r = &lineRun[K]{keys: slices.Clone(keys[k:j])}
			for _, key := range r.keys {
				r.text = line(r.text, key)
			}
		}
		next[keys[k]] = r
		if err := writeRun(w, bw, r.text); err != nil {
			return err
		}
		k += len(r.keys)
	}
	*runs = next
	return nil
}

// writeRun writes a run's text: handed to w when w keeps what it is
// given (after what bw holds), else through bw.
func writeRun(w io.Writer, bw *bufio.Writer, text []byte) error {
	kw, ok := w.(Keeper)
	if !ok {
		_, err := bw.Write(text)
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	kw.Keep(text)
	return nil
}

// prefixHash is a hash of a network, for run boundaries.
func prefixHash(p netip.Prefix) uint32 {
	h := uint32(fnvOffset)
	for _, b := range p.Addr().As16() {
		h = (h ^ uint32(b)) * fnvPrime
	}
	return (h ^ uint32(p.Bits())) * fnvPrime
}

// nameHash is a hash of a name, for run boundaries.
func nameHash(s string) uint32 { return fnvHash("", s) }
