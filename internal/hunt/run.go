package hunt

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/store"
)

// Request is one search: the query text and its time range.
type Request struct {
	Tenant   string
	Query    string
	From, To time.Time // To zero means now
	Limit    int       // rows returned; 0 means DefaultLimit
	// Extras asks for the histogram and field summaries of event results.
	Extras bool
}

// Result is a search's answer. Event queries fill Events; stats, top,
// rare, timechart and fields fill Columns and Rows.
type Result struct {
	Events    []*event.Event
	Columns   []string
	Rows      [][]any
	Total     int64
	Histogram []Bucket
	Span      time.Duration
	Fields    []FieldSummary
	// Sampled is true when the field summaries read only the first
	// SummarySample matching events.
	Sampled bool
}

// Bucket is one bar of the time histogram.
type Bucket struct {
	Time  time.Time `json:"time"`
	Count int64     `json:"count"`
}

// FieldSummary lists a field's most common values among the matches.
type FieldSummary struct {
	Field string       `json:"field"`
	Top   []ValueCount `json:"top"`
}

// ValueCount is one value and how many matches carry it.
type ValueCount struct {
	Value string `json:"value"`
	Count int64  `json:"count"`
}

// Run parses, compiles and runs a search against the event store. Syntax
// errors are *Error values.
func Run(ctx context.Context, es store.EventStore, req Request) (Result, error) {
	q, err := Parse(req.Query)
	if err != nil {
		return Result{}, err
	}
	cq, err := Compile(q, req.Query, Options{Limit: req.Limit})
	if err != nil {
		return Result{}, err
	}
	res, err := es.Query(ctx, req.Tenant, req.From, req.To, cq)
	if err != nil {
		return Result{}, err
	}
	out := Result{Events: res.Events, Columns: res.Columns, Rows: res.Rows, Total: res.Total}
	if !req.Extras || !cq.Events {
		return out, nil
	}
	out.Span = HistogramSpan(req.From, req.To)
	if res.Total == int64(len(res.Events)) {
		// Every match is in hand (a narrow search such as a rare word):
		// the histogram and summaries come from them, not from two more
		// scans of the range.
		out.Histogram, out.Fields = extrasOf(res.Events, out.Span, 5)
		return out, nil
	}
	hq, sq, ok, err := CompileExtras(q, req.Query, out.Span, 5)
	if err != nil || !ok {
		return out, err
	}
	h, err := es.Query(ctx, req.Tenant, req.From, req.To, hq)
	if err != nil {
		return out, fmt.Errorf("histogram: %w", err)
	}
	out.Histogram = make([]Bucket, 0, len(h.Rows))
	for _, r := range h.Rows {
		t, _ := r[0].(time.Time)
		n, _ := r[1].(int64)
		out.Histogram = append(out.Histogram, Bucket{Time: t, Count: n})
	}
	s, err := es.Query(ctx, req.Tenant, req.From, req.To, sq)
	if err != nil {
		return out, fmt.Errorf("field summaries: %w", err)
	}
	out.Fields = []FieldSummary{}
	for _, r := range s.Rows {
		col, _ := r[0].(string)
		field := FieldForColumn(col)
		if len(out.Fields) == 0 || out.Fields[len(out.Fields)-1].Field != field {
			out.Fields = append(out.Fields, FieldSummary{Field: field})
		}
		n, _ := r[2].(int64)
		last := &out.Fields[len(out.Fields)-1]
		last.Top = append(last.Top, ValueCount{Value: event.String(r[1]), Count: n})
	}
	out.Sampled = out.Total > SummarySample
	return out, nil
}

// HistogramSpan picks a bucket width giving at most about 100 bars for the
// range: the smallest of 1m, 5m, 15m, 1h, 3h, 12h, 1d, 7d that fits.
func HistogramSpan(from, to time.Time) time.Duration {
	if from.IsZero() || to.IsZero() {
		return 24 * time.Hour
	}
	d := to.Sub(from)
	for _, s := range []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour,
		3 * time.Hour, 12 * time.Hour, 24 * time.Hour} {
		if d/s <= 100 {
			return s
		}
	}
	return 7 * 24 * time.Hour
}

// ParseTime reads a time given beside a query: RFC 3339, a date, "now", or
// a time relative to now (-24h, -15m, -7d, now-1h).
func ParseTime(v string, now time.Time) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if v == "now" {
		return now.UTC(), nil
	}
	if t, ok := absoluteTime(v); ok {
		return t, nil
	}
	rel, ok := strings.CutPrefix(v, "now-")
	if !ok {
		rel, ok = strings.CutPrefix(v, "-")
	}
	if ok && len(rel) >= 2 {
		if d, err := parseSpan(rel); err == nil {
			return now.Add(-d).UTC(), nil
		}
		if d, err := time.ParseDuration(rel); err == nil && d > 0 {
			return now.Add(-d).UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time: use RFC 3339 (2026-01-02T15:04:05Z), a date (2026-01-02) or a relative time (-24h, -7d, -15m)", v)
}

// absoluteTime reads RFC 3339, or a date and time or a date alone (UTC).
func absoluteTime(v string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
