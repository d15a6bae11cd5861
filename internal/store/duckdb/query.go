package duckdb

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"sort"
	"strings"
	"time"

	duck "github.com/duckdb/duckdb-go/v2"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/parse/jsonlog"
	"github.com/yagura-soc/yagura/internal/store"
)

// EventColumns are the columns a hunt selects to return whole events, in
// the order the store reads them back.
const EventColumns = selectColumns

// EventColumnsFor is the select list of a lean event read, for a query
// whose EventKeys are keys. Besides id and times, a row is one string the
// database assembles: the typed columns of those keys as a JSON object,
// the native and ECS JSON as stored, then, only when keys name them, the
// source, parse error and raw text as JSON strings; NUL separates the
// parts (JSON text never holds a raw NUL). The driver fetches each value
// with a call into C, the largest cost of reading wide events back: a
// retro-hunt row is three values instead of nineteen.
func EventColumnsFor(keys []string) string {
	want := make(map[string]bool, len(keys))
	for _, k := range keys {
		want[k] = true
	}
	var members []string
	for _, c := range typedColumns {
		if want[c.Field] {
			// c.Field and c.Column are this package's constants.
			// || gives NULL for a NULL column, and concat_ws skips it.
			members = append(members, fmt.Sprintf(`'"%s":' || to_json(%s)`, c.Field, c.Column))
		}
	}
	typed := "'{}'"
	if len(members) > 0 {
		typed = "'{' || concat_ws(',', " + strings.Join(members, ", ") + ") || '}'"
	}
	parts := []string{typed, "coalesce(fields, '{}')", "coalesce(ecs, '{}')"}
	for _, a := range leanAttributes {
		if want[a.field] {
			parts = append(parts, "coalesce(to_json("+a.column+")::VARCHAR, '\"\"')")
		}
	}
	return "id, ts, ingested, concat_ws(chr(0), " + strings.Join(parts, ", ") + ") AS " + leanColumn
}

// leanAttributes are the event attributes a lean read holds only when the
// keys name them, in the order of their parts.
var leanAttributes = []struct {
	field, column string
	in            func(*event.Event) *string
}{
	{event.FieldSource, "source", func(ev *event.Event) *string { return &ev.Source }},
	{event.FieldParseError, "parse_error", func(ev *event.Event) *string { return &ev.ParseError }},
	{event.FieldOriginal, "raw", func(ev *event.Event) *string { return &ev.Raw }},
}

// leanColumn names the assembled part of EventColumnsFor: a row ending in
// it is read by scanLeanEvent.
const leanColumn = "lean_event"

// forbiddenSQL matches what no compiled hunt contains: partition tables,
// the partition catalog, statement separators and comments.
var forbiddenSQL = regexp.MustCompile(`(?i)\bev_[0-9]|\bpartitions\b|\btoken_blocks\b|;|--|/\*|\bduckdb_|\battach\b|\bcopy\b|\bpragma\b`)

// emptyEvents is a relation with the partition columns and no rows, for a
// tenant without partitions in the range: the compiled query still runs
// (and answers zero rows, or count() = 0) instead of failing.
var emptyEvents = func() string {
	var cols []string
	for _, def := range strings.Split(columnsDDL, ",") {
		f := strings.Fields(def)
		cols = append(cols, "CAST(NULL AS "+f[1]+") AS "+f[0])
	}
	return "SELECT " + strings.Join(cols, ", ") + " WHERE false"
}()

// Query implements store.EventStore: it runs a compiled hunt over the
// tenant's partitions that overlap [from, to). The relation "events" the
// query reads is built here, with the tenant predicate in every branch, so
// no compiled query can see another tenant's rows.
func (s *Store) Query(ctx context.Context, tenant string, from, to time.Time, q store.CompiledQuery) (store.QueryResult, error) {
	if tenant == "" {
		return store.QueryResult{}, errors.New("event store: query without a tenant")
	}
	if q.SQL == "" {
		return store.QueryResult{}, errors.New("event store: empty compiled query")
	}
	for _, text := range []string{q.Where, q.SQL, q.CountSQL} {
		// A compiled query reads only the relation "events" built below;
		// naming a partition or the catalog, or a second statement, would
		// step around the tenant predicate, so it is refused outright.
		if forbiddenSQL.MatchString(text) {
			return store.QueryResult{}, fmt.Errorf("event store: refused a compiled query that names a table or holds a second statement: %.80q", text)
		}
	}
	with, withArgs, err := s.eventsRelation(ctx, tenant, from, to, q)
	if err != nil {
		return store.QueryResult{}, fmt.Errorf("event store: query: %w", err)
	}
	res := store.QueryResult{Columns: q.Columns}
	rows, err := s.db.QueryContext(ctx, with+q.SQL, append(withArgs, q.Args...)...)
	if err != nil {
		return res, fmt.Errorf("event store: query: %w", err)
	}
	defer rows.Close()
	if q.Events {
		var keep *jsonlog.KeySet
		if q.EventKeys != nil {
			keep = jsonlog.NewKeySet(q.EventKeys)
		}
		cols, err := rows.Columns()
		if err != nil {
			return res, fmt.Errorf("event store: query: %w", err)
		}
		lean := len(cols) > 0 && cols[len(cols)-1] == leanColumn
		if lean && keep == nil {
			return res, errors.New("event store: query: a lean select (EventColumnsFor) needs the same EventKeys")
		}
		for rows.Next() {
			var ev *event.Event
			var err error
			if lean {
				ev, err = scanLeanEvent(rows, tenant, keep)
			} else {
				ev, err = scanEvent(rows, keep)
			}
			if err != nil {
				return res, fmt.Errorf("event store: query: read: %w", err)
			}
			res.Events = append(res.Events, ev)
		}
	} else {
		n := len(q.Columns)
		var total any
		for rows.Next() {
			vals := make([]any, n)
			ptrs := make([]any, n, n+1)
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if q.TotalColumn {
				ptrs = append(ptrs, &total)
			}
			if err := rows.Scan(ptrs...); err != nil {
				return res, fmt.Errorf("event store: query: read: %w", err)
			}
			for i := range vals {
				vals[i] = plainValue(vals[i])
			}
			res.Rows = append(res.Rows, vals)
		}
		if q.TotalColumn {
			if err := rows.Err(); err != nil {
				return res, fmt.Errorf("event store: query: %w", err)
			}
			res.Total, _ = plainValue(total).(int64)
			return res, nil
		}
	}
	if err := rows.Err(); err != nil {
		return res, fmt.Errorf("event store: query: %w", err)
	}
	rows.Close()
	if n := len(res.Rows) + len(res.Events); q.CountSQL == "" || (q.Limit > 0 && n < q.Limit) {
		// Fewer rows than the limit: they are all of them.
		res.Total = int64(n)
		return res, nil
	}
	if err := s.db.QueryRowContext(ctx, with+q.CountSQL, append(withArgs, q.CountArgs...)...).Scan(&res.Total); err != nil {
		return res, fmt.Errorf("event store: query: count: %w", err)
	}
	return res, nil
}

// eventsRelation builds "WITH events AS (…) " over the tenant's partitions
// in the range, newest first, each branch filtered by tenant, time and the
// hunt's own predicate so that DuckDB prunes every scan. When the query
// names tokens, each branch also leaves out the row blocks the token index
// rules out.
func (s *Store) eventsRelation(ctx context.Context, tenant string, from, to time.Time, q store.CompiledQuery) (string, []any, error) {
	where, whereArgs := q.Where, q.WhereArgs
	parts := s.daysFor(tenant, from, to)
	if len(parts) == 0 {
		return "WITH events AS (" + emptyEvents + ") ", nil, nil
	}
	var b strings.Builder
	b.WriteString("WITH events AS (")
	var args []any
	for i, p := range parts {
		if i > 0 {
			b.WriteString(" UNION ALL ")
		}
		// p.tbl comes from the partitions catalog (ev_N), never from a
		// caller. A day wholly inside the range needs no time predicate.
		cond := "tenant = ?"
		args = append(args, tenant)
		if !from.IsZero() && p.day.Before(from) {
			cond += " AND ts >= ?"
			args = append(args, from.UTC())
		}
		if !to.IsZero() && p.day.Add(24*time.Hour).After(to) {
			cond += " AND ts < ?"
			args = append(args, to.UTC())
		}
		if len(q.Tokens) > 0 {
			ranges, err := s.skipRanges(ctx, p.tbl, q.Tokens)
			if err != nil {
				return "", nil, err
			}
			skip, skipArgs := skipPredicate(ranges)
			cond += skip
			args = append(args, skipArgs...)
		}
		if where != "" {
			cond += " AND (" + where + ")"
			args = append(args, whereArgs...)
		}
		b.WriteString("SELECT * FROM " + p.tbl + " WHERE " + cond)
	}
	b.WriteString(") ")
	return b.String(), args, nil
}

type dayTable struct {
	day time.Time
	tbl string
}

// daysFor lists the tenant's partitions overlapping [from, to), newest
// first, with their days.
func (s *Store) daysFor(tenant string, from, to time.Time) []dayTable {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []dayTable
	for k, tbl := range s.parts {
		if k.tenant != tenant {
			continue
		}
		start := time.Unix(k.day, 0).UTC()
		end := start.Add(24 * time.Hour)
		if (!from.IsZero() && !end.After(from)) || (!to.IsZero() && !start.Before(to)) {
			continue
		}
		out = append(out, dayTable{start, tbl})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].day.After(out[j].day) })
	return out
}

// plainValue turns driver values into what JSON and CSV writers take:
// strings, int64, float64, bool, time.Time (UTC), nil and lists of them.
func plainValue(v any) any {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case time.Time:
		return x.UTC()
	case *big.Int:
		if x.IsInt64() {
			return x.Int64()
		}
		f, _ := new(big.Float).SetInt(x).Float64()
		return f
	case duck.Decimal:
		return x.Float64()
	case int32:
		return int64(x)
	case int16:
		return int64(x)
	case int8:
		return int64(x)
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint64:
		return float64(x)
	case float32:
		return float64(x)
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = plainValue(x[i])
		}
		return out
	case nil, string, int64, float64, bool:
		return x
	}
	return fmt.Sprint(v)
}
