package hunt

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

type tokKind int

const (
	tEOF      tokKind = iota
	tWord             // a run of plain characters: bare word, value, identifier
	tField            // a field name directly followed by ':' (the ':' is consumed)
	tString           // "quoted phrase", escapes resolved
	tRegex            // /regex/, \/ resolved
	tLParen           // (
	tRParen           // )
	tLBracket         // [
	tRBracket         // ]
	tPipe             // |
	tComma            // ,
	tEq               // = in a pipe stage (span=1h)
	tCmp              // comparison operator: > >= < <= = == !=
	tMinus            // - before a sort field
	tAnd              // AND
	tOr               // OR
	tNot              // NOT
	tTo               // TO inside a range
)

// mode tells the lexer what the parser expects next; the same characters
// mean different things in a filter, in a value and in a pipe stage (a
// Windows path value holds ':' and '\', a pipe stage has '=' and ',').
type mode int

const (
	modeFilter mode = iota // terms, AND/OR/NOT, parentheses
	modeWhere              // a filter inside | where: also field OP value
	modeValue              // right after field: (no space allowed)
	modeRange              // inside [ ... TO ... ]
	modePipe               // a pipe stage's words
)

type token struct {
	kind tokKind
	val  string
	pos  int // byte offset of the token's first character
}

func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "the end of the query"
	case tWord:
		return fmt.Sprintf("%q", t.val)
	case tField:
		return fmt.Sprintf("field %q", t.val)
	case tString:
		return "quoted phrase " + quote(t.val)
	case tRegex:
		return "regular expression"
	case tAnd, tOr, tNot, tTo:
		return t.val
	}
	return fmt.Sprintf("'%s'", t.val)
}

// lexer produces tokens on demand, in the mode the parser asks for.
type lexer struct {
	src string
	pos int

	peeked   bool
	peekMode mode
	peekTok  token
	peekErr  error
	peekEnd  int
}

func (lx *lexer) peek(m mode) (token, error) {
	if !lx.peeked || lx.peekMode != m {
		save := lx.pos
		lx.peekTok, lx.peekErr = lx.scan(m)
		lx.peekEnd = lx.pos
		lx.pos = save
		lx.peeked, lx.peekMode = true, m
	}
	return lx.peekTok, lx.peekErr
}

func (lx *lexer) next(m mode) (token, error) {
	t, err := lx.peek(m)
	lx.pos = lx.peekEnd
	lx.peeked = false
	return t, err
}

func (lx *lexer) errorf(pos int, format string, a ...any) error {
	return &Error{Query: lx.src, Pos: pos, Msg: fmt.Sprintf(format, a...)}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (lx *lexer) skipSpace() {
	for lx.pos < len(lx.src) && isSpace(lx.src[lx.pos]) {
		lx.pos++
	}
}

// stops reports whether c ends a plain run of characters in mode m.
func stops(c byte, m mode) bool {
	if isSpace(c) {
		return true
	}
	switch m {
	case modeFilter:
		return strings.IndexByte(`()|":`, c) >= 0
	case modeWhere:
		return strings.IndexByte(`()|":=<>!`, c) >= 0
	case modeValue:
		return strings.IndexByte(`()|"`, c) >= 0
	case modeRange:
		return c == ']' || c == '"'
	}
	return !isIdentByte(c)
}

// isIdentByte: field and function names in pipe stages. Non-ASCII bytes
// are allowed so that native field names in other scripts work.
func isIdentByte(c byte) bool {
	return c == '_' || c == '.' || c == '@' || c == '-' || c == '*' ||
		(c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80
}

func (lx *lexer) scan(m mode) (token, error) {
	if m != modeValue {
		lx.skipSpace()
	}
	start := lx.pos
	if lx.pos >= len(lx.src) {
		return token{kind: tEOF, pos: start}, nil
	}
	c := lx.src[lx.pos]
	one := func(k tokKind) (token, error) {
		lx.pos++
		return token{kind: k, val: string(c), pos: start}, nil
	}
	switch {
	case c == '"':
		return lx.scanString()
	case c == '|' && m != modeValue:
		return one(tPipe)
	case c == '(' && m != modeRange:
		return one(tLParen)
	case c == ')' && m != modeRange:
		return one(tRParen)
	}
	switch m {
	case modeValue:
		switch c {
		case '/':
			return lx.scanRegex()
		case '[':
			return one(tLBracket)
		case '>', '<':
			lx.pos++
			if lx.pos < len(lx.src) && lx.src[lx.pos] == '=' {
				lx.pos++
			}
			return token{kind: tCmp, val: lx.src[start:lx.pos], pos: start}, nil
		}
		if stops(c, m) {
			return token{kind: tWord, pos: start}, nil // empty: the parser reports it
		}
	case modeRange:
		if c == ']' {
			return one(tRBracket)
		}
	case modeWhere:
		if strings.IndexByte("=<>!", c) >= 0 {
			lx.pos++
			if lx.pos < len(lx.src) && lx.src[lx.pos] == '=' {
				lx.pos++
			}
			op := lx.src[start:lx.pos]
			if op == "!" {
				return token{}, lx.errorf(start, "'!' is not an operator: write != or NOT")
			}
			return token{kind: tCmp, val: op, pos: start}, nil
		}
	case modePipe:
		switch c {
		case ',':
			return one(tComma)
		case '=':
			return one(tEq)
		case '-':
			if lx.pos+1 < len(lx.src) && isIdentByte(lx.src[lx.pos+1]) && lx.src[lx.pos+1] != '-' {
				return one(tMinus)
			}
		}
		if !isIdentByte(c) || c == '-' {
			r, _ := utf8.DecodeRuneInString(lx.src[lx.pos:])
			return token{}, lx.errorf(start, "unexpected %q in a pipe stage: stages take field names, numbers, ',' and '('", r)
		}
	}
	if m == modeFilter || m == modeWhere {
		if c == ':' {
			return token{}, lx.errorf(start, "':' without a field name before it")
		}
	}
	for lx.pos < len(lx.src) && !stops(lx.src[lx.pos], m) {
		lx.pos++
	}
	word := lx.src[start:lx.pos]
	if (m == modeFilter || m == modeWhere) && lx.pos < len(lx.src) && lx.src[lx.pos] == ':' {
		lx.pos++
		return token{kind: tField, val: word, pos: start}, nil
	}
	switch {
	case (m == modeFilter || m == modeWhere) && word == "AND":
		return token{kind: tAnd, val: word, pos: start}, nil
	case (m == modeFilter || m == modeWhere) && word == "OR":
		return token{kind: tOr, val: word, pos: start}, nil
	case (m == modeFilter || m == modeWhere) && word == "NOT":
		return token{kind: tNot, val: word, pos: start}, nil
	case m == modeRange && word == "TO":
		return token{kind: tTo, val: word, pos: start}, nil
	}
	return token{kind: tWord, val: word, pos: start}, nil
}

// scanString reads a double-quoted phrase; \" and \\ are the escapes, any
// other backslash is kept as it is (Windows paths need no doubling).
func (lx *lexer) scanString() (token, error) {
	return lx.scanDelimited('"', `"\`, tString, "unterminated quoted phrase: add the closing '\"'")
}

// scanRegex reads /regex/; \/ stands for a slash, every other escape is
// passed to the regular expression unchanged.
func (lx *lexer) scanRegex() (token, error) {
	return lx.scanDelimited('/', "/", tRegex, "unterminated regular expression: add the closing '/'")
}

// scanDelimited reads from the opening delimiter to the closing one. A
// backslash before one of the escaped bytes stands for that byte; any other
// backslash pair is kept whole.
func (lx *lexer) scanDelimited(delim byte, escaped string, kind tokKind, unterminated string) (token, error) {
	start := lx.pos
	lx.pos++
	var b strings.Builder
	for lx.pos < len(lx.src) {
		c := lx.src[lx.pos]
		switch {
		case c == delim:
			lx.pos++
			return token{kind: kind, val: b.String(), pos: start}, nil
		case c == '\\' && lx.pos+1 < len(lx.src):
			next := lx.src[lx.pos+1]
			if strings.IndexByte(escaped, next) < 0 {
				b.WriteByte('\\')
			}
			b.WriteByte(next)
			lx.pos += 2
		default:
			b.WriteByte(c)
			lx.pos++
		}
	}
	return token{}, lx.errorf(start, "%s", unterminated)
}

// Error is a syntax or meaning error in a query, at a position.
type Error struct {
	Query string
	Pos   int // byte offset
	Msg   string
}

// Column is the 1-based column of the error, counted in characters.
func (e *Error) Column() int {
	p := min(max(e.Pos, 0), len(e.Query))
	return utf8.RuneCountInString(e.Query[:p]) + 1
}

func (e *Error) Error() string { return fmt.Sprintf("column %d: %s", e.Column(), e.Msg) }

// Caret renders the query with a caret under the error's column, for
// terminals.
func (e *Error) Caret() string {
	line := strings.NewReplacer("\n", " ", "\r", " ", "\t", " ").Replace(e.Query)
	return line + "\n" + strings.Repeat(" ", e.Column()-1) + "^ " + e.Msg
}
