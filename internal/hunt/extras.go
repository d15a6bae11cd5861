package hunt

import (
	"sort"
	"time"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/store/duckdb"
)

// bucketOrigin is where DuckDB's time_bucket starts counting buckets of
// days and shorter (a Monday), so that buckets computed here line up with
// those of the histogram query.
var bucketOrigin = time.Date(2000, 1, 3, 0, 0, 0, 0, time.UTC)

// extrasOf computes the histogram and field summaries of a search from all
// of its matches, as the histogram and summary queries of CompileExtras
// would: buckets of span in time order, and per summary field (in the
// order of its column's name) the topN values by count, then value.
func extrasOf(events []*event.Event, span time.Duration, topN int) ([]Bucket, []FieldSummary) {
	counts := map[time.Time]int64{}
	for _, ev := range events {
		d := ev.Timestamp.Sub(bucketOrigin)
		b := d - d%span
		if d%span < 0 {
			b -= span
		}
		counts[bucketOrigin.Add(b)]++
	}
	hist := make([]Bucket, 0, len(counts))
	for t, n := range counts {
		hist = append(hist, Bucket{Time: t, Count: n})
	}
	sort.Slice(hist, func(i, j int) bool { return hist[i].Time.Before(hist[j].Time) })

	type fieldCol struct{ field, col string }
	fields := make([]fieldCol, len(summaryFields))
	for i, f := range summaryFields {
		col, _ := duckdb.ColumnFor(f)
		fields[i] = fieldCol{f, col}
	}
	sort.Slice(fields, func(i, j int) bool { return fields[i].col < fields[j].col })
	sums := []FieldSummary{}
	for _, f := range fields {
		values := map[string]int64{}
		for _, ev := range events {
			// The typed column holds the ECS value as text, empty as NULL.
			v := ev.ECS[f.field]
			if v == nil {
				continue
			}
			if s := event.String(v); s != "" {
				values[s]++
			}
		}
		if len(values) == 0 {
			continue
		}
		top := make([]ValueCount, 0, len(values))
		for v, n := range values {
			top = append(top, ValueCount{Value: v, Count: n})
		}
		sort.Slice(top, func(i, j int) bool {
			if top[i].Count != top[j].Count {
				return top[i].Count > top[j].Count
			}
			return top[i].Value < top[j].Value
		})
		sums = append(sums, FieldSummary{Field: f.field, Top: top[:min(topN, len(top))]})
	}
	return hist, sums
}
