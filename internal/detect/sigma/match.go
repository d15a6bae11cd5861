package sigma

import (
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// matcher is a compiled boolean node evaluated against one event.
type matcher interface {
	match(c *evalCtx) bool
	// cost estimates evaluation work so cheap operands run first.
	cost() int
}

type andMatcher []matcher

func (m andMatcher) match(c *evalCtx) bool {
	for _, x := range m {
		if !x.match(c) {
			return false
		}
	}
	return true
}

func (m andMatcher) cost() int { return sumCost(m) }

type orMatcher []matcher

func (m orMatcher) match(c *evalCtx) bool {
	for _, x := range m {
		if x.match(c) {
			return true
		}
	}
	return false
}

func (m orMatcher) cost() int { return sumCost(m) }

// atLeastMatcher is "N of x*" for N > 1.
type atLeastMatcher struct {
	n    int
	subs []matcher
}

func (m *atLeastMatcher) match(c *evalCtx) bool {
	hits := 0
	for i, x := range m.subs {
		if len(m.subs)-i < m.n-hits {
			return false
		}
		if x.match(c) {
			hits++
			if hits >= m.n {
				return true
			}
		}
	}
	return false
}

func (m *atLeastMatcher) cost() int { return sumCost(m.subs) }

type notMatcher struct{ x matcher }

func (m notMatcher) match(c *evalCtx) bool { return !m.x.match(c) }
func (m notMatcher) cost() int             { return m.x.cost() }

type constMatcher bool

func (m constMatcher) match(*evalCtx) bool { return bool(m) }
func (m constMatcher) cost() int           { return 0 }

func sumCost(ms []matcher) int {
	total := 0
	for _, m := range ms {
		total += m.cost()
		if total > 1<<20 {
			return 1 << 20
		}
	}
	return total
}

// strMatcher tests one string (lower-cased unless the item is cased).
type strMatcher interface {
	matchString(s string) bool
	cost() int
}

type exactString string

func (p exactString) matchString(s string) bool { return s == string(p) }
func (p exactString) cost() int                 { return 2 }

type prefixString string

func (p prefixString) matchString(s string) bool { return strings.HasPrefix(s, string(p)) }
func (p prefixString) cost() int                 { return 3 }

type suffixString string

func (p suffixString) matchString(s string) bool { return strings.HasSuffix(s, string(p)) }
func (p suffixString) cost() int                 { return 3 }

type containsString string

func (p containsString) matchString(s string) bool { return strings.Contains(s, string(p)) }
func (p containsString) cost() int                 { return 5 }

// anyString is the lone '*': any value of an existing field.
type anyString struct{}

func (anyString) matchString(string) bool { return true }
func (anyString) cost() int               { return 1 }

// stringSet matches one of many exact values with one map lookup.
type stringSet map[string]struct{}

func (p stringSet) matchString(s string) bool { _, ok := p[s]; return ok }
func (p stringSet) cost() int                 { return 3 }

// globString is a pattern with inner wildcards.
type globString struct{ p pattern }

func (g globString) cost() int { return 8 }

func (g globString) matchString(s string) bool { return globMatch(g.p, s) }

// globMatch matches s against p. A '*' absorbs any run, a '?' exactly one
// character. On a mismatch it backtracks to the last star only, which is
// enough for glob patterns and keeps the loop linear in practice.
func globMatch(p pattern, s string) bool {
	pi, si := 0, 0
	starP, starS := -1, 0
	for si <= len(s) {
		if pi < len(p) {
			seg := p[pi]
			switch {
			case seg.wild == '*':
				starP, starS = pi, si
				pi++
				continue
			case seg.wild == '?' && si < len(s):
				_, size := utf8.DecodeRuneInString(s[si:])
				si += size
				pi++
				continue
			case seg.wild == 0 && strings.HasPrefix(s[si:], seg.lit):
				si += len(seg.lit)
				pi++
				continue
			}
		} else if si == len(s) {
			return true
		}
		if starP < 0 || starS >= len(s) {
			return false
		}
		_, size := utf8.DecodeRuneInString(s[starS:])
		starS += size
		pi, si = starP+1, starS
	}
	return false
}

type regexString struct{ re *regexp.Regexp }

func (r regexString) matchString(s string) bool { return r.re.MatchString(s) }
func (r regexString) cost() int                 { return 40 }

// minLineLength is true when the value has a run of at least n characters
// without a newline: the meaning of the regular expression ".{n,}".
type minLineLength int

func (m minLineLength) matchString(s string) bool {
	if len(s) < int(m) {
		return false
	}
	run := 0
	for _, r := range s {
		if r == '\n' {
			run = 0
			continue
		}
		run++
		if run >= int(m) {
			return true
		}
	}
	return false
}
func (m minLineLength) cost() int { return 4 }

type cidrString struct{ prefix netip.Prefix }

func (c cidrString) matchString(s string) bool {
	addr, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return false
	}
	return c.prefix.Contains(addr.Unmap())
}
func (c cidrString) cost() int { return 6 }

// numCompare is lt/lte/gt/gte (and the numeric forms of equality).
type numCompare struct {
	op   string
	want float64
}

func compareFloat(op string, got, want float64) bool {
	switch op {
	case "lt":
		return got < want
	case "lte":
		return got <= want
	case "gt":
		return got > want
	case "gte":
		return got >= want
	case "neq":
		return got != want
	}
	return got == want
}

func (n numCompare) matchString(s string) bool {
	got, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return false
	}
	return compareFloat(n.op, got, n.want)
}
func (n numCompare) cost() int { return 6 }

// timePart extracts minute/hour/day/week/month/year from a timestamp and
// compares it.
type timePart struct {
	part string
	op   string
	want float64
}

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func (t timePart) matchString(s string) bool {
	ts, ok := parseTime(s)
	if !ok {
		return false
	}
	var v int
	switch t.part {
	case "minute":
		v = ts.Minute()
	case "hour":
		v = ts.Hour()
	case "day":
		v = ts.Day()
	case "week":
		_, v = ts.ISOWeek()
	case "month":
		v = int(ts.Month())
	case "year":
		v = ts.Year()
	}
	return compareFloat(t.op, float64(v), t.want)
}
func (t timePart) cost() int { return 10 }

// fieldMatcher tests the values of one field against compiled patterns.
type fieldMatcher struct {
	fid   int
	pats  []strMatcher
	all   bool // every pattern must match (|all)
	cased bool // test the original value, not the lower-cased one
	neq   bool // the field must exist and match none of the patterns
	c     int
}

func (m *fieldMatcher) cost() int { return m.c }

func (m *fieldMatcher) match(c *evalCtx) bool {
	fv := c.field(m.fid)
	if !fv.present || fv.null {
		return false
	}
	vals := fv.lower
	if m.cased {
		vals = fv.orig
	}
	hit := matchValues(m.pats, vals, m.all)
	if m.neq {
		return !hit
	}
	return hit
}

func matchValues(pats []strMatcher, vals []string, all bool) bool {
	if all {
		for _, p := range pats {
			found := false
			for _, v := range vals {
				if p.matchString(v) {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		}
		return len(pats) > 0
	}
	for _, v := range vals {
		for _, p := range pats {
			if p.matchString(v) {
				return true
			}
		}
	}
	return false
}

// nullMatcher is "Field: null": absent, or present with a null value.
type nullMatcher struct{ fid int }

func (m nullMatcher) match(c *evalCtx) bool {
	fv := c.field(m.fid)
	return !fv.present || fv.null
}
func (m nullMatcher) cost() int { return 1 }

// existsMatcher is "Field|exists: true/false".
type existsMatcher struct {
	fid  int
	want bool
}

func (m existsMatcher) match(c *evalCtx) bool { return c.field(m.fid).present == m.want }
func (m existsMatcher) cost() int             { return 1 }

// fieldrefMatcher compares a field with another field of the same event.
type fieldrefMatcher struct {
	fid, ref int
	mode     byte // '=' equal, 'c' contains, 's' starts with, 'e' ends with
	cased    bool
	neq      bool
}

func (m *fieldrefMatcher) cost() int { return 6 }

func (m *fieldrefMatcher) match(c *evalCtx) bool {
	fv, rv := c.field(m.fid), c.field(m.ref)
	if !fv.present || !rv.present || fv.null || rv.null {
		return false
	}
	vals, refs := fv.lower, rv.lower
	if m.cased {
		vals, refs = fv.orig, rv.orig
	}
	hit := false
	for _, v := range vals {
		for _, r := range refs {
			switch m.mode {
			case 'c':
				hit = strings.Contains(v, r)
			case 's':
				hit = strings.HasPrefix(v, r)
			case 'e':
				hit = strings.HasSuffix(v, r)
			default:
				hit = v == r
			}
			if hit {
				break
			}
		}
		if hit {
			break
		}
	}
	return hit != m.neq
}

// keywordMatcher searches the raw text and every field value.
type keywordMatcher struct {
	pats  []strMatcher
	all   bool
	cased bool
}

func (m *keywordMatcher) cost() int { return 200 }

func (m *keywordMatcher) match(c *evalCtx) bool {
	if m.cased {
		return matchValues(m.pats, c.keywordValues(), m.all)
	}
	return matchValues(m.pats, c.keywordValuesLower(), m.all)
}
