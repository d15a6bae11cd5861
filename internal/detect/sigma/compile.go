package sigma

import (
	"errors"
	"fmt"
	"net/netip"
	"path"
	"regexp"
	"regexp/syntax"
	"sort"
	"strconv"
	"strings"

	"github.com/yagura-soc/yagura/internal/detect/sigma/condition"
)

// compiler turns parsed detections into matcher trees. It assigns every
// distinct Sigma field name a small integer so evaluation can cache field
// values in a slice instead of a map.
type compiler struct {
	fieldIDs     map[string]int
	fieldNames   []string
	placeholders map[string][]string
	// unresolved counts placeholder uses without configured values.
	unresolved map[string]int
	// wildcardUnresolved turns a placeholder without values into '*'
	// instead of matching nothing.
	wildcardUnresolved bool
	// keywords is set once a rule searches keywords (every value of the
	// event, its raw text included).
	keywords bool
}

func newCompiler(placeholders map[string][]string) *compiler {
	return &compiler{
		fieldIDs:     make(map[string]int),
		placeholders: placeholders,
		unresolved:   make(map[string]int),
	}
}

func (c *compiler) fieldID(name string) int {
	if id, ok := c.fieldIDs[name]; ok {
		return id
	}
	id := len(c.fieldNames)
	c.fieldIDs[name] = id
	c.fieldNames = append(c.fieldNames, name)
	return id
}

// compileDetection compiles the selections and the condition(s).
func (c *compiler) compileDetection(d *Detection) (matcher, error) {
	if d == nil {
		return nil, errors.New("no detection")
	}
	sels := make(map[string]matcher, len(d.Selections))
	for _, name := range d.Order {
		sel := d.Selections[name]
		m, err := c.compileSelection(sel)
		if err != nil {
			return nil, fmt.Errorf("search identifier %q (line %d): %w", name, sel.Line, err)
		}
		sels[name] = m
	}
	var conds []matcher
	for _, text := range d.Conditions {
		ast, err := condition.Parse(text)
		if err != nil {
			return nil, err
		}
		m, err := c.compileCondition(ast, d, sels)
		if err != nil {
			return nil, err
		}
		conds = append(conds, m)
	}
	if len(conds) == 1 {
		return conds[0], nil
	}
	return orMatcher(conds), nil
}

func (c *compiler) compileCondition(n condition.Node, d *Detection, sels map[string]matcher) (matcher, error) {
	switch n := n.(type) {
	case *condition.Ident:
		m, ok := sels[n.Name]
		if !ok {
			return nil, &condition.Error{Column: n.Column, Msg: fmt.Sprintf("undefined search identifier %q", n.Name)}
		}
		return m, nil
	case *condition.Not:
		x, err := c.compileCondition(n.X, d, sels)
		if err != nil {
			return nil, err
		}
		return notMatcher{x}, nil
	case *condition.And:
		subs, err := c.compileOperands(n.Operands, d, sels)
		if err != nil {
			return nil, err
		}
		return andMatcher(sortByCost(subs)), nil
	case *condition.Or:
		subs, err := c.compileOperands(n.Operands, d, sels)
		if err != nil {
			return nil, err
		}
		return orMatcher(sortByCost(subs)), nil
	case *condition.Of:
		var subs []matcher
		for _, name := range d.Order {
			if n.Them {
				if strings.HasPrefix(name, "_") {
					continue
				}
			} else if ok, _ := path.Match(n.Pattern, name); !ok {
				continue
			}
			subs = append(subs, sels[name])
		}
		if len(subs) == 0 {
			return nil, &condition.Error{Column: n.Column, Msg: fmt.Sprintf("%q matches no search identifier", n.String())}
		}
		subs = sortByCost(subs)
		switch {
		case n.Count == 0:
			return andMatcher(subs), nil
		case n.Count == 1:
			return orMatcher(subs), nil
		case n.Count > len(subs):
			return constMatcher(false), nil
		}
		return &atLeastMatcher{n: n.Count, subs: subs}, nil
	}
	return nil, fmt.Errorf("unknown condition node %T", n)
}

func (c *compiler) compileOperands(ns []condition.Node, d *Detection, sels map[string]matcher) ([]matcher, error) {
	out := make([]matcher, 0, len(ns))
	for _, x := range ns {
		m, err := c.compileCondition(x, d, sels)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

func sortByCost(ms []matcher) []matcher {
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].cost() < ms[j].cost() })
	return ms
}

func (c *compiler) compileSelection(sel *Selection) (matcher, error) {
	var branches []matcher
	for _, branch := range sel.Branches {
		items := make([]matcher, 0, len(branch))
		for _, item := range branch {
			m, err := c.compileItem(item)
			if err != nil {
				return nil, err
			}
			items = append(items, m)
		}
		if len(items) == 1 {
			branches = append(branches, items[0])
		} else {
			branches = append(branches, andMatcher(sortByCost(items)))
		}
	}
	if len(branches) == 1 {
		return branches[0], nil
	}
	return orMatcher(sortByCost(branches)), nil
}

// modifierSet is the parsed modifier chain of one field item.
type modifierSet struct {
	all, cased, neq, fieldref, expand bool
	position                          string // "", "contains", "startswith", "endswith"
	exists                            bool
	re                                bool
	reFlags                           string
	cidr                              bool
	cmp                               string // lt lte gt gte
	timePart                          string
	// transforms are the value transformations in chain order.
	transforms []string
}

var transformModifiers = map[string]bool{
	"base64": true, "base64offset": true, "utf16le": true, "utf16be": true,
	"utf16": true, "wide": true, "windash": true,
	"contains": true, "startswith": true, "endswith": true,
}

func parseModifiers(mods []string) (modifierSet, error) {
	var ms modifierSet
	for _, raw := range mods {
		m := strings.ToLower(raw)
		switch m {
		case "all":
			ms.all = true
		case "cased":
			ms.cased = true
		case "neq":
			ms.neq = true
		case "fieldref":
			ms.fieldref = true
		case "expand":
			ms.expand = true
		case "exists":
			ms.exists = true
		case "re":
			ms.re = true
		case "i", "m", "s":
			if !ms.re {
				return ms, fmt.Errorf("modifier %q is only valid after |re", m)
			}
			if !strings.Contains(ms.reFlags, m) {
				ms.reFlags += m
			}
		case "cidr":
			ms.cidr = true
		case "lt", "lte", "gt", "gte":
			if ms.cmp != "" {
				return ms, fmt.Errorf("modifiers %q and %q cannot be combined", ms.cmp, m)
			}
			ms.cmp = m
		case "minute", "hour", "day", "week", "month", "year":
			if ms.timePart != "" {
				return ms, fmt.Errorf("modifiers %q and %q cannot be combined", ms.timePart, m)
			}
			ms.timePart = m
		case "contains", "startswith", "endswith":
			if ms.position != "" && ms.position != m {
				return ms, fmt.Errorf("modifiers %q and %q cannot be combined", ms.position, m)
			}
			ms.position = m
			ms.transforms = append(ms.transforms, m)
		default:
			if transformModifiers[m] {
				ms.transforms = append(ms.transforms, m)
				continue
			}
			return ms, fmt.Errorf("unsupported modifier %q", raw)
		}
	}
	special := 0
	for _, b := range []bool{ms.exists, ms.re, ms.cidr, ms.cmp != "" && ms.timePart == "", ms.timePart != "", ms.fieldref} {
		if b {
			special++
		}
	}
	if special > 1 {
		return ms, fmt.Errorf("modifiers %s cannot be combined", strings.Join(mods, "|"))
	}
	if special == 1 && !ms.fieldref && len(ms.transforms) > 0 {
		return ms, fmt.Errorf("modifier chain %s mixes a value transformation with a non-string comparison", strings.Join(mods, "|"))
	}
	return ms, nil
}

func (c *compiler) compileItem(item *FieldItem) (matcher, error) {
	ms, err := parseModifiers(item.Modifiers)
	if err != nil {
		return nil, err
	}
	if item.Keyword {
		return c.compileKeyword(item, ms)
	}
	fid := c.fieldID(item.Field)
	switch {
	case ms.exists:
		if len(item.Values) != 1 || item.Values[0].Kind == ValueNull {
			return nil, errors.New("|exists needs exactly one value, true or false")
		}
		want, err := strconv.ParseBool(item.Values[0].S)
		if err != nil {
			return nil, fmt.Errorf("|exists value %q is not true or false", item.Values[0].S)
		}
		return existsMatcher{fid: fid, want: want}, nil
	case ms.fieldref:
		return c.compileFieldref(fid, item, ms)
	}
	// null values become their own alternative: "Field: [null, 'x']".
	var alternatives []matcher
	var values []Value
	for _, v := range item.Values {
		if v.Kind == ValueNull {
			if ms.all {
				return nil, errors.New("null cannot be combined with |all")
			}
			alternatives = append(alternatives, nullMatcher{fid: fid})
			continue
		}
		values = append(values, v)
	}
	if len(values) > 0 {
		m, err := c.compileValues(fid, values, ms)
		if err != nil {
			return nil, err
		}
		alternatives = append(alternatives, m)
	}
	if len(alternatives) == 1 {
		return alternatives[0], nil
	}
	return orMatcher(sortByCost(alternatives)), nil
}

func (c *compiler) compileFieldref(fid int, item *FieldItem, ms modifierSet) (matcher, error) {
	if len(item.Values) != 1 || item.Values[0].Kind != ValueString || item.Values[0].S == "" {
		return nil, errors.New("|fieldref needs exactly one field name")
	}
	for _, t := range ms.transforms {
		if t != "contains" && t != "startswith" && t != "endswith" {
			return nil, fmt.Errorf("|fieldref cannot be combined with |%s", t)
		}
	}
	if ms.all || ms.expand {
		return nil, errors.New("|fieldref cannot be combined with |all or |expand")
	}
	m := &fieldrefMatcher{fid: fid, ref: c.fieldID(item.Values[0].S), mode: '=', cased: ms.cased, neq: ms.neq}
	switch ms.position {
	case "contains":
		m.mode = 'c'
	case "startswith":
		m.mode = 's'
	case "endswith":
		m.mode = 'e'
	}
	return m, nil
}

// maxVariants bounds how many patterns one value may expand to (windash,
// base64offset, placeholders); long value lists are the rule's own size.
const maxVariants = 4096

func (c *compiler) compileValues(fid int, values []Value, ms modifierSet) (matcher, error) {
	fm := &fieldMatcher{fid: fid, all: ms.all, cased: ms.cased, neq: ms.neq}
	if ms.all && ms.neq {
		return nil, errors.New("|neq cannot be combined with |all")
	}
	var groups [][]strMatcher // one group per original value
	for _, v := range values {
		pats, err := c.valueMatchers(v, ms, &fm.cased)
		if err != nil {
			return nil, err
		}
		groups = append(groups, pats)
	}
	if ms.all {
		// Each original value must match; its variants (windash,
		// base64offset, expand) are alternatives of one another.
		var subs []matcher
		for _, g := range groups {
			subs = append(subs, &fieldMatcher{fid: fid, pats: g, cased: fm.cased, c: patsCost(g)})
		}
		return andMatcher(sortByCost(subs)), nil
	}
	for _, g := range groups {
		fm.pats = append(fm.pats, g...)
	}
	fm.pats = mergeContains(mergeExact(fm.pats))
	fm.c = patsCost(fm.pats)
	return fm, nil
}

func patsCost(pats []strMatcher) int {
	total := 0
	for _, p := range pats {
		total += p.cost()
	}
	return total
}

// mergeExact folds many exact patterns into one set lookup.
func mergeExact(pats []strMatcher) []strMatcher {
	exact := 0
	for _, p := range pats {
		if _, ok := p.(exactString); ok {
			exact++
		}
	}
	if exact < 4 {
		return pats
	}
	set := make(stringSet, exact)
	out := []strMatcher{set}
	for _, p := range pats {
		if e, ok := p.(exactString); ok {
			set[string(e)] = struct{}{}
		} else {
			out = append(out, p)
		}
	}
	return out
}

// valueMatchers compiles one value into its alternatives. It may switch the
// item to case-sensitive evaluation (regular expressions, CIDR, numbers see
// the original text).
func (c *compiler) valueMatchers(v Value, ms modifierSet, cased *bool) ([]strMatcher, error) {
	switch {
	case ms.re:
		*cased = true
		flags := ""
		if ms.reFlags != "" {
			flags = "(?" + ms.reFlags + ")"
		}
		re, err := compileRegexp(flags + v.S)
		if err != nil {
			return nil, err
		}
		if n, ok := longLineRegexp(re); ok {
			return []strMatcher{minLineLength(n)}, nil
		}
		return []strMatcher{regexString{re}}, nil
	case ms.cidr:
		*cased = true
		prefix, err := netip.ParsePrefix(strings.TrimSpace(v.S))
		if err != nil {
			addr, aerr := netip.ParseAddr(strings.TrimSpace(v.S))
			if aerr != nil {
				return nil, fmt.Errorf("|cidr value %q: %w", v.S, err)
			}
			prefix = netip.PrefixFrom(addr, addr.BitLen())
		}
		return []strMatcher{cidrString{prefix.Masked()}}, nil
	case ms.timePart != "":
		*cased = true
		want, err := strconv.ParseFloat(v.S, 64)
		if err != nil {
			return nil, fmt.Errorf("|%s value %q is not a number", ms.timePart, v.S)
		}
		op := ms.cmp
		if op == "" {
			op = "eq"
		}
		return []strMatcher{timePart{part: ms.timePart, op: op, want: want}}, nil
	case ms.cmp != "":
		*cased = true
		want, err := strconv.ParseFloat(v.S, 64)
		if err != nil {
			return nil, fmt.Errorf("|%s value %q is not a number", ms.cmp, v.S)
		}
		return []strMatcher{numCompare{op: ms.cmp, want: want}}, nil
	}
	var pats []pattern
	switch {
	case v.Kind != ValueString:
		pats = []pattern{literal(v.S)}
	case ms.expand:
		var err error
		if pats, err = c.expandPlaceholders(parsePattern(v.S)); err != nil {
			return nil, err
		}
	default:
		pats = []pattern{parsePattern(v.S)}
	}
	for _, t := range ms.transforms {
		var next []pattern
		for _, p := range pats {
			out, err := applyTransform(t, p)
			if err != nil {
				return nil, fmt.Errorf("|%s: %w", t, err)
			}
			next = append(next, out...)
		}
		if len(next) > maxVariants {
			return nil, fmt.Errorf("value %q expands to more than %d patterns", v.S, maxVariants)
		}
		pats = next
	}
	out := make([]strMatcher, 0, len(pats))
	for _, p := range pats {
		if !*cased {
			p = p.lower()
		}
		out = append(out, patternMatcher(p))
	}
	return out, nil
}

func applyTransform(t string, p pattern) ([]pattern, error) {
	switch t {
	case "contains":
		return []pattern{p.wrapStart().wrapEnd()}, nil
	case "startswith":
		return []pattern{p.wrapEnd()}, nil
	case "endswith":
		return []pattern{p.wrapStart()}, nil
	case "windash":
		return p.windash()
	case "base64":
		enc, err := p.base64Encode()
		return []pattern{enc}, err
	case "base64offset":
		return p.base64Offsets()
	case "utf16le", "wide":
		return []pattern{p.encodeUTF16(false, false)}, nil
	case "utf16be":
		return []pattern{p.encodeUTF16(true, false)}, nil
	case "utf16":
		return []pattern{p.encodeUTF16(false, true)}, nil
	}
	return nil, fmt.Errorf("unsupported modifier %q", t)
}

// patternMatcher picks the cheapest matcher for a pattern's shape.
func patternMatcher(p pattern) strMatcher {
	switch {
	case len(p) == 0:
		return exactString("")
	case !p.hasWildcards():
		return exactString(p.text())
	case len(p) == 1 && p[0].wild == '*':
		return anyString{}
	case len(p) == 2 && p[0].wild == 0 && p[1].wild == '*':
		return prefixString(p[0].lit)
	case len(p) == 2 && p[0].wild == '*' && p[1].wild == 0:
		return suffixString(p[1].lit)
	case len(p) == 3 && p[0].wild == '*' && p[1].wild == 0 && p[2].wild == '*':
		return containsString(p[1].lit)
	}
	return globString{p}
}

func compileRegexp(expr string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(expr)
	if err == nil {
		return re, nil
	}
	var serr *syntax.Error
	if errors.As(err, &serr) && (serr.Code == syntax.ErrInvalidPerlOp || serr.Code == syntax.ErrInvalidEscape || serr.Code == syntax.ErrInvalidRepeatOp) {
		return nil, fmt.Errorf("|re: regular expression uses syntax RE2 does not support (lookaround, backreference or possessive quantifier): %w", err)
	}
	return nil, fmt.Errorf("|re: %w", err)
}

// expandPlaceholders substitutes %name% placeholders in the literal parts
// of p with the configured values, themselves Sigma strings (every
// combination). Working on the parsed pattern keeps a backslash before a
// placeholder, as in C:\Users\%user%, a literal backslash. A placeholder
// without values yields no pattern, so the item matches nothing (or '*' with
// Options.WildcardPlaceholders); both are reported through the engine stats.
func (c *compiler) expandPlaceholders(p pattern) ([]pattern, error) {
	variants := []pattern{nil}
	appendAll := func(tail pattern) {
		for i := range variants {
			variants[i] = append(variants[i][:len(variants[i]):len(variants[i])], tail...)
		}
	}
	for _, seg := range p {
		if seg.wild != 0 {
			appendAll(pattern{seg})
			continue
		}
		rest := seg.lit
		for {
			start := strings.IndexByte(rest, '%')
			if start < 0 {
				break
			}
			end := strings.IndexByte(rest[start+1:], '%')
			if end < 0 {
				break
			}
			name := rest[start+1 : start+1+end]
			appendAll(literal(rest[:start]))
			values, ok := c.placeholders[name]
			if !ok {
				c.unresolved[name]++
				if !c.wildcardUnresolved {
					return nil, nil
				}
				values = []string{"*"}
			}
			var next []pattern
			for _, prefix := range variants {
				for _, val := range values {
					next = append(next, append(append(pattern{}, prefix...), parsePattern(val)...))
				}
			}
			if len(next) > maxVariants {
				return nil, fmt.Errorf("|expand: placeholder %%%s%% expands to more than %d values", name, maxVariants)
			}
			variants = next
			rest = rest[start+end+2:]
		}
		appendAll(literal(rest))
	}
	for i, v := range variants {
		variants[i] = v.merged()
	}
	return variants, nil
}

func (c *compiler) compileKeyword(item *FieldItem, ms modifierSet) (matcher, error) {
	if ms.exists || ms.fieldref || ms.neq {
		return nil, errors.New("keyword search cannot use |exists, |fieldref or |neq")
	}
	positional := ms.position != ""
	c.keywords = true
	km := &keywordMatcher{all: ms.all, cased: ms.cased}
	for _, v := range item.Values {
		if v.Kind == ValueNull {
			return nil, errors.New("null is not a valid keyword")
		}
		pats, err := c.valueMatchers(v, ms, &km.cased)
		if err != nil {
			return nil, err
		}
		if !positional && !ms.re && !ms.cidr && ms.cmp == "" && ms.timePart == "" {
			// A plain keyword matches anywhere in a value.
			for i, p := range pats {
				pats[i] = wrapContains(p)
			}
		}
		km.pats = append(km.pats, pats...)
	}
	if !km.all {
		km.pats = mergeContains(km.pats)
	}
	return km, nil
}

// wrapContains turns an exact or anchored keyword pattern into a substring
// search.
func wrapContains(p strMatcher) strMatcher {
	switch x := p.(type) {
	case exactString:
		return containsString(x)
	case prefixString:
		return containsString(x)
	case suffixString:
		return containsString(x)
	case globString:
		return globString{x.p.wrapStart().wrapEnd()}
	}
	return p
}

// longLineRegexp recognises an unanchored run of any characters, ".{N,}",
// which Sigma uses for "unusually long command line": RE2 expands the
// repetition into N states and runs slowly, a length check does not.
func longLineRegexp(re *regexp.Regexp) (int, bool) {
	parsed, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return 0, false
	}
	parsed = parsed.Simplify()
	subs := []*syntax.Regexp{parsed}
	if parsed.Op == syntax.OpConcat {
		subs = parsed.Sub
	}
	var n int
	var ok bool
	switch len(subs) {
	case 0:
		return 0, false
	case 1:
		n, ok = anyCharRun(subs[0])
	default:
		n, ok = anyCharRun(&syntax.Regexp{Op: syntax.OpConcat, Sub: subs})
	}
	return n, ok && n > 0
}

// anyCharRun matches "." repeated at least N times without upper bound, in
// the forms Simplify produces (x{N,} becomes N copies of x followed by x+).
func anyCharRun(re *syntax.Regexp) (int, bool) {
	switch re.Op {
	case syntax.OpPlus:
		if re.Sub[0].Op == syntax.OpAnyCharNotNL {
			return 1, true
		}
	case syntax.OpRepeat:
		if re.Sub[0].Op == syntax.OpAnyCharNotNL && re.Max == -1 {
			return re.Min, true
		}
	case syntax.OpConcat:
		// Unanchored, a concatenation of ".", ".+" and ".*" matches exactly
		// when some line has as many characters as "." and ".+" require.
		n := 0
		for _, sub := range re.Sub {
			switch {
			case sub.Op == syntax.OpAnyCharNotNL:
				n++
			case sub.Op == syntax.OpPlus && sub.Sub[0].Op == syntax.OpAnyCharNotNL:
				n++
			case sub.Op == syntax.OpStar && sub.Sub[0].Op == syntax.OpAnyCharNotNL:
			case sub.Op == syntax.OpConcat || sub.Op == syntax.OpRepeat:
				m, ok := anyCharRun(sub)
				if !ok {
					return 0, false
				}
				n += m
			default:
				return 0, false
			}
		}
		return n, true
	}
	return 0, false
}
