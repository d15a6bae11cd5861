package stix

import (
	"fmt"
	"strconv"
	"strings"
)

// The STIX 2.1 patterning language (part 9 of the specification), parsed
// by hand into a small tree. Errors name the column (1-based byte offset)
// where the parser gave up.
//
//	pattern     = obsOr { "FOLLOWEDBY" obsOr }
//	obsOr       = obsAnd { "OR" obsAnd }
//	obsAnd      = obsUnit { "AND" obsUnit }
//	obsUnit     = ( "[" compOr "]" | "(" pattern ")" ) { qualifier }
//	qualifier   = "WITHIN" num "SECONDS" | "REPEATS" int "TIMES" | "START" t'…' "STOP" t'…'
//	compOr      = compAnd { "OR" compAnd }
//	compAnd     = compUnit { "AND" compUnit }
//	compUnit    = "(" compOr ")" | "EXISTS" path | path [ "NOT" ] op value
//	op          = "=" | "!=" | "<" | "<=" | ">" | ">=" | "IN" | "LIKE" | "MATCHES" | "ISSUBSET" | "ISSUPERSET"
//	value       = string | int | float | true | false | t'…' | h'…' | b'…' | "(" value { "," value } ")"
//	path        = objtype ":" prop { "." prop | "[" ( int | "*" ) "]" }

// Obs is an observation expression.
type Obs interface{ obs() }

// ObsOp joins two observation expressions with AND, OR or FOLLOWEDBY.
type ObsOp struct {
	Op   string
	L, R Obs
}

// Observation is one bracketed comparison expression, or a parenthesised
// observation expression, with its qualifiers.
type Observation struct {
	Comp       Comp // nil when Inner is set
	Inner      Obs
	Qualifiers []string
}

func (ObsOp) obs()       {}
func (Observation) obs() {}

// Comp is a comparison expression.
type Comp interface{ comp() }

// CompOp joins two comparison expressions with AND or OR.
type CompOp struct {
	Op   string
	L, R Comp
}

// Comparison is one property test.
type Comparison struct {
	Path  Path
	Not   bool
	Op    string // upper case; "EXISTS" for an existence test
	Value Value
}

func (CompOp) comp()     {}
func (Comparison) comp() {}

// Path is an object path: the object type and its property steps. List
// indexes appear as "[0]" or "[*]" steps.
type Path struct {
	Object string
	Steps  []string
}

func (p Path) String() string {
	var b strings.Builder
	b.WriteString(p.Object)
	b.WriteByte(':')
	for i, s := range p.Steps {
		if i > 0 && !strings.HasPrefix(s, "[") {
			b.WriteByte('.')
		}
		b.WriteString(s)
	}
	return b.String()
}

// Value is a constant: Kind is "string", "int", "float", "bool",
// "timestamp", "hex", "binary" or "list".
type Value struct {
	Kind string
	Text string
	List []Value
}

// PatternError says where and why a pattern does not parse.
type PatternError struct {
	Col int
	Msg string
}

func (e *PatternError) Error() string { return fmt.Sprintf("pattern column %d: %s", e.Col, e.Msg) }

// MaxPatternLen bounds what is parsed; longer patterns are rejected.
const MaxPatternLen = 64 << 10

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 100

// ParsePattern parses a STIX 2.1 pattern.
func ParsePattern(src string) (Obs, error) {
	if len(src) > MaxPatternLen {
		return nil, &PatternError{1, fmt.Sprintf("pattern of %d bytes is longer than %d", len(src), MaxPatternLen)}
	}
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, end: len(src) + 1}
	o, err := p.pattern()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.errf(t, "unexpected %q after the end of the pattern", t.text)
	}
	return o, nil
}

type tokKind int

const (
	tEOF    tokKind = iota
	tWord           // identifiers and keywords
	tString         // 'quoted'
	tTyped          // t'…', h'…', b'…'; text holds the prefix letter then the content
	tNumber
	tPunct // [ ] ( ) : . , * and operators
)

type token struct {
	kind tokKind
	text string
	col  int
}

func lex(src string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(src) {
		c := src[i]
		col := i + 1
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case (c == 't' || c == 'h' || c == 'b') && i+1 < len(src) && src[i+1] == '\'':
			s, n, err := lexString(src, i+1)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{tTyped, string(c) + s, col})
			i = n
		case c == '\'':
			s, n, err := lexString(src, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{tString, s, col})
			i = n
		case c == '-' || c == '+' || c >= '0' && c <= '9':
			j := i + 1
			for j < len(src) && (src[j] >= '0' && src[j] <= '9' || src[j] == '.') {
				j++
			}
			if c == '-' && j == i+1 || c == '+' && j == i+1 {
				return nil, &PatternError{col, fmt.Sprintf("unexpected %q", c)}
			}
			toks = append(toks, token{tNumber, src[i:j], col})
			i = j
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_':
			j := i + 1
			for j < len(src) && (src[j] >= 'a' && src[j] <= 'z' || src[j] >= 'A' && src[j] <= 'Z' ||
				src[j] >= '0' && src[j] <= '9' || src[j] == '_' || src[j] == '-') {
				j++
			}
			toks = append(toks, token{tWord, src[i:j], col})
			i = j
		case strings.HasPrefix(src[i:], "!=") || strings.HasPrefix(src[i:], "<=") || strings.HasPrefix(src[i:], ">="):
			toks = append(toks, token{tPunct, src[i : i+2], col})
			i += 2
		case strings.ContainsRune("[]():.,*=<>", rune(c)):
			toks = append(toks, token{tPunct, string(c), col})
			i++
		default:
			return nil, &PatternError{col, fmt.Sprintf("unexpected character %q", c)}
		}
	}
	return toks, nil
}

// lexString reads a quoted string starting at the quote at i; \' and \\
// are the only escapes.
func lexString(src string, i int) (string, int, error) {
	var b strings.Builder
	for j := i + 1; j < len(src); j++ {
		switch src[j] {
		case '\\':
			if j+1 < len(src) && (src[j+1] == '\'' || src[j+1] == '\\') {
				b.WriteByte(src[j+1])
				j++
				continue
			}
			return "", 0, &PatternError{j + 1, `a backslash in a string must escape ' or \`}
		case '\'':
			return b.String(), j + 1, nil
		default:
			b.WriteByte(src[j])
		}
	}
	return "", 0, &PatternError{i + 1, "string is not closed"}
}

type parser struct {
	toks  []token
	pos   int
	end   int
	depth int
}

func (p *parser) peek() token {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return token{kind: tEOF, col: p.end}
}

func (p *parser) next() token {
	t := p.peek()
	if p.pos < len(p.toks) {
		p.pos++
	}
	return t
}

func (p *parser) errf(t token, format string, a ...any) error {
	if t.kind == tEOF {
		return &PatternError{t.col, fmt.Sprintf(format, a...) + " (at the end of the pattern)"}
	}
	return &PatternError{t.col, fmt.Sprintf(format, a...)}
}

func (p *parser) keyword(words ...string) (string, bool) {
	t := p.peek()
	if t.kind != tWord {
		return "", false
	}
	for _, w := range words {
		if strings.EqualFold(t.text, w) {
			p.pos++
			return w, true
		}
	}
	return "", false
}

func (p *parser) punct(s string) bool {
	if t := p.peek(); t.kind == tPunct && t.text == s {
		p.pos++
		return true
	}
	return false
}

func (p *parser) expect(s string) error {
	if !p.punct(s) {
		t := p.peek()
		return p.errf(t, "expected %q, found %q", s, t.text)
	}
	return nil
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return p.errf(p.peek(), "nesting deeper than %d", maxDepth)
	}
	return nil
}

func (p *parser) pattern() (Obs, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	return p.obsBinary([]string{"FOLLOWEDBY", "OR", "AND"}, 0)
}

// obsBinary parses left-associative observation operators, loosest first.
func (p *parser) obsBinary(ops []string, level int) (Obs, error) {
	if level == len(ops) {
		return p.obsUnit()
	}
	l, err := p.obsBinary(ops, level+1)
	if err != nil {
		return nil, err
	}
	for {
		if _, ok := p.keyword(ops[level]); !ok {
			return l, nil
		}
		r, err := p.obsBinary(ops, level+1)
		if err != nil {
			return nil, err
		}
		l = ObsOp{Op: ops[level], L: l, R: r}
	}
}

func (p *parser) obsUnit() (Obs, error) {
	var o Observation
	switch t := p.peek(); {
	case p.punct("["):
		c, err := p.compOr()
		if err != nil {
			return nil, err
		}
		if err := p.expect("]"); err != nil {
			return nil, err
		}
		o.Comp = c
	case p.punct("("):
		inner, err := p.pattern()
		if err != nil {
			return nil, err
		}
		if err := p.expect(")"); err != nil {
			return nil, err
		}
		o.Inner = inner
	default:
		return nil, p.errf(t, "expected '[' or '(' to start an observation, found %q", t.text)
	}
	for {
		q, ok, err := p.qualifier()
		if err != nil {
			return nil, err
		}
		if !ok {
			return o, nil
		}
		o.Qualifiers = append(o.Qualifiers, q)
	}
}

func (p *parser) qualifier() (string, bool, error) {
	kw, ok := p.keyword("WITHIN", "REPEATS", "START")
	if !ok {
		return "", false, nil
	}
	switch kw {
	case "WITHIN", "REPEATS":
		n := p.next()
		if n.kind != tNumber {
			return "", false, p.errf(n, "%s needs a number", kw)
		}
		unit := map[string]string{"WITHIN": "SECONDS", "REPEATS": "TIMES"}[kw]
		if _, ok := p.keyword(unit); !ok {
			return "", false, p.errf(p.peek(), "%s %s needs %s", kw, n.text, unit)
		}
		return kw + " " + n.text + " " + unit, true, nil
	default:
		a := p.next()
		if a.kind != tTyped || a.text[0] != 't' {
			return "", false, p.errf(a, "START needs a t'…' timestamp")
		}
		if _, ok := p.keyword("STOP"); !ok {
			return "", false, p.errf(p.peek(), "START needs a STOP")
		}
		b := p.next()
		if b.kind != tTyped || b.text[0] != 't' {
			return "", false, p.errf(b, "STOP needs a t'…' timestamp")
		}
		return "START " + a.text[1:] + " STOP " + b.text[1:], true, nil
	}
}

func (p *parser) compOr() (Comp, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	l, err := p.compAnd()
	if err != nil {
		return nil, err
	}
	for {
		if _, ok := p.keyword("OR"); !ok {
			return l, nil
		}
		r, err := p.compAnd()
		if err != nil {
			return nil, err
		}
		l = CompOp{Op: "OR", L: l, R: r}
	}
}

func (p *parser) compAnd() (Comp, error) {
	l, err := p.compUnit()
	if err != nil {
		return nil, err
	}
	for {
		if _, ok := p.keyword("AND"); !ok {
			return l, nil
		}
		r, err := p.compUnit()
		if err != nil {
			return nil, err
		}
		l = CompOp{Op: "AND", L: l, R: r}
	}
}

func (p *parser) compUnit() (Comp, error) {
	if p.punct("(") {
		c, err := p.compOr()
		if err != nil {
			return nil, err
		}
		return c, p.expect(")")
	}
	if _, ok := p.keyword("EXISTS"); ok {
		path, err := p.path()
		return Comparison{Path: path, Op: "EXISTS"}, err
	}
	path, err := p.path()
	if err != nil {
		return nil, err
	}
	var c Comparison
	c.Path = path
	_, c.Not = p.keyword("NOT")
	t := p.next()
	switch {
	case t.kind == tPunct && (t.text == "=" || t.text == "!=" || t.text == "<" || t.text == "<=" || t.text == ">" || t.text == ">="):
		c.Op = t.text
	case t.kind == tWord:
		switch op := strings.ToUpper(t.text); op {
		case "IN", "LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET":
			c.Op = op
		default:
			return nil, p.errf(t, "unknown comparison operator %q", t.text)
		}
	default:
		return nil, p.errf(t, "expected a comparison operator after %s, found %q", path, t.text)
	}
	if c.Value, err = p.value(c.Op == "IN"); err != nil {
		return nil, err
	}
	return c, nil
}

func (p *parser) path() (Path, error) {
	t := p.next()
	if t.kind != tWord {
		return Path{}, p.errf(t, "expected an object type such as ipv4-addr, found %q", t.text)
	}
	path := Path{Object: strings.ToLower(t.text)}
	if err := p.expect(":"); err != nil {
		return Path{}, err
	}
	step, err := p.step()
	if err != nil {
		return Path{}, err
	}
	path.Steps = append(path.Steps, step)
	for {
		switch {
		case p.punct("."):
			step, err := p.step()
			if err != nil {
				return Path{}, err
			}
			path.Steps = append(path.Steps, step)
		case p.punct("["):
			t := p.next()
			if !(t.kind == tNumber || t.kind == tPunct && t.text == "*") {
				return Path{}, p.errf(t, "a list index is a number or *")
			}
			if err := p.expect("]"); err != nil {
				return Path{}, err
			}
			path.Steps = append(path.Steps, "["+t.text+"]")
		default:
			return path, nil
		}
	}
}

func (p *parser) step() (string, error) {
	t := p.next()
	if t.kind == tWord || t.kind == tString {
		return t.text, nil
	}
	return "", p.errf(t, "expected a property name, found %q", t.text)
}

func (p *parser) value(list bool) (Value, error) {
	if list {
		if !p.punct("(") {
			return Value{}, p.errf(p.peek(), "IN needs a list: ('a', 'b')")
		}
		v := Value{Kind: "list"}
		for {
			item, err := p.value(false)
			if err != nil {
				return Value{}, err
			}
			v.List = append(v.List, item)
			if p.punct(")") {
				return v, nil
			}
			if err := p.expect(","); err != nil {
				return Value{}, err
			}
		}
	}
	t := p.next()
	switch t.kind {
	case tString:
		return Value{Kind: "string", Text: t.text}, nil
	case tTyped:
		return Value{Kind: map[byte]string{'t': "timestamp", 'h': "hex", 'b': "binary"}[t.text[0]], Text: t.text[1:]}, nil
	case tNumber:
		if _, err := strconv.ParseInt(t.text, 10, 64); err == nil {
			return Value{Kind: "int", Text: t.text}, nil
		}
		if _, err := strconv.ParseFloat(t.text, 64); err == nil {
			return Value{Kind: "float", Text: t.text}, nil
		}
		return Value{}, p.errf(t, "%q is not a number", t.text)
	case tWord:
		if strings.EqualFold(t.text, "true") || strings.EqualFold(t.text, "false") {
			return Value{Kind: "bool", Text: strings.ToLower(t.text)}, nil
		}
	}
	return Value{}, p.errf(t, "expected a constant, found %q", t.text)
}
