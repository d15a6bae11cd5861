package condition

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

type tokenKind int

const (
	tokEOF tokenKind = iota
	tokIdent
	tokNumber
	tokAnd
	tokOr
	tokNot
	tokOf
	tokAll
	tokThem
	tokLParen
	tokRParen
	tokPipe
)

type token struct {
	kind tokenKind
	text string
	col  int // 1-based, in characters
}

func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "end of condition"
	case tokLParen:
		return "'('"
	case tokRParen:
		return "')'"
	case tokPipe:
		return "'|'"
	case tokIdent:
		return fmt.Sprintf("identifier %q", t.text)
	}
	return fmt.Sprintf("%q", t.text)
}

// keywords are matched case-insensitively: Sigma writes them in lower case,
// but "AND"/"Not" appear in hand-written rules and mean the same thing.
var keywords = map[string]tokenKind{
	"and":  tokAnd,
	"or":   tokOr,
	"not":  tokNot,
	"of":   tokOf,
	"all":  tokAll,
	"them": tokThem,
}

func isIdentChar(r rune) bool {
	return r == '_' || r == '-' || r == '.' || r == '*' || r == '?' ||
		(r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
}

func lex(input string) ([]token, error) {
	var toks []token
	col := 0
	for i := 0; i < len(input); {
		r, size := utf8.DecodeRuneInString(input[i:])
		col++
		switch {
		case r == ' ' || r == '\t' || r == '\n' || r == '\r':
			i += size
		case r == '(':
			toks = append(toks, token{kind: tokLParen, text: "(", col: col})
			i += size
		case r == ')':
			toks = append(toks, token{kind: tokRParen, text: ")", col: col})
			i += size
		case r == '|':
			// Everything after a pipe is a Sigma v1 aggregation; the parser
			// rejects it, so there is no point lexing its own syntax.
			toks = append(toks, token{kind: tokPipe, text: "|", col: col}, token{kind: tokEOF, col: col + 1})
			return toks, nil
		case isIdentChar(r):
			start, startCol := i, col
			i += size
			for i < len(input) {
				r2, s2 := utf8.DecodeRuneInString(input[i:])
				if !isIdentChar(r2) {
					break
				}
				i += s2
				col++
			}
			text := input[start:i]
			kind := tokIdent
			if k, ok := keywords[strings.ToLower(text)]; ok {
				kind = k
			} else if isNumber(text) {
				kind = tokNumber
			}
			toks = append(toks, token{kind: kind, text: text, col: startCol})
		default:
			if r == utf8.RuneError && size == 1 {
				return nil, &Error{Column: col, Msg: "invalid UTF-8"}
			}
			return nil, &Error{Column: col, Msg: fmt.Sprintf("unexpected character %q", r)}
		}
	}
	toks = append(toks, token{kind: tokEOF, col: col + 1})
	return toks, nil
}

func isNumber(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
