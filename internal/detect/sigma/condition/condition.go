// Package condition parses the condition expression of a Sigma detection
// ("selection and not 1 of filter_*") into a small syntax tree.
//
// It is a hand-written lexer and recursive-descent parser with the Sigma
// precedence (not > and > or), parentheses and the quantified forms
// "1 of x*", "all of x*", "1 of them", "all of them". Errors carry the
// 1-based column where the problem starts.
//
// This package knows nothing about selections, events or matching: it must
// never evaluate anything, and it must never panic, whatever the input.
package condition

import (
	"fmt"
	"strconv"
	"strings"
)

// Node is one node of a parsed condition.
type Node interface {
	// Pos is the 1-based column where the node starts.
	Pos() int
	// String renders the node back to condition syntax, fully parenthesised.
	String() string
}

// Ident refers to one search identifier (a named selection).
type Ident struct {
	Name   string
	Column int
}

// Not negates its operand.
type Not struct {
	X      Node
	Column int
}

// And is true when every operand is true.
type And struct {
	Operands []Node
	Column   int
}

// Or is true when at least one operand is true.
type Or struct {
	Operands []Node
	Column   int
}

// Of is a quantified reference: "1 of x*", "all of them".
type Of struct {
	// Count is how many of the referenced identifiers must be true; 0 means
	// all of them.
	Count int
	// Pattern is the identifier or wildcard pattern ("selection_*"); empty
	// when Them is set.
	Pattern string
	// Them means every identifier of the detection, except the ones whose
	// name starts with an underscore.
	Them   bool
	Column int
}

func (n *Ident) Pos() int { return n.Column }
func (n *Not) Pos() int   { return n.Column }
func (n *And) Pos() int   { return n.Column }
func (n *Or) Pos() int    { return n.Column }
func (n *Of) Pos() int    { return n.Column }

func (n *Ident) String() string { return n.Name }
func (n *Not) String() string   { return "not " + n.X.String() }
func (n *And) String() string   { return joinNodes(n.Operands, " and ") }
func (n *Or) String() string    { return joinNodes(n.Operands, " or ") }
func (n *Of) String() string {
	count := "all"
	if n.Count > 0 {
		count = strconv.Itoa(n.Count)
	}
	target := n.Pattern
	if n.Them {
		target = "them"
	}
	return count + " of " + target
}

func joinNodes(nodes []Node, sep string) string {
	parts := make([]string, len(nodes))
	for i, n := range nodes {
		parts[i] = n.String()
	}
	return "(" + strings.Join(parts, sep) + ")"
}

// Error is a syntax error at a column of the condition.
type Error struct {
	Column int // 1-based
	Msg    string
}

func (e *Error) Error() string {
	return fmt.Sprintf("condition: column %d: %s", e.Column, e.Msg)
}

// MaxDepth bounds nesting so hostile input cannot exhaust the stack.
const MaxDepth = 200

// Parse parses a Sigma condition expression.
func Parse(input string) (Node, error) {
	toks, err := lex(input)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	n, err := p.parseOr(0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind == tokPipe {
		return nil, &Error{Column: t.col, Msg: "aggregation expressions ('| count() ...') are not supported: use a correlation rule"}
	} else if t.kind != tokEOF {
		return nil, &Error{Column: t.col, Msg: fmt.Sprintf("unexpected %s after complete expression", t.describe())}
	}
	return n, nil
}

type parser struct {
	toks []token
	i    int
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *parser) parseOr(depth int) (Node, error) {
	first, err := p.parseAnd(depth)
	if err != nil {
		return nil, err
	}
	if p.peek().kind != tokOr {
		return first, nil
	}
	or := &Or{Operands: []Node{first}, Column: first.Pos()}
	for p.peek().kind == tokOr {
		p.next()
		n, err := p.parseAnd(depth)
		if err != nil {
			return nil, err
		}
		or.Operands = append(or.Operands, n)
	}
	return or, nil
}

func (p *parser) parseAnd(depth int) (Node, error) {
	first, err := p.parseUnary(depth)
	if err != nil {
		return nil, err
	}
	if p.peek().kind != tokAnd {
		return first, nil
	}
	and := &And{Operands: []Node{first}, Column: first.Pos()}
	for p.peek().kind == tokAnd {
		p.next()
		n, err := p.parseUnary(depth)
		if err != nil {
			return nil, err
		}
		and.Operands = append(and.Operands, n)
	}
	return and, nil
}

func (p *parser) parseUnary(depth int) (Node, error) {
	if depth > MaxDepth {
		return nil, &Error{Column: p.peek().col, Msg: fmt.Sprintf("expression nested deeper than %d levels", MaxDepth)}
	}
	t := p.next()
	switch t.kind {
	case tokNot:
		x, err := p.parseUnary(depth + 1)
		if err != nil {
			return nil, err
		}
		return &Not{X: x, Column: t.col}, nil
	case tokLParen:
		x, err := p.parseOr(depth + 1)
		if err != nil {
			return nil, err
		}
		closing := p.next()
		if closing.kind != tokRParen {
			return nil, &Error{Column: closing.col, Msg: fmt.Sprintf("expected ')' to close '(' at column %d, found %s", t.col, closing.describe())}
		}
		return x, nil
	case tokAll, tokNumber:
		count := 0
		if t.kind == tokNumber {
			n, err := strconv.Atoi(t.text)
			if err != nil || n < 1 {
				return nil, &Error{Column: t.col, Msg: fmt.Sprintf("quantifier %q must be a positive number or 'all'", t.text)}
			}
			count = n
		}
		of := p.next()
		if of.kind != tokOf {
			return nil, &Error{Column: of.col, Msg: fmt.Sprintf("expected 'of' after %q, found %s", t.text, of.describe())}
		}
		target := p.next()
		switch target.kind {
		case tokThem:
			return &Of{Count: count, Them: true, Column: t.col}, nil
		case tokIdent:
			return &Of{Count: count, Pattern: target.text, Column: t.col}, nil
		}
		return nil, &Error{Column: target.col, Msg: fmt.Sprintf("expected an identifier pattern or 'them' after 'of', found %s", target.describe())}
	case tokIdent:
		if strings.ContainsAny(t.text, "*?") {
			return nil, &Error{Column: t.col, Msg: fmt.Sprintf("wildcard identifier %q is only allowed after '1 of' or 'all of'", t.text)}
		}
		return &Ident{Name: t.text, Column: t.col}, nil
	case tokPipe:
		return nil, &Error{Column: t.col, Msg: "aggregation expressions ('| count() ...') are not supported: use a correlation rule"}
	}
	return nil, &Error{Column: t.col, Msg: fmt.Sprintf("expected an identifier, 'not', '(' or a quantifier, found %s", t.describe())}
}
