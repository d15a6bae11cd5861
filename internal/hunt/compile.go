package hunt

import (
	"fmt"
	"math"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/yagura-soc/yagura/internal/store"
	"github.com/yagura-soc/yagura/internal/store/duckdb"
)

// Options tune compilation.
type Options struct {
	// Limit caps the rows returned (the total still counts every row);
	// 0 means DefaultLimit.
	Limit int
}

// Result limits.
const (
	DefaultLimit = 100
	MaxLimit     = 100_000
	maxValues    = 100 // values(f) keeps at most this many distinct values
)

// frag is a piece of SQL with the arguments of its placeholders, in order.
type frag struct {
	sql  string
	args []any
}

// sq concatenates strings and frags in text order, so that arguments
// always line up with their placeholders.
func sq(parts ...any) frag {
	var b strings.Builder
	var args []any
	for _, p := range parts {
		switch x := p.(type) {
		case string:
			b.WriteString(x)
		case frag:
			b.WriteString(x.sql)
			args = append(args, x.args...)
		default:
			panic(fmt.Sprintf("hunt: sq part %T", p)) // a compiler bug, never input
		}
	}
	return frag{b.String(), args}
}

func joinFrags(fs []frag, sep string) frag {
	parts := make([]any, 0, 2*len(fs))
	for i, f := range fs {
		if i > 0 {
			parts = append(parts, sep)
		}
		parts = append(parts, f)
	}
	return sq(parts...)
}

// valueType is what the compiler knows about a column's SQL type.
type valueType int

const (
	typeText valueType = iota // VARCHAR (typed columns, JSON values)
	typeTime                  // TIMESTAMP
	typeAny                   // a stats output: number, text or list
)

// structColumns are the fields kept on the event itself.
var structColumns = map[string]struct {
	col string
	typ valueType
}{
	"@timestamp":        {"ts", typeTime},
	"event.ingested":    {"ingested", typeTime},
	"event.original":    {"raw", typeText},
	"event.id":          {"id", typeText},
	"event.parse_error": {"parse_error", typeText},
	"yagura.source":     {"source", typeText},
}

// relation is the rows flowing between stages.
type relation struct {
	from   frag     // a SELECT producing the rows
	events bool     // rows are whole events
	cols   []string // display names of c0, c1, … when !events
	order  []frag   // ORDER BY items valid over the rows
}

type compiler struct {
	q   string // the query text, for errors
	seq int    // subquery alias counter
}

func (c *compiler) errorf(pos int, format string, a ...any) error {
	return &Error{Query: c.q, Pos: pos, Msg: fmt.Sprintf(format, a...)}
}

// Compile turns a parsed query into SQL for the event store.
func Compile(q *Query, text string, opts Options) (store.CompiledQuery, error) {
	limit := opts.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	c := &compiler{q: text}
	var out store.CompiledQuery
	if q.Filter != nil {
		w, err := c.expr(q.Filter, eventScope)
		if err != nil {
			return out, err
		}
		out.Where, out.WhereArgs = w.sql, w.args
		out.Tokens = requiredTokens(q.Filter, nil)
	}
	rel, err := c.stages(q.Stages)
	if err != nil {
		return out, err
	}
	src := sq("(", rel.from, ") AS ", c.alias())
	order := frag{}
	if len(rel.order) > 0 {
		order = sq(" ORDER BY ", joinFrags(rel.order, ", "))
	}
	if rel.events {
		out.Events = true
		out.SQL, out.Args = splat(sq("SELECT "+duckdb.EventColumns+" FROM ", src, order, " LIMIT ?"), limit)
	} else {
		// Rows that are not events are groups or a limited selection: the
		// window count rides along, so the total needs no second pass.
		out.Columns, out.TotalColumn = rel.cols, true
		out.SQL, out.Args = splat(sq("SELECT ", colList(len(rel.cols)), ", count(*) OVER () AS _total FROM ", src, order, " LIMIT ?"), limit)
	}
	count := sq("SELECT count(*) FROM ", src)
	out.CountSQL, out.CountArgs, out.Limit = count.sql, count.args, limit
	return out, nil
}

// splat appends the limit argument.
func splat(f frag, limit int) (string, []any) { return f.sql, append(f.args, int64(limit)) }

func colList(n int) string {
	names := make([]string, n)
	for i := range names {
		names[i] = "c" + strconv.Itoa(i)
	}
	return strings.Join(names, ", ")
}

func (c *compiler) alias() string {
	c.seq++
	return "r" + strconv.Itoa(c.seq)
}

// scope says what field names mean over the current rows: event fields,
// or the columns an earlier stage produced.
type scope struct {
	events bool
	cols   []string
}

var eventScope = scope{events: true}

// resolve turns a field name into an SQL expression over the rows.
func (sc scope) resolve(c *compiler, pos int, name string) (frag, valueType, error) {
	if sc.events {
		return eventField(name)
	}
	for i, col := range sc.cols {
		if col == name {
			return frag{sql: "c" + strconv.Itoa(i)}, typeAny, nil
		}
	}
	return frag{}, 0, c.errorf(pos, "no column %q here: an earlier stage left only %s", name, quoteList(sc.cols))
}

// eventField reads a field of an event: a struct column, a typed ECS
// column, or the JSON documents (ECS first, then the native fields). The
// JSON path is a bound parameter.
func eventField(name string) (frag, valueType, error) {
	if sc, ok := structColumns[name]; ok {
		return frag{sql: sc.col}, sc.typ, nil
	}
	sql, args := duckdb.FieldExpr(name)
	return frag{sql, args}, typeText, nil
}

func quoteList(cols []string) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = strconv.Quote(c)
	}
	return strings.Join(q, ", ")
}

func (r relation) scope() scope { return scope{events: r.events, cols: r.cols} }

// asText is the expression as a string for matching.
func asText(e frag, t valueType) frag {
	if t == typeText {
		return e
	}
	return sq("CAST(", e, " AS VARCHAR)")
}

func asNumber(e frag) frag { return sq("TRY_CAST(", e, " AS DOUBLE)") }

// truth makes a predicate two-valued: a missing field never matches and
// NOT of it does, as hunters expect.
func truth(p frag) frag { return sq("coalesce(", p, ", false)") }

func (c *compiler) expr(e Expr, sc scope) (frag, error) {
	switch x := e.(type) {
	case *And:
		return c.binary(x.L, " AND ", x.R, sc)
	case *Or:
		return c.binary(x.L, " OR ", x.R, sc)
	case *Not:
		inner, err := c.expr(x.X, sc)
		if err != nil {
			return frag{}, err
		}
		return sq("(NOT ", inner, ")"), nil
	case *Term:
		return c.term(x, sc)
	}
	return frag{}, fmt.Errorf("hunt: unknown expression %T", e)
}

// binary compiles l op r, parenthesised.
func (c *compiler) binary(l Expr, op string, r Expr, sc scope) (frag, error) {
	lf, err := c.expr(l, sc)
	if err != nil {
		return frag{}, err
	}
	rf, err := c.expr(r, sc)
	if err != nil {
		return frag{}, err
	}
	return sq("(", lf, op, rf, ")"), nil
}

func (c *compiler) term(t *Term, sc scope) (frag, error) {
	if t.Kind == TermWord {
		if !sc.events {
			return frag{}, c.errorf(t.At, "bare word %s: after stats or fields name the column, e.g. where user.name:%s", t.String(), t.Value)
		}
		// A case-insensitive RE2 search measured 4–10 times faster in
		// DuckDB than ILIKE '%word%' on long raw text.
		pat := textPattern(t.Value, !t.Quoted)
		return truth(frag{"regexp_matches(raw, ?) OR regexp_matches(message, ?)", []any{pat, pat}}), nil
	}
	e, typ, err := sc.resolve(c, t.At, t.Field)
	if err != nil {
		return frag{}, err
	}
	if typ == typeTime {
		return c.timeTerm(t, e)
	}
	switch t.Kind {
	case TermExists:
		return sq("(", e, " IS NOT NULL)"), nil
	case TermMatch:
		return truth(sq("lower(", asText(e, typ), ") = lower(?)").with(t.Value)), nil
	case TermWildcard:
		return truth(sq(asText(e, typ), " ILIKE ? ESCAPE '\\'").with(duckdb.WildcardToLike(t.Value))), nil
	case TermRegex:
		return truth(sq("regexp_matches(", asText(e, typ), ", ?)").with(t.Value)), nil
	case TermCompare:
		if n, ok := number(t.Value); ok && !t.Quoted {
			return truth(sq(asNumber(e), " "+t.Op+" ?").with(n)), nil
		}
		return truth(sq(asText(e, typ), " "+t.Op+" ?").with(t.Value)), nil
	case TermRange:
		lo, loNum := number(t.Value)
		hi, hiNum := number(t.Hi)
		if (loNum || t.Value == "*") && (hiNum || t.Hi == "*") {
			return truth(rangeOf(asNumber(e), t.Value == "*", t.Hi == "*", lo, hi)), nil
		}
		return truth(rangeOf(asText(e, typ), t.Value == "*", t.Hi == "*", t.Value, t.Hi)), nil
	case TermCIDR:
		return c.cidr(t, asText(e, typ))
	}
	return frag{}, c.errorf(t.At, "cannot compile %s", t.String())
}

// arg is one placeholder and its value, to place inside a text.
func arg(v any) frag { return frag{"?", []any{v}} }

// with appends arguments for placeholders at the very end of f's text.
func (f frag) with(args ...any) frag { return frag{f.sql, append(append([]any{}, f.args...), args...)} }

func rangeOf(e frag, openLo, openHi bool, lo, hi any) frag {
	switch {
	case openLo:
		return sq(e, " <= ?").with(hi)
	case openHi:
		return sq(e, " >= ?").with(lo)
	}
	return sq(e, " BETWEEN ? AND ?").with(lo, hi)
}

// number reads a finite decimal number.
func number(s string) (float64, bool) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// timeTerm compiles comparisons and ranges on a timestamp column.
func (c *compiler) timeTerm(t *Term, e frag) (frag, error) {
	switch t.Kind {
	case TermExists:
		return sq("(", e, " IS NOT NULL)"), nil
	case TermCompare:
		v, err := c.timeValue(t, t.Value)
		if err != nil {
			return frag{}, err
		}
		return truth(sq(e, " "+t.Op+" ?").with(v)), nil
	case TermRange:
		var lo, hi time.Time
		var err error
		if t.Value != "*" {
			if lo, err = c.timeValue(t, t.Value); err != nil {
				return frag{}, err
			}
		}
		if t.Hi != "*" {
			if hi, err = c.timeValue(t, t.Hi); err != nil {
				return frag{}, err
			}
		}
		return truth(rangeOf(e, t.Value == "*", t.Hi == "*", lo, hi)), nil
	}
	return frag{}, c.errorf(t.At, "%s is a timestamp: compare it (%s:>=2026-01-02T15:04:05Z) or give a range ([2026-01-01 TO 2026-01-31])", t.Field, t.Field)
}

func (c *compiler) timeValue(t *Term, v string) (time.Time, error) {
	if ts, ok := absoluteTime(v); ok {
		return ts, nil
	}
	return time.Time{}, c.errorf(t.At, "%q is not a time for %s: use RFC 3339 (2026-01-02T15:04:05Z) or a date (2026-01-02)", v, t.Field)
}

// cidr matches dotted-quad IPv4 text inside the block by its prefixes:
// a /24 is "a.b.c.", a /20 the 16 prefixes "a.b.16." … "a.b.31.", a /32
// the address itself. starts_with on the column measured an order of
// magnitude faster than turning every value into a number.
func (c *compiler) cidr(t *Term, e frag) (frag, error) {
	pfx, err := netip.ParsePrefix(t.Value)
	if err != nil || !pfx.Addr().Is4() {
		return frag{}, c.errorf(t.At, "%q is not an IPv4 CIDR block", t.Value)
	}
	if pfx.Bits() == 32 {
		return truth(sq(e, " = ?").with(pfx.Addr().String())), nil
	}
	var conds []frag
	for _, p := range cidrPrefixes(pfx) {
		if strings.HasSuffix(p, ".") || p == "" {
			conds = append(conds, sq("starts_with(", e, ", ?)").with(p))
		} else {
			conds = append(conds, sq(e, " = ?").with(p)) // within the last octet: whole addresses
		}
	}
	return truth(sq("(", joinFrags(conds, " OR "), ")")), nil
}

// cidrPrefixes lists the dotted text prefixes covering an IPv4 block (at
// most 128, for a block like /1 or /9); within the last octet (/25 to
// /31) it lists whole addresses instead.
func cidrPrefixes(pfx netip.Prefix) []string {
	a := pfx.Masked().Addr().As4()
	bits := pfx.Bits()
	full := bits / 8
	var head string
	for i := 0; i < full; i++ {
		head += strconv.Itoa(int(a[i])) + "."
	}
	if bits%8 == 0 {
		if full == 0 {
			return []string{""} // 0.0.0.0/0: any address
		}
		return []string{head}
	}
	span := 1 << (8 - bits%8)
	out := make([]string, 0, span)
	for v := int(a[full]); v < int(a[full])+span; v++ {
		if full == 3 {
			out = append(out, head+strconv.Itoa(v)) // a whole address
		} else {
			out = append(out, head+strconv.Itoa(v)+".")
		}
	}
	return out
}

// textPattern is the RE2 pattern of a bare word or phrase: literal text,
// case-insensitive, whole words: an end of the value that is a word
// character (ASCII letter, digit, underscore) must be an end of a word in
// the text, so that the token index (store.CompiledQuery.Tokens) and the
// scan agree. In an unquoted word * and ? are wildcards, so `mimi*` finds
// words starting with mimi and `*admin*` finds admin inside words.
func textPattern(v string, wildcards bool) string {
	var b strings.Builder
	b.WriteString("(?i)")
	if v != "" && duckdb.IsWordByte(v[0]) {
		b.WriteString(`\b`)
	}
	if wildcards {
		// A search is unanchored: a leading or trailing * adds nothing.
		v = strings.Trim(v, "*")
	}
	for _, r := range v {
		switch {
		case wildcards && r == '*':
			b.WriteString(".*")
		case wildcards && r == '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	if v != "" && duckdb.IsWordByte(v[len(v)-1]) {
		b.WriteString(`\b`)
	}
	return b.String()
}

// stages compiles the pipe stages into nested SELECTs over "events".
func (c *compiler) stages(stages []Stage) (relation, error) {
	rel := relation{from: frag{sql: "SELECT * FROM events"}, events: true, order: []frag{{sql: "ts DESC"}, {sql: "id DESC"}}}
	for _, st := range stages {
		var err error
		if rel, err = c.stage(rel, st); err != nil {
			return relation{}, err
		}
	}
	return rel, nil
}

func (c *compiler) sub(rel relation) frag { return sq("(", rel.from, ") AS ", c.alias()) }

func (c *compiler) stage(rel relation, st Stage) (relation, error) {
	sc := rel.scope()
	switch s := st.(type) {
	case *Where:
		pred, err := c.expr(s.Cond, sc)
		if err != nil {
			return rel, err
		}
		rel.from = sq("SELECT * FROM ", c.sub(rel), " WHERE ", pred)
		return rel, nil

	case *Stats:
		var sel, keys []frag
		var cols []string
		for _, name := range s.By {
			e, _, err := sc.resolve(c, s.At, name)
			if err != nil {
				return rel, err
			}
			sel = append(sel, sq(e, " AS c"+strconv.Itoa(len(cols))))
			cols = append(cols, name)
			keys = append(keys, frag{sql: strconv.Itoa(len(cols))})
		}
		for _, a := range s.Aggs {
			e, err := c.agg(a, s.At, sc)
			if err != nil {
				return rel, err
			}
			if err := c.uniqueColumn(cols, a.Name(), s.At); err != nil {
				return rel, err
			}
			sel = append(sel, sq(e, " AS c"+strconv.Itoa(len(cols))))
			cols = append(cols, a.Name())
		}
		from := sq("SELECT ", joinFrags(sel, ", "), " FROM ", c.sub(rel))
		var order []frag
		if len(keys) > 0 {
			from = sq(from, " GROUP BY ", joinFrags(keys, ", "))
			for i := range keys {
				order = append(order, frag{sql: "c" + strconv.Itoa(i) + " ASC NULLS LAST"})
			}
		}
		return relation{from: from, cols: cols, order: order}, nil

	case *Sort:
		var order []frag
		for _, k := range s.Keys {
			e, typ, err := sc.resolve(c, s.At, k.Field)
			if err != nil {
				return rel, err
			}
			dir := " ASC NULLS LAST"
			if k.Desc {
				dir = " DESC NULLS LAST"
			}
			if typ == typeText {
				// Numbers stored as text sort as numbers, the rest as text.
				order = append(order, sq(asNumber(e), dir), sq(e, dir))
			} else {
				order = append(order, sq(e, dir))
			}
		}
		if rel.events {
			order = append(order, frag{sql: "ts DESC"}, frag{sql: "id DESC"})
		}
		rel.order = order
		return rel, nil

	case *Head:
		rel.from = sq("SELECT * FROM ", c.sub(rel), c.orderBy(rel), " LIMIT ?").with(int64(s.N))
		return rel, nil

	case *Fields:
		var sel []frag
		for i, name := range s.Names {
			e, _, err := sc.resolve(c, s.At, name)
			if err != nil {
				return rel, err
			}
			if err := c.uniqueColumn(s.Names[:i], name, s.At); err != nil {
				return rel, err
			}
			sel = append(sel, sq(e, " AS c"+strconv.Itoa(i)))
		}
		// The order is carried in a hidden column: the fields it was
		// computed from may not survive the projection.
		sel = append(sel, sq("row_number() OVER (", c.orderBy(rel), ") AS _o"))
		return relation{from: sq("SELECT ", joinFrags(sel, ", "), " FROM ", c.sub(rel)), cols: s.Names, order: []frag{{sql: "_o"}}}, nil

	case *Dedup:
		var keys []frag
		for _, name := range s.Fields {
			e, _, err := sc.resolve(c, s.At, name)
			if err != nil {
				return rel, err
			}
			keys = append(keys, e)
		}
		rel.from = sq("SELECT * FROM ", c.sub(rel), " QUALIFY row_number() OVER (PARTITION BY ", joinFrags(keys, ", "), c.orderBy(rel), ") = 1")
		return rel, nil

	case *Top:
		e, _, err := sc.resolve(c, s.At, s.Field)
		if err != nil {
			return rel, err
		}
		dir := "DESC"
		if s.Rare {
			dir = "ASC"
		}
		from := sq("SELECT ", e, " AS c0, count(*) AS c1, round(CAST(count(*) AS DOUBLE) * 100 / sum(count(*)) OVER (), 2) AS c2 FROM ",
			c.sub(rel), " WHERE ", e, " IS NOT NULL GROUP BY 1 ORDER BY 2 "+dir+", 1 LIMIT ?").with(int64(s.N))
		return relation{from: from, cols: []string{s.Field, "count", "percent"},
			order: []frag{{sql: "c1 " + dir}, {sql: "c0 ASC"}}}, nil

	case *Timechart:
		if !rel.events {
			return rel, c.errorf(s.At, "timechart needs events with their @timestamp: put it before stats, top, rare and fields")
		}
		sel := []frag{sq("time_bucket(to_microseconds(CAST(", arg(s.Span.Microseconds()), " AS BIGINT)), ts) AS c0")}
		cols := []string{"_time"}
		keys := []frag{{sql: "1"}}
		if s.By != "" {
			e, _, err := sc.resolve(c, s.At, s.By)
			if err != nil {
				return rel, err
			}
			sel = append(sel, sq(e, " AS c1"))
			cols = append(cols, s.By)
			keys = append(keys, frag{sql: "2"})
		}
		for _, a := range s.Aggs {
			e, err := c.agg(a, s.At, sc)
			if err != nil {
				return rel, err
			}
			if err := c.uniqueColumn(cols, a.Name(), s.At); err != nil {
				return rel, err
			}
			sel = append(sel, sq(e, " AS c"+strconv.Itoa(len(cols))))
			cols = append(cols, a.Name())
		}
		order := []frag{{sql: "c0 ASC"}}
		if s.By != "" {
			order = append(order, frag{sql: "c1 ASC NULLS LAST"})
		}
		return relation{from: sq("SELECT ", joinFrags(sel, ", "), " FROM ", c.sub(rel), " GROUP BY ", joinFrags(keys, ", ")),
			cols: cols, order: order}, nil
	}
	return rel, c.errorf(st.Pos(), "cannot compile stage %s", st.String())
}

func (c *compiler) uniqueColumn(cols []string, name string, pos int) error {
	for _, col := range cols {
		if col == name {
			return c.errorf(pos, "two columns named %q: rename one with 'as'", name)
		}
	}
	return nil
}

func (c *compiler) orderBy(rel relation) frag {
	if len(rel.order) == 0 {
		return frag{}
	}
	return sq(" ORDER BY ", joinFrags(rel.order, ", "))
}

// agg compiles one aggregation. Numeric aggregations read text as numbers
// (values that are not numbers are skipped); min and max of a timestamp
// stay timestamps.
func (c *compiler) agg(a Agg, pos int, sc scope) (frag, error) {
	if a.Func == "count" && a.Field == "" {
		return frag{sql: "count(*)"}, nil
	}
	e, typ, err := sc.resolve(c, pos, a.Field)
	if err != nil {
		return frag{}, err
	}
	switch a.Func {
	case "count":
		return sq("count(", e, ")"), nil
	case "dc":
		return sq("count(DISTINCT ", e, ")"), nil
	case "sum", "avg":
		return sq(a.Func+"(", asNumber(e), ")"), nil
	case "min", "max":
		if typ == typeTime {
			return sq(a.Func+"(", e, ")"), nil
		}
		return sq(a.Func+"(", asNumber(e), ")"), nil
	case "values":
		t := asText(e, typ)
		return sq("list_slice(list_sort(list(DISTINCT ", t, ") FILTER (WHERE ", t, " IS NOT NULL)), 1, "+strconv.Itoa(maxValues)+")"), nil
	}
	return frag{}, c.errorf(pos, "unknown aggregation %s", a.Func)
}

// summaryFields are the fields whose top values a search shows beside its
// results: the typed columns, which are cheap to group.
var summaryFields = []string{"event.dataset", "event.code", "event.category", "event.outcome",
	"host.name", "user.name", "source.ip", "destination.ip"}

// SummarySample is how many matching events the field summaries read at
// most: enough to show the top values, bounded so a broad search stays fast.
const SummarySample = 100_000

// CompileExtras compiles the companions of an event query: the count of
// matches per time bucket (histogram) and the top values of the summary
// fields (summary, columns field/value/count). Queries whose result is not
// events (stats, top, timechart, …) have neither and ok is false.
func CompileExtras(q *Query, text string, span time.Duration, topN int) (histogram, summary store.CompiledQuery, ok bool, err error) {
	c := &compiler{q: text}
	rel, err := c.stages(q.Stages)
	if err != nil || !rel.events {
		return histogram, summary, false, err
	}
	var where frag
	if q.Filter != nil {
		if where, err = c.expr(q.Filter, eventScope); err != nil {
			return histogram, summary, false, err
		}
	}
	h := sq("SELECT time_bucket(to_microseconds(CAST(", arg(span.Microseconds()), " AS BIGINT)), ts) AS c0, count(*) AS c1 FROM ", c.sub(rel), " GROUP BY 1 ORDER BY 1")
	histogram = store.CompiledQuery{Where: where.sql, WhereArgs: where.args, SQL: h.sql, Args: h.args, Columns: []string{"time", "count"}}

	cols := make([]string, len(summaryFields))
	for i, f := range summaryFields {
		col, _ := duckdb.ColumnFor(f)
		cols[i] = col
	}
	list := strings.Join(cols, ", ")
	s := sq("SELECT k AS c0, v AS c1, n AS c2 FROM (SELECT k, v, n, row_number() OVER (PARTITION BY k ORDER BY n DESC, v) AS rk FROM ",
		"(SELECT k, v, count(*) AS n FROM (UNPIVOT (SELECT "+list+" FROM ", c.sub(rel), " LIMIT ?) ON "+list+" INTO NAME k VALUE v) GROUP BY k, v)) ",
		"WHERE rk <= ? ORDER BY c0, c2 DESC, c1").with(int64(SummarySample), int64(topN))
	summary = store.CompiledQuery{Where: where.sql, WhereArgs: where.args, SQL: s.sql, Args: s.args, Columns: []string{"field", "value", "count"}}
	return histogram, summary, true, nil
}

// FieldForColumn maps a typed column back to its field name.
func FieldForColumn(col string) string {
	for _, f := range summaryFields {
		if c, _ := duckdb.ColumnFor(f); c == col {
			return f
		}
	}
	return col
}
