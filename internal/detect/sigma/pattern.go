package sigma

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// segment is one piece of a Sigma string: a literal run, or a wildcard.
type segment struct {
	lit  string
	wild byte // 0 for a literal, '*' or '?' for a wildcard
}

// pattern is a Sigma string after escape processing.
type pattern []segment

// parsePattern reads a Sigma string value: '*' and '?' are wildcards, a
// backslash escapes '*', '?' and itself, and any other backslash is literal
// (so Windows paths need no doubling).
func parsePattern(s string) pattern {
	var out pattern
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			out = append(out, segment{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && (s[i+1] == '*' || s[i+1] == '?' || s[i+1] == '\\'):
			lit.WriteByte(s[i+1])
			i++
		case c == '*' || c == '?':
			flush()
			out = append(out, segment{wild: c})
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return out
}

// literal builds a pattern that is one literal run.
func literal(s string) pattern {
	if s == "" {
		return nil
	}
	return pattern{{lit: s}}
}

// merged joins adjacent literal runs, so shape detection (prefix, suffix,
// contains) sees one run where substitution left several.
func (p pattern) merged() pattern {
	var out pattern
	for _, s := range p {
		if s.wild == 0 && s.lit == "" {
			continue
		}
		if n := len(out); n > 0 && s.wild == 0 && out[n-1].wild == 0 {
			out[n-1].lit += s.lit
			continue
		}
		out = append(out, s)
	}
	return out
}

func (p pattern) hasWildcards() bool {
	for _, s := range p {
		if s.wild != 0 {
			return true
		}
	}
	return false
}

// text returns the literal content of a wildcard-free pattern.
func (p pattern) text() string {
	var b strings.Builder
	for _, s := range p {
		b.WriteString(s.lit)
	}
	return b.String()
}

// String renders the pattern back to Sigma syntax (for messages and tests).
func (p pattern) String() string {
	var b strings.Builder
	for _, s := range p {
		if s.wild != 0 {
			b.WriteByte(s.wild)
			continue
		}
		for i := 0; i < len(s.lit); i++ {
			if c := s.lit[i]; c == '*' || c == '?' || c == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(s.lit[i])
		}
	}
	return b.String()
}

func (p pattern) startsWithStar() bool { return len(p) > 0 && p[0].wild == '*' }
func (p pattern) endsWithStar() bool   { return len(p) > 0 && p[len(p)-1].wild == '*' }

func (p pattern) wrapStart() pattern {
	if p.startsWithStar() {
		return p
	}
	return append(pattern{{wild: '*'}}, p...)
}

func (p pattern) wrapEnd() pattern {
	if p.endsWithStar() {
		return p
	}
	out := append(pattern{}, p...)
	return append(out, segment{wild: '*'})
}

// mapLiterals applies f to every literal run, keeping wildcards.
func (p pattern) mapLiterals(f func(string) string) pattern {
	out := make(pattern, len(p))
	for i, s := range p {
		if s.wild == 0 {
			s.lit = f(s.lit)
		}
		out[i] = s
	}
	return out
}

// lower lower-cases the literal runs.
func (p pattern) lower() pattern { return p.mapLiterals(strings.ToLower) }

// windashChars are the characters a Windows command line accepts as the
// flag prefix: hyphen, slash, en dash, em dash, horizontal bar.
var windashChars = []string{"-", "/", "\u2013", "\u2014", "\u2015"}

// maxWindashVariants bounds the permutations of one value.
const maxWindashVariants = 625 // 4 flag characters in one value

// windash returns every variant of p in which each flag character at the
// start of a word ('-' or '/' not preceded by a word character and followed
// by one) is replaced by each of windashChars.
func (p pattern) windash() ([]pattern, error) {
	variants := []pattern{nil}
	for _, seg := range p {
		if seg.wild != 0 {
			for i := range variants {
				variants[i] = append(variants[i], seg)
			}
			continue
		}
		// Split the literal at flag positions.
		pieces := []string{""}
		flags := 0
		runes := []rune(seg.lit)
		for i, r := range runes {
			if (r == '-' || r == '/') && (i == 0 || !isWordRune(runes[i-1])) && i+1 < len(runes) && isWordRune(runes[i+1]) {
				pieces = append(pieces, "")
				flags++
				continue
			}
			pieces[len(pieces)-1] += string(r)
		}
		if flags == 0 {
			for i := range variants {
				variants[i] = append(variants[i], seg)
			}
			continue
		}
		var next []pattern
		for _, v := range variants {
			combos := []string{pieces[0]}
			for _, piece := range pieces[1:] {
				var grown []string
				for _, c := range combos {
					for _, d := range windashChars {
						grown = append(grown, c+d+piece)
					}
				}
				combos = grown
			}
			for _, c := range combos {
				nv := append(append(pattern{}, v...), segment{lit: c})
				next = append(next, nv)
			}
			if len(next) > maxWindashVariants {
				return nil, fmt.Errorf("windash: more than %d variants", maxWindashVariants)
			}
		}
		variants = next
	}
	return variants, nil
}

func isWordRune(r rune) bool {
	return r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') || r >= utf8.RuneSelf
}

var errWildcardEncoding = errors.New("cannot encode a value containing wildcards")

// base64Encode encodes a wildcard-free pattern.
func (p pattern) base64Encode() (pattern, error) {
	if p.hasWildcards() {
		return nil, errWildcardEncoding
	}
	return literal(base64.StdEncoding.EncodeToString([]byte(p.text()))), nil
}

// base64Offsets returns the three encodings of p that appear inside any
// base64 text containing p, whatever its byte offset (0, 1 or 2) modulo 3:
// the characters that depend on the unknown neighbouring bytes are cut.
func (p pattern) base64Offsets() ([]pattern, error) {
	if p.hasWildcards() {
		return nil, errWildcardEncoding
	}
	value := []byte(p.text())
	startCut := []int{0, 2, 3}
	endCut := []int{0, 3, 2}
	var out []pattern
	for shift := 0; shift < 3; shift++ {
		padded := append(make([]byte, shift), value...)
		enc := base64.StdEncoding.EncodeToString(padded)
		end := len(enc) - endCut[(len(value)+shift)%3]
		start := startCut[shift]
		if start >= end {
			continue
		}
		out = append(out, literal(enc[start:end]))
	}
	if len(out) == 0 {
		return nil, errors.New("base64offset: value too short")
	}
	return out, nil
}

// encodeUTF16 re-encodes every literal run; wildcards stay wildcards.
func (p pattern) encodeUTF16(bigEndian, bom bool) pattern {
	out := p.mapLiterals(func(s string) string { return utf16String(s, bigEndian) })
	if bom {
		mark := "\xff\xfe"
		if bigEndian {
			mark = "\xfe\xff"
		}
		out = append(pattern{{lit: mark}}, out...)
	}
	return out
}

func utf16String(s string, bigEndian bool) string {
	units := utf16.Encode([]rune(s))
	b := make([]byte, 0, 2*len(units))
	for _, u := range units {
		if bigEndian {
			b = append(b, byte(u>>8), byte(u))
		} else {
			b = append(b, byte(u), byte(u>>8))
		}
	}
	return string(b)
}
