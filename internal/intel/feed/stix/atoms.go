package stix

import (
	"fmt"
	"strings"

	"github.com/yagura-soc/yagura/internal/intel"
)

// Atom is one indicator value a pattern names.
type Atom struct {
	Type  intel.Type
	Value string
}

// Atoms turns a parsed pattern into the indicator values it names, and
// lists the parts it cannot turn into indicators with why. The rules:
//   - comparisons OR-ed together (inside or across observations) each give
//     their values;
//   - an AND of comparisons gives its file hashes (a hash identifies the
//     file whatever else is tested); without a hash it is unsupported,
//     since one value alone would match more than the pattern does;
//   - observations joined by AND or FOLLOWEDBY need correlation, not an
//     indicator list, and are reported;
//   - qualifiers (WITHIN, REPEATS, START/STOP) narrow when a pattern fires
//     but not what it looks for, so they are ignored.
func Atoms(o Obs) (atoms []Atom, unsupported []string) {
	var walkObs func(Obs)
	walkObs = func(o Obs) {
		switch x := o.(type) {
		case ObsOp:
			if x.Op != "OR" {
				unsupported = append(unsupported, "observations joined by "+x.Op+" need a correlation rule, not an indicator")
				return
			}
			walkObs(x.L)
			walkObs(x.R)
		case Observation:
			if x.Inner != nil {
				walkObs(x.Inner)
				return
			}
			a, u := compAtoms(x.Comp)
			atoms, unsupported = append(atoms, a...), append(unsupported, u...)
		}
	}
	walkObs(o)
	return dedupAtoms(atoms), unsupported
}

func compAtoms(c Comp) ([]Atom, []string) {
	switch x := c.(type) {
	case CompOp:
		la, lu := compAtoms(x.L)
		ra, ru := compAtoms(x.R)
		if x.Op == "OR" {
			return append(la, ra...), append(lu, ru...)
		}
		var hashes []Atom
		for _, a := range append(la, ra...) {
			if a.Type.IsHash() {
				hashes = append(hashes, a)
			}
		}
		if len(hashes) > 0 {
			return hashes, nil
		}
		return nil, []string{"AND of comparisons without a file hash cannot become one indicator: " + compString(x)}
	case Comparison:
		return comparisonAtoms(x)
	}
	return nil, nil
}

// pathTypes maps object paths to indicator types.
var pathTypes = map[string]intel.Type{
	"ipv4-addr:value":                intel.IPv4,
	"ipv6-addr:value":                intel.IPv6,
	"domain-name:value":              intel.Domain,
	"url:value":                      intel.URL,
	"email-addr:value":               intel.Email,
	"email-message:from_ref.value":   intel.Email,
	"email-message:sender_ref.value": intel.Email,
	"file:name":                      intel.FileName,
	"network-traffic:dst_ref.value":  intel.IPv4, // refined by the value itself
	"network-traffic:src_ref.value":  intel.IPv4,
	"x-ja3:value":                    intel.JA3,
}

func pathType(p Path) (intel.Type, bool) {
	if p.Object == "file" && len(p.Steps) == 2 && p.Steps[0] == "hashes" {
		switch strings.ToUpper(strings.ReplaceAll(p.Steps[1], "-", "")) {
		case "MD5":
			return intel.MD5, true
		case "SHA1":
			return intel.SHA1, true
		case "SHA256":
			return intel.SHA256, true
		}
		return "", false
	}
	t, ok := pathTypes[p.String()]
	return t, ok
}

func comparisonAtoms(c Comparison) ([]Atom, []string) {
	t, ok := pathType(c.Path)
	if !ok {
		return nil, []string{fmt.Sprintf("no indicator type for %s", c.Path)}
	}
	if c.Not {
		return nil, []string{fmt.Sprintf("negated comparison on %s cannot become an indicator", c.Path)}
	}
	var values []string
	switch c.Op {
	case "=":
		if c.Value.Kind != "string" {
			return nil, []string{fmt.Sprintf("%s compared with a %s, want a string", c.Path, c.Value.Kind)}
		}
		values = []string{c.Value.Text}
	case "IN":
		for _, v := range c.Value.List {
			if v.Kind != "string" {
				return nil, []string{fmt.Sprintf("%s IN list holds a %s, want strings", c.Path, v.Kind)}
			}
			values = append(values, v.Text)
		}
	case "LIKE":
		v, ok := likeValue(t, c.Value.Text)
		if !ok {
			return nil, []string{fmt.Sprintf("%s LIKE '%s' is not an exact value or a domain suffix", c.Path, c.Value.Text)}
		}
		values = []string{v}
	case "MATCHES":
		v, ok := regexValue(t, c.Value.Text)
		if !ok {
			return nil, []string{fmt.Sprintf("%s MATCHES '%s' is not an anchored literal", c.Path, c.Value.Text)}
		}
		values = []string{v}
	case "ISSUBSET":
		if t != intel.IPv4 && t != intel.IPv6 {
			return nil, []string{fmt.Sprintf("ISSUBSET on %s", c.Path)}
		}
		values = []string{c.Value.Text}
	default:
		return nil, []string{fmt.Sprintf("operator %s on %s cannot become an indicator", c.Op, c.Path)}
	}
	out := make([]Atom, 0, len(values))
	for _, v := range values {
		typ := t
		if typ == intel.IPv4 && strings.Contains(v, ":") {
			typ = intel.IPv6
		}
		out = append(out, Atom{typ, v})
	}
	return out, nil
}

// likeValue accepts a LIKE pattern without wildcards (an exact value) or,
// for domains, "%.example.com" (the domain and its subdomains, which is
// how Yagura matches domains anyway).
func likeValue(t intel.Type, pat string) (string, bool) {
	if t == intel.Domain {
		pat = strings.TrimPrefix(strings.TrimPrefix(pat, "%"), ".")
	}
	if pat == "" || strings.ContainsAny(pat, "%_") {
		return "", false
	}
	return pat, true
}

// regexValue accepts "^literal$" (dots escaped) and, for domains,
// "(^|\.)example\.com$" or "\.example\.com$".
func regexValue(t intel.Type, re string) (string, bool) {
	if t == intel.Domain {
		for _, p := range []string{`(^|\.)`, `^(.*\.)?`, `\.`, `.*\.`} {
			if strings.HasPrefix(re, p) && strings.HasSuffix(re, "$") {
				re = "^" + strings.TrimPrefix(re, p)
				break
			}
		}
	}
	if !strings.HasPrefix(re, "^") || !strings.HasSuffix(re, "$") || strings.HasSuffix(re, `\$`) {
		return "", false
	}
	body := re[1 : len(re)-1]
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case c == '\\' && i+1 < len(body) && strings.IndexByte(`.\/-:?+*()[]{}|^$`, body[i+1]) >= 0:
			b.WriteByte(body[i+1])
			i++
		case strings.IndexByte(`.\+*?()[]{}|^$`, c) >= 0:
			return "", false
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), b.Len() > 0
}

func dedupAtoms(in []Atom) []Atom {
	seen := map[Atom]bool{}
	out := in[:0]
	for _, a := range in {
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out
}

func compString(c Comp) string {
	switch x := c.(type) {
	case CompOp:
		return compString(x.L) + " " + x.Op + " " + compString(x.R)
	case Comparison:
		return fmt.Sprintf("%s %s '%s'", x.Path, x.Op, x.Value.Text)
	}
	return ""
}
