package sigma

import "strings"

// ahoCorasick finds every occurrence of many literal patterns in one pass
// over the text. It is compiled to a dense automaton over byte classes (only
// the bytes that occur in patterns get their own class), so matching costs
// one table lookup per input byte.
type ahoCorasick struct {
	classes  [256]uint8
	nclasses int
	// delta maps state*nclasses + class to the next state; the next state
	// has outFlag set when patterns end there, so the scan loop needs no
	// second lookup for the common no-output case.
	delta    []int32
	out      [][]int32 // pattern ids ending at each state (fail chain merged)
	patterns []string
	maxLen   int // longest pattern
	// needles, when set, are short strings at least one of which occurs in
	// every text that contains a pattern (in all ASCII case variants when
	// the automaton folds case): a fast substring search rules most texts
	// out before the byte-by-byte scan.
	needles []string
	// foldsASCII is set when every pattern is lower-case ASCII: upper-case
	// ASCII input bytes then share the class of their lower-case letter, so
	// the automaton matches case-insensitively without lower-casing input.
	foldsASCII bool
}

// maxAhoStates bounds automaton size; larger pattern sets fall back to
// plain substring search.
const maxAhoStates = 1 << 18

func newAhoCorasick(patterns []string) (*ahoCorasick, bool) {
	ac := &ahoCorasick{patterns: patterns}
	for _, p := range patterns {
		ac.maxLen = max(ac.maxLen, len(p))
	}
	// Byte classes: class 0 for bytes in no pattern.
	for _, p := range patterns {
		for i := 0; i < len(p); i++ {
			if ac.classes[p[i]] == 0 {
				if ac.nclasses == 254 {
					return nil, false
				}
				ac.nclasses++
				ac.classes[p[i]] = uint8(ac.nclasses)
			}
		}
	}
	ac.foldsASCII = true
	for _, p := range patterns {
		for i := 0; i < len(p); i++ {
			if p[i] >= 0x80 || ('A' <= p[i] && p[i] <= 'Z') {
				ac.foldsASCII = false
			}
		}
	}
	if ac.foldsASCII {
		for b := 'a'; b <= 'z'; b++ {
			ac.classes[b-'a'+'A'] = ac.classes[b]
		}
	}
	ac.nclasses++
	nc := ac.nclasses
	// Trie.
	ac.delta = make([]int32, nc)
	ac.out = [][]int32{nil}
	for id, p := range patterns {
		s := int32(0)
		for i := 0; i < len(p); i++ {
			c := int(ac.classes[p[i]])
			next := ac.delta[int(s)*nc+c]
			if next == 0 {
				if len(ac.out) >= maxAhoStates {
					return nil, false
				}
				next = int32(len(ac.out))
				ac.out = append(ac.out, nil)
				ac.delta = append(ac.delta, make([]int32, nc)...)
				ac.delta[int(s)*nc+c] = next
			}
			s = next
		}
		ac.out[s] = append(ac.out[s], int32(id))
	}
	// Breadth-first: resolve failure links into the dense table.
	fail := make([]int32, len(ac.out))
	queue := make([]int32, 0, len(ac.out))
	for c := 0; c < nc; c++ {
		if next := ac.delta[c]; next != 0 {
			queue = append(queue, next)
		}
	}
	order := []int32{0}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		order = append(order, s)
		if f := fail[s]; len(ac.out[f]) > 0 {
			ac.out[s] = append(append([]int32(nil), ac.out[s]...), ac.out[f]...)
		}
		for c := 0; c < nc; c++ {
			next := ac.delta[int(s)*nc+c]
			if next != 0 {
				fail[next] = ac.delta[int(fail[s])*nc+c]
				queue = append(queue, next)
			} else {
				ac.delta[int(s)*nc+c] = ac.delta[int(fail[s])*nc+c]
			}
		}
	}
	ac.renumber(order)
	ac.needles = coverNeedles(patterns, ac.foldsASCII)
	for i, next := range ac.delta {
		if len(ac.out[next]) > 0 {
			ac.delta[i] = next | outFlag
		}
	}
	return ac, true
}

// renumber lays states out in breadth-first order: the shallow states, where
// a scan spends nearly all its time, then share a few cache lines.
func (ac *ahoCorasick) renumber(order []int32) {
	nc := ac.nclasses
	newID := make([]int32, len(ac.out))
	for i, s := range order {
		newID[s] = int32(i)
	}
	delta := make([]int32, len(ac.delta))
	out := make([][]int32, len(ac.out))
	for _, s := range order {
		ns := int(newID[s])
		out[ns] = ac.out[s]
		for c := 0; c < nc; c++ {
			delta[ns*nc+c] = newID[ac.delta[int(s)*nc+c]]
		}
	}
	ac.delta, ac.out = delta, out
}

const outFlag = -1 << 31

// maxNeedles bounds the prefilter searches per text.
const maxNeedles = 8

// coverNeedles picks a few byte pairs such that every pattern contains one;
// nil when no small cover exists.
func coverNeedles(patterns []string, fold bool) []string {
	uncovered := make(map[int]bool, len(patterns))
	for i, p := range patterns {
		if len(p) < 2 {
			return nil
		}
		uncovered[i] = true
	}
	var chosen []string
	for len(uncovered) > 0 {
		counts := make(map[string]int)
		for i := range uncovered {
			seen := map[string]bool{}
			p := patterns[i]
			for j := 0; j+2 <= len(p); j++ {
				if bg := p[j : j+2]; !seen[bg] {
					seen[bg] = true
					counts[bg]++
				}
			}
		}
		best, bestScore := "", 0
		for bg, n := range counts {
			// Prefer pairs that cover many patterns and have few case
			// variants to search for.
			score := n * 4 / len(caseVariants(bg, fold))
			if score > bestScore || (score == bestScore && bg < best) {
				best, bestScore = bg, score
			}
		}
		chosen = append(chosen, caseVariants(best, fold)...)
		if len(chosen) > maxNeedles {
			return nil
		}
		for i := range uncovered {
			if strings.Contains(patterns[i], best) {
				delete(uncovered, i)
			}
		}
	}
	return chosen
}

func caseVariants(s string, fold bool) []string {
	out := []string{s}
	if !fold {
		return out
	}
	for i := 0; i < len(s); i++ {
		if 'a' <= s[i] && s[i] <= 'z' {
			var grown []string
			for _, v := range out {
				b := []byte(v)
				b[i] -= 'a' - 'A'
				grown = append(grown, string(b))
			}
			out = append(out, grown...)
		}
	}
	return out
}

// mayMatch is the needle prefilter: false means no pattern occurs in text.
func (ac *ahoCorasick) mayMatch(text string) bool {
	if ac.needles == nil {
		return true
	}
	for _, n := range ac.needles {
		if strings.Contains(text, n) {
			return true
		}
	}
	return false
}

// each calls f with the id of every pattern occurring in text (an id may be
// reported more than once); f returns false to stop early.
func (ac *ahoCorasick) each(text string, f func(id int32) bool) {
	if !ac.mayMatch(text) {
		return
	}
	if len(text) >= minTwoLaneText && ac.maxLen <= len(text)/4 {
		ac.eachTwoLanes(text, f)
		return
	}
	ac.scan(text, 0, f)
}

// scan runs the automaton over text from state s.
func (ac *ahoCorasick) scan(text string, s int32, f func(id int32) bool) bool {
	nc := ac.nclasses
	delta, classes := ac.delta, &ac.classes
	for i := 0; i < len(text); i++ {
		s = delta[int(s)*nc+int(classes[text[i]])]
		if s < 0 {
			s &^= outFlag
			for _, id := range ac.out[s] {
				if !f(id) {
					return false
				}
			}
		}
	}
	return true
}

// minTwoLaneText is the text length from which each splits the scan.
const minTwoLaneText = 256

// eachTwoLanes scans the two halves of text in one loop: each step of an
// automaton waits for the previous one, so two independent lanes keep the
// processor busy. The first lane runs maxLen-1 bytes into the second half,
// so a pattern crossing the middle is still found (possibly twice).
func (ac *ahoCorasick) eachTwoLanes(text string, f func(id int32) bool) {
	mid := len(text) / 2
	a := text[:min(len(text), mid+ac.maxLen-1)]
	b := text[mid:]
	nc := ac.nclasses
	delta, classes := ac.delta, &ac.classes
	sa, sb := int32(0), int32(0)
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		sa = delta[int(sa)*nc+int(classes[a[i]])]
		sb = delta[int(sb)*nc+int(classes[b[i]])]
		if sa < 0 {
			sa &^= outFlag
			for _, id := range ac.out[sa] {
				if !f(id) {
					return
				}
			}
		}
		if sb < 0 {
			sb &^= outFlag
			for _, id := range ac.out[sb] {
				if !f(id) {
					return
				}
			}
		}
	}
	if len(a) > n {
		ac.scan(a[n:], sa, f)
	} else {
		ac.scan(b[n:], sb, f)
	}
}

// containsAny reports whether any pattern occurs in text.
func (ac *ahoCorasick) containsAny(text string) bool {
	if !ac.mayMatch(text) {
		return false
	}
	nc := ac.nclasses
	delta, classes := ac.delta, &ac.classes
	s := int32(0)
	for i := 0; i < len(text); i++ {
		s = delta[int(s)*nc+int(classes[text[i]])]
		if s < 0 {
			return true
		}
	}
	return false
}

// multiContains is an OR of many substring patterns, matched with one
// automaton pass.
type multiContains struct {
	ac *ahoCorasick
}

func (m multiContains) matchString(s string) bool { return m.ac.containsAny(s) }
func (m multiContains) cost() int                 { return 8 }

// minAhoPatterns is where one automaton pass beats repeated substring
// searches.
const minAhoPatterns = 6

// mergeContains folds many substring patterns into one automaton.
func mergeContains(pats []strMatcher) []strMatcher {
	var lits []string
	for _, p := range pats {
		if c, ok := p.(containsString); ok && c != "" {
			lits = append(lits, string(c))
		}
	}
	if len(lits) < minAhoPatterns {
		return pats
	}
	ac, ok := newAhoCorasick(lits)
	if !ok {
		return pats
	}
	out := []strMatcher{multiContains{ac}}
	for _, p := range pats {
		if c, ok := p.(containsString); ok && c != "" {
			continue
		}
		out = append(out, p)
	}
	return out
}
