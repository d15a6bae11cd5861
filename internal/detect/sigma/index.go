package sigma

import (
	"regexp/syntax"
	"sort"
	"strings"
	"unicode/utf8"
)

// The rule index avoids evaluating rules that cannot match. For every rule
// it derives a necessary clause: a set of atoms ("field F equals / starts
// with / ends with / contains s") at least one of which is true whenever
// the rule matches. Per event, the atoms of a logsource group are tested
// with hash lookups (one per distinct prefix or suffix length), which marks
// the candidate rules; only those, and rules without a usable clause, are
// evaluated in full. Most SigmaHQ rules have one (Image|endswith, EventID,
// OriginalFileName), so an event touches a few dozen rules instead of
// thousands.

type atomKind uint8

const (
	atomExact atomKind = iota
	atomPrefix
	atomSuffix
	atomContains
)

type atom struct {
	fid  int
	kind atomKind
	s    string
}

func (a atom) score() int {
	switch a.kind {
	case atomExact:
		return 1
	case atomPrefix, atomSuffix:
		return 2
	}
	return 12
}

func clauseScore(cl []atom) int {
	total := 0
	for _, a := range cl {
		total += a.score()
	}
	return total
}

// A clause larger than these (huge hash lists) stays out of the index: its
// atoms would bloat the group's automaton, and such rules are cheaper to
// evaluate directly with their own.
const (
	maxClauseAtoms = 4096
	maxClauseBytes = 16 << 10
)

func clauseTooBig(cl []atom) bool {
	if len(cl) > maxClauseAtoms {
		return true
	}
	n := 0
	for _, a := range cl {
		n += len(a.s)
	}
	return n > maxClauseBytes
}

// necessaryClause returns atoms of which at least one holds whenever m
// matches; ok is false when no such clause can be derived.
func necessaryClause(m matcher) ([]atom, bool) {
	switch x := m.(type) {
	case *fieldMatcher:
		return fieldClause(x)
	case *keywordMatcher:
		return keywordClause(x)
	case andMatcher:
		var best []atom
		found := false
		for _, sub := range x {
			cl, ok := necessaryClause(sub)
			if ok && (!found || clauseScore(cl) < clauseScore(best)) {
				best, found = cl, true
			}
		}
		return best, found
	case orMatcher:
		return unionClauses(x)
	case *atLeastMatcher:
		return unionClauses(x.subs)
	case constMatcher:
		if !bool(x) {
			return nil, true // never matches: never a candidate
		}
	}
	return nil, false
}

func unionClauses(subs []matcher) ([]atom, bool) {
	var out []atom
	for _, sub := range subs {
		cl, ok := necessaryClause(sub)
		if !ok {
			return nil, false
		}
		out = append(out, cl...)
		if clauseTooBig(out) {
			return nil, false
		}
	}
	return out, true
}

// keywordFid stands for "any value of the event" in keyword atoms.
const keywordFid = -1

func keywordClause(m *keywordMatcher) ([]atom, bool) {
	if m.cased {
		return nil, false
	}
	return patternsClause(keywordFid, m.pats, m.all)
}

func fieldClause(m *fieldMatcher) ([]atom, bool) {
	if m.neq || len(m.pats) == 0 {
		return nil, false
	}
	cl, ok := patternsClause(m.fid, m.pats, m.all)
	if ok && m.cased {
		// A case-sensitive hit implies a hit on the lower-cased value.
		for i := range cl {
			cl[i].s = strings.ToLower(cl[i].s)
		}
	}
	return cl, ok
}

func patternsClause(fid int, pats []strMatcher, all bool) ([]atom, bool) {
	if len(pats) == 0 {
		return nil, false
	}
	if all {
		// Every pattern is required: the best single one is a clause.
		var best []atom
		found := false
		for _, p := range pats {
			cl, ok := patternAtoms(fid, p)
			if ok && (!found || clauseScore(cl) < clauseScore(best)) {
				best, found = cl, true
			}
		}
		return best, found
	}
	var out []atom
	for _, p := range pats {
		cl, ok := patternAtoms(fid, p)
		if !ok {
			return nil, false
		}
		out = append(out, cl...)
	}
	if clauseTooBig(out) {
		return nil, false
	}
	return out, true
}

func patternAtoms(fid int, p strMatcher) ([]atom, bool) {
	switch x := p.(type) {
	case exactString:
		return []atom{{fid, atomExact, string(x)}}, true
	case stringSet:
		out := make([]atom, 0, len(x))
		for s := range x {
			out = append(out, atom{fid, atomExact, s})
		}
		sort.Slice(out, func(i, j int) bool { return out[i].s < out[j].s })
		return out, true
	case prefixString:
		return []atom{{fid, atomPrefix, string(x)}}, true
	case suffixString:
		return []atom{{fid, atomSuffix, string(x)}}, true
	case containsString:
		if x == "" {
			return nil, false
		}
		return []atom{{fid, atomContains, string(x)}}, true
	case globString:
		return globAtoms(fid, x.p)
	case multiContains:
		out := make([]atom, len(x.ac.patterns))
		for i, s := range x.ac.patterns {
			out[i] = atom{fid, atomContains, s}
		}
		return out, true
	case regexString:
		lits := requiredLiterals(x.re.String())
		if len(lits) == 0 {
			return nil, false
		}
		out := make([]atom, len(lits))
		for i, s := range lits {
			out[i] = atom{fid, atomContains, strings.ToLower(s)}
		}
		return out, true
	}
	return nil, false
}

// globAtoms derives an atom from a wildcard pattern: its literal head, its
// literal tail, or its longest literal run.
func globAtoms(fid int, p pattern) ([]atom, bool) {
	if len(p) == 0 {
		return nil, false
	}
	if p[0].wild == 0 && p[0].lit != "" {
		return []atom{{fid, atomPrefix, p[0].lit}}, true
	}
	if last := p[len(p)-1]; last.wild == 0 && last.lit != "" {
		return []atom{{fid, atomSuffix, last.lit}}, true
	}
	longest := ""
	for _, s := range p {
		if s.wild == 0 && len(s.lit) > len(longest) {
			longest = s.lit
		}
	}
	if longest == "" {
		return nil, false
	}
	return []atom{{fid, atomContains, longest}}, true
}

// groupIndex is the candidate index of one logsource group.
type groupIndex struct {
	always []bool // per rule: evaluate without a candidate mark
	fields []*fieldIndex
	words  int // bitset words for the group's rules
}

type fieldIndex struct {
	fid        int
	exact      map[string][]int32
	prefix     map[string][]int32
	prefixLens []int
	suffix     map[string][]int32
	suffixLens []int
	contains   []containsAtom
	// Many contains atoms are found in one pass by automata: one for ASCII
	// atoms, one for the others, run only on non-ASCII values, so lists of
	// emoji do not widen the byte classes of the common automaton. Atoms in
	// neither are searched one by one (plain).
	asciiAC, wideAC *atomAutomaton
	plain           []int32
}

// atomAutomaton maps automaton pattern ids back to contains atoms.
type atomAutomaton struct {
	ac    *ahoCorasick
	atoms []int32 // pattern id -> index in fieldIndex.contains
}

func newAtomAutomaton(fi *fieldIndex, ids []int32) *atomAutomaton {
	if len(ids) < minAhoPatterns {
		return nil
	}
	lits := make([]string, len(ids))
	for i, id := range ids {
		lits[i] = fi.contains[id].s
	}
	ac, ok := newAhoCorasick(lits)
	if !ok {
		return nil
	}
	return &atomAutomaton{ac: ac, atoms: ids}
}

// markIn marks the rules of every atom of aa found in v.
func (aa *atomAutomaton) markIn(fi *fieldIndex, v string, bits []uint64) {
	aa.ac.each(v, func(id int32) bool {
		for _, r := range fi.contains[aa.atoms[id]].rules {
			bits[r>>6] |= 1 << (uint(r) & 63)
		}
		return true
	})
}

type containsAtom struct {
	s     string
	rules []int32
}

func buildGroupIndex(rules []*compiledRule) *groupIndex {
	gi := &groupIndex{always: make([]bool, len(rules)), words: (len(rules) + 63) / 64}
	byFid := make(map[int]*fieldIndex)
	containsPos := make(map[atom]int)
	fieldFor := func(fid int) *fieldIndex {
		fi := byFid[fid]
		if fi == nil {
			fi = &fieldIndex{fid: fid, exact: map[string][]int32{}, prefix: map[string][]int32{}, suffix: map[string][]int32{}}
			byFid[fid] = fi
			gi.fields = append(gi.fields, fi)
		}
		return fi
	}
	for i, r := range rules {
		cl, ok := necessaryClause(r.cond)
		if !ok {
			gi.always[i] = true
			continue
		}
		idx := int32(i)
		for _, a := range cl {
			fi := fieldFor(a.fid)
			switch a.kind {
			case atomExact:
				fi.exact[a.s] = appendRule(fi.exact[a.s], idx)
			case atomPrefix:
				fi.prefix[a.s] = appendRule(fi.prefix[a.s], idx)
			case atomSuffix:
				fi.suffix[a.s] = appendRule(fi.suffix[a.s], idx)
			case atomContains:
				pos, seen := containsPos[a]
				if !seen {
					pos = len(fi.contains)
					containsPos[a] = pos
					fi.contains = append(fi.contains, containsAtom{s: a.s})
				}
				fi.contains[pos].rules = appendRule(fi.contains[pos].rules, idx)
			}
		}
	}
	for _, fi := range gi.fields {
		fi.prefixLens = keyLengths(fi.prefix)
		fi.suffixLens = keyLengths(fi.suffix)
		var ascii, wide []int32
		for i, ca := range fi.contains {
			if isASCII(ca.s) {
				ascii = append(ascii, int32(i))
			} else {
				wide = append(wide, int32(i))
			}
		}
		fi.asciiAC = newAtomAutomaton(fi, ascii)
		fi.wideAC = newAtomAutomaton(fi, wide)
		if fi.asciiAC == nil {
			fi.plain = append(fi.plain, ascii...)
		}
		if fi.wideAC == nil {
			fi.plain = append(fi.plain, wide...)
		}
	}
	sort.Slice(gi.fields, func(i, j int) bool { return gi.fields[i].fid < gi.fields[j].fid })
	return gi
}

func appendRule(list []int32, idx int32) []int32 {
	if n := len(list); n > 0 && list[n-1] == idx {
		return list
	}
	return append(list, idx)
}

func keyLengths(m map[string][]int32) []int {
	seen := map[int]bool{}
	var out []int
	for k := range m {
		if !seen[len(k)] {
			seen[len(k)] = true
			out = append(out, len(k))
		}
	}
	sort.Ints(out)
	return out
}

// mark sets the candidate bit of every rule with a true atom.
func (gi *groupIndex) mark(c *evalCtx, bits []uint64) {
	set := func(rules []int32) {
		for _, r := range rules {
			bits[r>>6] |= 1 << (uint(r) & 63)
		}
	}
	for _, fi := range gi.fields {
		var vals []string
		if fi.fid == keywordFid {
			if fi.asciiAC != nil && fi.asciiAC.ac.foldsASCII && fi.wideAC == nil && len(fi.plain)+len(fi.exact)+len(fi.prefix)+len(fi.suffix) == 0 {
				// The automaton folds case itself: scan the values as
				// written instead of lower-casing the raw text first.
				for _, v := range c.keywordValues() {
					fi.asciiAC.markIn(fi, v, bits)
				}
				continue
			}
			vals = c.keywordValuesLower()
		} else {
			fv := c.field(fi.fid)
			if !fv.present || fv.null {
				continue
			}
			vals = fv.lower
		}
		for _, v := range vals {
			if rs, ok := fi.exact[v]; ok {
				set(rs)
			}
			for _, l := range fi.prefixLens {
				if l > len(v) {
					break
				}
				if rs, ok := fi.prefix[v[:l]]; ok {
					set(rs)
				}
			}
			for _, l := range fi.suffixLens {
				if l > len(v) {
					break
				}
				if rs, ok := fi.suffix[v[len(v)-l:]]; ok {
					set(rs)
				}
			}
			if fi.asciiAC != nil {
				fi.asciiAC.markIn(fi, v, bits)
			}
			if fi.wideAC != nil && !isASCII(v) {
				fi.wideAC.markIn(fi, v, bits)
			}
			for _, id := range fi.plain {
				if ca := &fi.contains[id]; strings.Contains(v, ca.s) {
					set(ca.rules)
				}
			}
		}
	}
}

// requiredLiterals returns literals one of which occurs in every string the
// regular expression matches, or nil when none can be derived.
func requiredLiterals(expr string) []string {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	lits := regexpLiterals(re.Simplify())
	for _, l := range lits {
		if l == "" {
			return nil
		}
	}
	return lits
}

func regexpLiterals(re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			for _, r := range re.Rune {
				if r >= utf8.RuneSelf {
					return nil // case folding beyond ASCII changes lengths
				}
			}
		}
		return []string{string(re.Rune)}
	case syntax.OpCapture, syntax.OpPlus:
		return regexpLiterals(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return regexpLiterals(re.Sub[0])
		}
	case syntax.OpConcat:
		var best []string
		for _, sub := range re.Sub {
			lits := regexpLiterals(sub)
			if lits != nil && (best == nil || minLen(lits) > minLen(best)) {
				best = lits
			}
		}
		return best
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			lits := regexpLiterals(sub)
			if lits == nil {
				return nil
			}
			out = append(out, lits...)
		}
		return out
	}
	return nil
}

func minLen(ss []string) int {
	n := -1
	for _, s := range ss {
		if n < 0 || len(s) < n {
			n = len(s)
		}
	}
	return n
}

// isASCII reports whether s has only ASCII bytes, eight at a time.
func isASCII(s string) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		if load64(s, i)&highBits != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
