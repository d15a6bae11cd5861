package hunt

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Query is a parsed hunt: a filter over events, then pipe stages.
type Query struct {
	Filter Expr // nil matches every event
	Stages []Stage
}

// Expr is a boolean filter expression.
type Expr interface {
	Pos() int // byte offset in the query text
	String() string
}

// And is L AND R (also written as two adjacent terms).
type And struct{ L, R Expr }

// Or is L OR R.
type Or struct{ L, R Expr }

// Not negates X.
type Not struct {
	At int
	X  Expr
}

// TermKind says how a term matches.
type TermKind int

// Term kinds.
const (
	TermWord     TermKind = iota // bare word (or phrase): substring of the raw text or message
	TermMatch                    // field:value or field:"quoted phrase": case-insensitive equality
	TermWildcard                 // field:val*ue, * and ? wildcards
	TermCompare                  // field:>=10, or in where: field >= 10
	TermRange                    // field:[lo TO hi], inclusive; * is an open end
	TermCIDR                     // source.ip:10.0.0.0/8
	TermRegex                    // field:/regex/
	TermExists                   // field:*
)

// Term is one condition on one field (or on the text, for TermWord).
type Term struct {
	At     int
	Kind   TermKind
	Field  string // empty for TermWord
	Value  string // the value; the low bound of a range
	Hi     string // the high bound of a range
	Op     string // TermCompare: one of > >= < <=
	Quoted bool   // the value was a quoted phrase
}

// Pos implements Expr.
func (e *And) Pos() int { return e.L.Pos() }

// Pos implements Expr.
func (e *Or) Pos() int { return e.L.Pos() }

// Pos implements Expr.
func (e *Not) Pos() int { return e.At }

// Pos implements Expr.
func (t *Term) Pos() int { return t.At }

// String prints the expression in the query language with only the
// parentheses the tree needs; parsing the output gives the same tree.
func (e *And) String() string {
	l, r := e.L.String(), e.R.String()
	if _, ok := e.L.(*Or); ok {
		l = "(" + l + ")"
	}
	switch e.R.(type) {
	case *Or, *And:
		r = "(" + r + ")"
	}
	return l + " AND " + r
}

// String implements Expr.
func (e *Or) String() string {
	r := e.R.String()
	if _, ok := e.R.(*Or); ok {
		r = "(" + r + ")"
	}
	return e.L.String() + " OR " + r
}

// String implements Expr.
func (e *Not) String() string {
	switch e.X.(type) {
	case *Or, *And:
		return "NOT (" + e.X.String() + ")"
	}
	return "NOT " + e.X.String()
}

// String implements Expr.
func (t *Term) String() string {
	switch t.Kind {
	case TermWord:
		if t.Quoted {
			return quote(t.Value)
		}
		return t.Value
	case TermCompare:
		return t.Field + ":" + t.Op + valueText(t.Value, t.Quoted)
	case TermRange:
		return t.Field + ":[" + bound(t.Value) + " TO " + bound(t.Hi) + "]"
	case TermRegex:
		return t.Field + ":/" + strings.ReplaceAll(t.Value, "/", `\/`) + "/"
	case TermExists:
		return t.Field + ":*"
	case TermMatch:
		return t.Field + ":" + valueText(t.Value, t.Quoted)
	}
	return t.Field + ":" + t.Value
}

// valueText prints a value so that the value lexer reads it back as a
// plain value: quoted when it was, or when it would read as something else.
func valueText(v string, quoted bool) string {
	if quoted || v == "" || v == "*" || strings.ContainsAny(v, " \t\r\n()|\"") || strings.ContainsAny(v[:1], "/[<>") {
		return quote(v)
	}
	return v
}

func bound(v string) string {
	if v == "" || v == "*" || strings.ContainsAny(v, " \t\r\n]\"") || v == "TO" {
		if v == "*" {
			return v
		}
		return quote(v)
	}
	return v
}

// quote writes a phrase with the escapes the lexer reads back.
func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}

// Stage is one pipe stage.
type Stage interface {
	Pos() int
	String() string
}

// Where filters rows.
type Where struct {
	At   int
	Cond Expr
}

// Agg is one aggregation of stats or timechart.
type Agg struct {
	Func  string // count, dc, sum, avg, min, max, values
	Field string // empty for count()
	As    string // output name; empty means the default name
}

// Name is the output column name of the aggregation.
func (a Agg) Name() string {
	if a.As != "" {
		return a.As
	}
	if a.Field == "" {
		return a.Func
	}
	return a.Func + "(" + a.Field + ")"
}

func (a Agg) String() string {
	s := a.Func + "(" + a.Field + ")"
	if a.As != "" {
		s += " as " + a.As
	}
	return s
}

// Stats aggregates rows, grouped by fields.
type Stats struct {
	At   int
	Aggs []Agg
	By   []string
}

// SortKey is one sort field.
type SortKey struct {
	Field string
	Desc  bool
}

// Sort orders rows.
type Sort struct {
	At   int
	Keys []SortKey
}

// Head keeps the first N rows.
type Head struct {
	At int
	N  int
}

// Fields keeps only the named fields.
type Fields struct {
	At    int
	Names []string
}

// Dedup keeps the first row of each combination of the fields' values.
type Dedup struct {
	At     int
	Fields []string
}

// Top lists the N most (Rare: least) common values of a field, with their
// count and percentage.
type Top struct {
	At    int
	Rare  bool
	N     int
	Field string
}

// Timechart counts (or aggregates) rows per time bucket, optionally split
// by one field.
type Timechart struct {
	At   int
	Span time.Duration
	Aggs []Agg
	By   string
}

// Pos implements Stage.
func (s *Where) Pos() int { return s.At }

// Pos implements Stage.
func (s *Stats) Pos() int { return s.At }

// Pos implements Stage.
func (s *Sort) Pos() int { return s.At }

// Pos implements Stage.
func (s *Head) Pos() int { return s.At }

// Pos implements Stage.
func (s *Fields) Pos() int { return s.At }

// Pos implements Stage.
func (s *Dedup) Pos() int { return s.At }

// Pos implements Stage.
func (s *Top) Pos() int { return s.At }

// Pos implements Stage.
func (s *Timechart) Pos() int { return s.At }

// String implements Stage.
func (s *Where) String() string { return "where " + s.Cond.String() }

// String implements Stage.
func (s *Stats) String() string {
	out := "stats " + joinAggs(s.Aggs)
	if len(s.By) > 0 {
		out += " by " + strings.Join(s.By, ", ")
	}
	return out
}

// String implements Stage.
func (s *Sort) String() string {
	keys := make([]string, len(s.Keys))
	for i, k := range s.Keys {
		keys[i] = k.Field
		if k.Desc {
			keys[i] = "-" + k.Field
		}
	}
	return "sort " + strings.Join(keys, ", ")
}

// String implements Stage.
func (s *Head) String() string { return "head " + strconv.Itoa(s.N) }

// String implements Stage.
func (s *Fields) String() string { return "fields " + strings.Join(s.Names, ", ") }

// String implements Stage.
func (s *Dedup) String() string { return "dedup " + strings.Join(s.Fields, ", ") }

// String implements Stage.
func (s *Top) String() string {
	name := "top"
	if s.Rare {
		name = "rare"
	}
	return fmt.Sprintf("%s %d %s", name, s.N, s.Field)
}

// String implements Stage.
func (s *Timechart) String() string {
	out := "timechart span=" + formatSpan(s.Span) + " " + joinAggs(s.Aggs)
	if s.By != "" {
		out += " by " + s.By
	}
	return out
}

func joinAggs(aggs []Agg) string {
	parts := make([]string, len(aggs))
	for i, a := range aggs {
		parts[i] = a.String()
	}
	return strings.Join(parts, ", ")
}

// formatSpan prints a span in the largest unit that divides it.
func formatSpan(d time.Duration) string {
	for _, u := range []struct {
		s string
		d time.Duration
	}{{"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}} {
		if d%u.d == 0 {
			return strconv.FormatInt(int64(d/u.d), 10) + u.s
		}
	}
	return d.String()
}

// String prints the whole query in the language.
func (q *Query) String() string {
	var b strings.Builder
	if q.Filter != nil {
		b.WriteString(q.Filter.String())
	}
	for _, s := range q.Stages {
		if b.Len() > 0 {
			b.WriteString(" ")
		}
		b.WriteString("| ")
		b.WriteString(s.String())
	}
	return b.String()
}
