package hunt

import (
	"sort"
	"strings"
	"time"
)

// PivotQuery is the hunt that finds the events of some entities (an
// alert's host and user, a case observable): one field:"value" term per
// entity, ANDed, values quoted so that any text is taken literally.
// Fields are sorted so the same entities always give the same query.
func PivotQuery(entities map[string]string) string {
	fields := make([]string, 0, len(entities))
	for f, v := range entities {
		if pivotField(f) && v != "" {
			fields = append(fields, f)
		}
	}
	sort.Strings(fields)
	terms := make([]string, len(fields))
	for i, f := range fields {
		terms[i] = f + ":" + quote(entities[f])
	}
	return strings.Join(terms, " ")
}

// pivotField: a field name the language can write unquoted.
func pivotField(f string) bool {
	return f != "" && !strings.ContainsAny(f, " \t\r\n()|\":")
}

// PivotRange widens [first, last] by margin on both sides, the window a
// pivot from an alert opens.
func PivotRange(first, last time.Time, margin time.Duration) (time.Time, time.Time) {
	return first.Add(-margin), last.Add(margin)
}
