package hunt

import (
	"fmt"
	"net/netip"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits keep a hostile query from costing more than it could be worth.
const (
	MaxQueryLength = 16 << 10 // bytes
	maxDepth       = 64       // nested parentheses and NOTs
	maxTerms       = 512      // terms in the whole query
	maxHead        = 1_000_000
	maxTop         = 10_000
	minSpan        = time.Second
)

// Parse reads a query. Errors are *Error values naming the column.
func Parse(q string) (*Query, error) {
	if len(q) > MaxQueryLength {
		return nil, &Error{Query: q[:64], Pos: 0, Msg: fmt.Sprintf("the query is %d bytes long; the limit is %d", len(q), MaxQueryLength)}
	}
	if !utf8.ValidString(q) {
		pos := 0
		for pos < len(q) {
			r, size := utf8.DecodeRuneInString(q[pos:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			pos += size
		}
		return nil, &Error{Query: q, Pos: pos, Msg: "the query is not valid UTF-8 here"}
	}
	if i := strings.IndexByte(q, 0); i >= 0 {
		// The database's text parameters end at NUL; refuse rather than
		// search for something else than what was asked.
		return nil, &Error{Query: q, Pos: i, Msg: "the query contains a NUL byte; remove it"}
	}
	p := &parser{lx: &lexer{src: q}}
	return p.parseQuery()
}

type parser struct {
	lx    *lexer
	depth int
	terms int
}

func (p *parser) errorf(pos int, format string, a ...any) error {
	return p.lx.errorf(pos, format, a...)
}

func (p *parser) parseQuery() (*Query, error) {
	q := &Query{}
	t, err := p.lx.peek(modeFilter)
	if err != nil {
		return nil, err
	}
	if t.kind != tPipe && t.kind != tEOF {
		if q.Filter, err = p.parseOr(modeFilter); err != nil {
			return nil, err
		}
	}
	for {
		t, err := p.lx.next(modeFilter)
		if err != nil {
			return nil, err
		}
		switch t.kind {
		case tEOF:
			return q, nil
		case tPipe:
			st, err := p.parseStage(t.pos)
			if err != nil {
				return nil, err
			}
			q.Stages = append(q.Stages, st)
		case tRParen:
			return nil, p.errorf(t.pos, "')' without a matching '('")
		default:
			return nil, p.errorf(t.pos, "unexpected %s", t.describe())
		}
	}
}

// parseOr: and { OR and }
func (p *parser) parseOr(m mode) (Expr, error) {
	left, err := p.parseAnd(m)
	if err != nil {
		return nil, err
	}
	for {
		t, err := p.lx.peek(m)
		if err != nil {
			return nil, err
		}
		if t.kind != tOr {
			return left, nil
		}
		p.lx.next(m)
		right, err := p.parseAnd(m)
		if err != nil {
			return nil, err
		}
		left = &Or{L: left, R: right}
	}
}

// parseAnd: not { [AND] not } — adjacent terms mean AND.
func (p *parser) parseAnd(m mode) (Expr, error) {
	left, err := p.parseNot(m)
	if err != nil {
		return nil, err
	}
	for {
		t, err := p.lx.peek(m)
		if err != nil {
			return nil, err
		}
		switch t.kind {
		case tEOF, tPipe, tRParen, tOr:
			return left, nil
		case tAnd:
			p.lx.next(m)
		}
		right, err := p.parseNot(m)
		if err != nil {
			return nil, err
		}
		left = &And{L: left, R: right}
	}
}

// parseNot: NOT not | primary
func (p *parser) parseNot(m mode) (Expr, error) {
	t, err := p.lx.peek(m)
	if err != nil {
		return nil, err
	}
	if t.kind != tNot {
		return p.parsePrimary(m)
	}
	p.lx.next(m)
	x, err := p.nested(t.pos, func() (Expr, error) { return p.parseNot(m) })
	if err != nil {
		return nil, err
	}
	return &Not{At: t.pos, X: x}, nil
}

// nested parses one level deeper (a group or a NOT), refusing to go past
// maxDepth.
func (p *parser) nested(pos int, parse func() (Expr, error)) (Expr, error) {
	if p.depth++; p.depth > maxDepth {
		return nil, p.errorf(pos, "expression nested deeper than %d levels", maxDepth)
	}
	defer func() { p.depth-- }()
	return parse()
}

// parsePrimary: ( or ) | field:value | word | "phrase" | (where) word OP value
func (p *parser) parsePrimary(m mode) (Expr, error) {
	t, err := p.lx.next(m)
	if err != nil {
		return nil, err
	}
	if p.terms++; p.terms > maxTerms {
		return nil, p.errorf(t.pos, "more than %d terms in one query: narrow it down, or split it", maxTerms)
	}
	switch t.kind {
	case tLParen:
		x, err := p.nested(t.pos, func() (Expr, error) { return p.parseOr(m) })
		if err != nil {
			return nil, err
		}
		r, err := p.lx.next(m)
		if err != nil {
			return nil, err
		}
		if r.kind != tRParen {
			return nil, p.errorf(r.pos, "expected ')' to close the '(' at column %d, found %s", p.column(t.pos), r.describe())
		}
		return x, nil
	case tField:
		if t.val == "" {
			return nil, p.errorf(t.pos, "':' without a field name before it")
		}
		return p.parseValue(t)
	case tString:
		return &Term{At: t.pos, Kind: TermWord, Value: t.val, Quoted: true}, nil
	case tWord:
		if m == modeWhere {
			op, err := p.lx.peek(modeWhere)
			if err != nil {
				return nil, err
			}
			if op.kind == tCmp {
				p.lx.next(modeWhere)
				return p.parseWhereCompare(t, op)
			}
		}
		return &Term{At: t.pos, Kind: TermWord, Value: t.val}, nil
	case tEOF:
		return nil, p.errorf(t.pos, "the query ends where a term was expected")
	case tAnd, tOr:
		return nil, p.errorf(t.pos, "%s needs a term on its left: put it between two terms", t.val)
	case tRParen:
		return nil, p.errorf(t.pos, "')' where a term was expected")
	case tPipe:
		return nil, p.errorf(t.pos, "'|' where a term was expected")
	case tCmp:
		return nil, p.errorf(t.pos, "%q needs a field name on its left", t.val)
	}
	return nil, p.errorf(t.pos, "unexpected %s", t.describe())
}

func (p *parser) column(pos int) int { return (&Error{Query: p.lx.src, Pos: pos}).Column() }

// parseValue reads what follows field: .
func (p *parser) parseValue(f token) (Expr, error) {
	term := &Term{At: f.pos, Field: f.val}
	v, err := p.lx.next(modeValue)
	if err != nil {
		return nil, err
	}
	switch v.kind {
	case tString:
		term.Kind, term.Value, term.Quoted = TermMatch, v.val, true
		return term, nil
	case tRegex:
		if _, err := regexp.Compile(v.val); err != nil {
			return nil, p.errorf(v.pos, "invalid regular expression for %s: %v", f.val, regexError(err))
		}
		term.Kind, term.Value = TermRegex, v.val
		return term, nil
	case tLBracket:
		return p.parseRange(term, v)
	case tCmp:
		val, err := p.lx.next(modeValue)
		if err != nil {
			return nil, err
		}
		if (val.kind != tWord && val.kind != tString) || (val.kind == tWord && val.val == "") {
			return nil, p.errorf(val.pos, "%s%s needs a value after it, e.g. %s:%s10", f.val, v.val, f.val, v.val)
		}
		term.Kind, term.Op, term.Value, term.Quoted = TermCompare, v.val, val.val, val.kind == tString
		return term, nil
	case tWord, tEOF:
		if v.val == "" {
			return nil, p.errorf(v.pos, "%s: has no value: write %s:value (no space after ':'), %s:\"a phrase\" or %s:* for any value", f.val, f.val, f.val, f.val)
		}
		return p.plainValue(term, v)
	}
	return nil, p.errorf(v.pos, "unexpected %s after %s:", v.describe(), f.val)
}

// plainValue sorts an unquoted value into existence, CIDR, wildcard or
// match.
func (p *parser) plainValue(term *Term, v token) (Expr, error) {
	term.Value = v.val
	switch {
	case v.val == "*":
		term.Kind, term.Value = TermExists, ""
	case strings.Contains(v.val, "/") && looksLikeCIDR(v.val):
		pfx, err := netip.ParsePrefix(v.val)
		if err != nil {
			return nil, p.errorf(v.pos, "%q is not a valid CIDR block: %v", v.val, err)
		}
		if !pfx.Addr().Is4() {
			return nil, p.errorf(v.pos, "%q: only IPv4 CIDR blocks are supported; match IPv6 addresses with a wildcard (2001:db8:*)", v.val)
		}
		term.Kind, term.Value = TermCIDR, pfx.Masked().String()
	case strings.ContainsAny(v.val, "*?"):
		term.Kind = TermWildcard
	default:
		term.Kind = TermMatch
	}
	return term, nil
}

// looksLikeCIDR: digits, dots (or hex and colons) and one slash followed by
// digits. Paths like /var/log are not CIDR blocks.
func looksLikeCIDR(v string) bool {
	addr, bits, ok := strings.Cut(v, "/")
	if !ok || addr == "" || bits == "" || strings.Contains(bits, "/") {
		return false
	}
	for _, c := range bits {
		if c < '0' || c > '9' {
			return false
		}
	}
	dots := strings.Count(addr, ".")
	for _, c := range addr {
		if !(c >= '0' && c <= '9' || c == '.' || c == ':' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return dots == 3 || strings.Contains(addr, ":")
}

func regexError(err error) string {
	if e, ok := err.(*syntax.Error); ok {
		return e.Code.String() + " " + strconv.Quote(e.Expr)
	}
	return err.Error()
}

// parseRange: [ bound TO bound ]
func (p *parser) parseRange(term *Term, open token) (Expr, error) {
	lo, err := p.rangeBound(term.Field)
	if err != nil {
		return nil, err
	}
	to, err := p.lx.next(modeRange)
	if err != nil {
		return nil, err
	}
	if to.kind != tTo {
		return nil, p.errorf(to.pos, "expected TO in the range of %s, found %s: write %s:[low TO high]", term.Field, to.describe(), term.Field)
	}
	hi, err := p.rangeBound(term.Field)
	if err != nil {
		return nil, err
	}
	end, err := p.lx.next(modeRange)
	if err != nil {
		return nil, err
	}
	if end.kind != tRBracket {
		return nil, p.errorf(end.pos, "expected ']' to close the range opened at column %d, found %s", p.column(open.pos), end.describe())
	}
	if lo == "*" && hi == "*" {
		return nil, p.errorf(open.pos, "the range of %s is open at both ends: use %s:* to ask for any value", term.Field, term.Field)
	}
	term.Kind, term.Value, term.Hi = TermRange, lo, hi
	return term, nil
}

func (p *parser) rangeBound(field string) (string, error) {
	t, err := p.lx.next(modeRange)
	if err != nil {
		return "", err
	}
	switch t.kind {
	case tString:
		if t.val == "*" {
			return "", p.errorf(t.pos, "a quoted \"*\" cannot be a range bound; write * unquoted for an open end")
		}
		return t.val, nil
	case tWord:
		if t.val != "" {
			return t.val, nil
		}
	}
	return "", p.errorf(t.pos, "expected a bound in the range of %s, found %s", field, t.describe())
}

// parseWhereCompare reads the right side of `field OP value` in where.
func (p *parser) parseWhereCompare(f, op token) (Expr, error) {
	p.lx.skipSpace() // unlike field:value, "count > 10" may have spaces
	v, err := p.lx.next(modeValue)
	if err != nil {
		return nil, err
	}
	if (v.kind != tWord && v.kind != tString) || (v.kind == tWord && v.val == "") {
		return nil, p.errorf(v.pos, "%s %s needs a value after it", f.val, op.val)
	}
	quoted := v.kind == tString
	switch op.val {
	case ">", ">=", "<", "<=":
		return &Term{At: f.pos, Kind: TermCompare, Field: f.val, Op: op.val, Value: v.val, Quoted: quoted}, nil
	case "=", "==", "!=":
		var x Expr
		term := &Term{At: f.pos, Field: f.val, Value: v.val, Quoted: quoted, Kind: TermMatch}
		x = term
		if !quoted {
			var err error
			if x, err = p.plainValue(term, v); err != nil {
				return nil, err
			}
		}
		if op.val == "!=" {
			x = &Not{At: op.pos, X: x}
		}
		return x, nil
	}
	return nil, p.errorf(op.pos, "unknown operator %q: use = != < <= > >=", op.val)
}

// stageNames lists the pipe stages, for error messages.
const stageNames = "where, stats, sort, head, fields, dedup, top, rare, timechart"

func (p *parser) parseStage(pipe int) (Stage, error) {
	t, err := p.lx.next(modePipe)
	if err != nil {
		return nil, err
	}
	if t.kind != tWord {
		return nil, p.errorf(t.pos, "expected a stage after '|' (%s), found %s", stageNames, t.describe())
	}
	switch t.val {
	case "where":
		cond, err := p.parseOr(modeWhere)
		if err != nil {
			return nil, err
		}
		return &Where{At: t.pos, Cond: cond}, nil
	case "stats":
		aggs, err := p.parseAggs(t)
		if err != nil {
			return nil, err
		}
		st := &Stats{At: t.pos, Aggs: aggs}
		if p.acceptWord("by") {
			if st.By, err = p.fieldList("stats ... by"); err != nil {
				return nil, err
			}
		}
		return st, p.endStage("stats")
	case "sort":
		st := &Sort{At: t.pos}
		for {
			desc := false
			tk, err := p.lx.next(modePipe)
			if err != nil {
				return nil, err
			}
			if tk.kind == tMinus {
				desc = true
				if tk, err = p.lx.next(modePipe); err != nil {
					return nil, err
				}
			}
			if tk.kind != tWord {
				return nil, p.errorf(tk.pos, "sort needs field names, e.g. sort -count, host.name; found %s", tk.describe())
			}
			st.Keys = append(st.Keys, SortKey{Field: tk.val, Desc: desc})
			if !p.accept(tComma) {
				break
			}
		}
		return st, p.endStage("sort")
	case "head":
		n, err := p.optionalCount("head", 10, maxHead)
		if err != nil {
			return nil, err
		}
		return &Head{At: t.pos, N: n}, p.endStage("head")
	case "fields":
		names, err := p.fieldList("fields")
		if err != nil {
			return nil, err
		}
		return &Fields{At: t.pos, Names: names}, p.endStage("fields")
	case "dedup":
		names, err := p.fieldList("dedup")
		if err != nil {
			return nil, err
		}
		return &Dedup{At: t.pos, Fields: names}, p.endStage("dedup")
	case "top", "rare":
		n, err := p.optionalCount(t.val, 10, maxTop)
		if err != nil {
			return nil, err
		}
		f, err := p.fieldName("%s needs a field name, e.g. %s 10 user.name; found %s", t.val, t.val)
		if err != nil {
			return nil, err
		}
		return &Top{At: t.pos, Rare: t.val == "rare", N: n, Field: f}, p.endStage(t.val)
	case "timechart":
		return p.parseTimechart(t)
	}
	return nil, p.errorf(t.pos, "unknown stage %q: use one of %s", t.val, stageNames)
}

func (p *parser) accept(k tokKind) bool {
	t, err := p.lx.peek(modePipe)
	if err == nil && t.kind == k {
		p.lx.next(modePipe)
		return true
	}
	return false
}

func (p *parser) acceptWord(w string) bool {
	t, err := p.lx.peek(modePipe)
	if err == nil && t.kind == tWord && t.val == w {
		p.lx.next(modePipe)
		return true
	}
	return false
}

// endStage checks that the stage is followed by a pipe or the end.
func (p *parser) endStage(name string) error {
	t, err := p.lx.peek(modePipe)
	if err != nil {
		return err
	}
	if t.kind != tEOF && t.kind != tPipe {
		return p.errorf(t.pos, "unexpected %s at the end of %s: separate stages with '|'", t.describe(), name)
	}
	return nil
}

func (p *parser) fieldList(what string) ([]string, error) {
	var out []string
	for {
		f, err := p.fieldName("%s needs field names separated by ',', found %s", what)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
		if !p.accept(tComma) {
			return out, nil
		}
	}
}

// fieldName reads a field name in a stage; a number is not one. The error
// message is format with a, then a description of the token found.
func (p *parser) fieldName(format string, a ...any) (string, error) {
	t, err := p.lx.next(modePipe)
	if err != nil {
		return "", err
	}
	if t.kind != tWord || isNumber(t.val) {
		return "", p.errorf(t.pos, format, append(a, t.describe())...)
	}
	return t.val, nil
}

func isNumber(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}

func (p *parser) optionalCount(what string, def, limit int) (int, error) {
	t, err := p.lx.peek(modePipe)
	if err != nil {
		return 0, err
	}
	if t.kind != tWord || !isNumber(t.val) {
		return def, nil
	}
	p.lx.next(modePipe)
	n, _ := strconv.Atoi(t.val)
	if n < 1 || n > limit {
		return 0, p.errorf(t.pos, "%s takes a count from 1 to %d, got %s", what, limit, t.val)
	}
	return n, nil
}

// aggFuncs are the aggregation functions; true means it takes a field.
var aggFuncs = map[string]bool{"count": false, "dc": true, "sum": true, "avg": true, "min": true, "max": true, "values": true}

func (p *parser) parseAggs(stage token) ([]Agg, error) {
	var aggs []Agg
	seen := map[string]bool{}
	for {
		f, err := p.lx.next(modePipe)
		if err != nil {
			return nil, err
		}
		needsField, ok := aggFuncs[f.val]
		if f.kind != tWord || !ok {
			return nil, p.errorf(f.pos, "%s needs an aggregation (count(), dc(f), sum(f), avg(f), min(f), max(f), values(f)), found %s", stage.val, f.describe())
		}
		a := Agg{Func: f.val}
		if l, err := p.lx.next(modePipe); err != nil {
			return nil, err
		} else if l.kind != tLParen {
			return nil, p.errorf(l.pos, "expected '(' after %s", f.val)
		}
		arg, err := p.lx.next(modePipe)
		if err != nil {
			return nil, err
		}
		if arg.kind == tWord {
			a.Field = arg.val
			if arg, err = p.lx.next(modePipe); err != nil {
				return nil, err
			}
		}
		if arg.kind != tRParen {
			return nil, p.errorf(arg.pos, "expected ')' to close %s(, found %s", f.val, arg.describe())
		}
		if needsField && a.Field == "" {
			return nil, p.errorf(f.pos, "%s() needs a field: %s(user.name)", f.val, f.val)
		}
		if p.acceptWord("as") {
			n, err := p.lx.next(modePipe)
			if err != nil {
				return nil, err
			}
			if n.kind != tWord {
				return nil, p.errorf(n.pos, "expected a name after 'as', found %s", n.describe())
			}
			a.As = n.val
		}
		if seen[a.Name()] {
			return nil, p.errorf(f.pos, "two columns named %q: rename one with 'as'", a.Name())
		}
		seen[a.Name()] = true
		aggs = append(aggs, a)
		if !p.accept(tComma) {
			return aggs, nil
		}
	}
}

func (p *parser) parseTimechart(t token) (Stage, error) {
	st := &Timechart{At: t.pos, Span: time.Hour}
	if p.acceptWord("span") {
		if eq, err := p.lx.next(modePipe); err != nil {
			return nil, err
		} else if eq.kind != tEq {
			return nil, p.errorf(eq.pos, "expected '=' after span, e.g. span=1h")
		}
		v, err := p.lx.next(modePipe)
		if err != nil {
			return nil, err
		}
		d, err := parseSpan(v.val)
		if v.kind != tWord || err != nil {
			return nil, p.errorf(v.pos, "span %s: use a number and a unit of s, m, h or d, at least 1s (span=15m)", v.describe())
		}
		st.Span = d
	}
	aggs, err := p.parseAggs(t)
	if err != nil {
		return nil, err
	}
	st.Aggs = aggs
	if p.acceptWord("by") {
		if st.By, err = p.fieldName("timechart ... by needs one field name, found %s"); err != nil {
			return nil, err
		}
	}
	return st, p.endStage("timechart")
}

// parseSpan reads 30s, 15m, 1h, 7d.
func parseSpan(s string) (time.Duration, error) {
	if len(s) < 2 {
		return 0, fmt.Errorf("bad span")
	}
	n, err := strconv.Atoi(s[:len(s)-1])
	if err != nil || n < 1 || n > 366*24*3600 {
		return 0, fmt.Errorf("bad span")
	}
	unit := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour}[s[len(s)-1]]
	if unit == 0 || time.Duration(n)*unit > 366*24*time.Hour {
		return 0, fmt.Errorf("bad span")
	}
	return time.Duration(n) * unit, nil
}
