package hunt

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse: no input panics the parser or the compiler; errors point
// inside the query; what parses prints back to a query that parses to the
// same tree; compiled SQL has one argument per placeholder.
func FuzzParse(f *testing.F) {
	for _, s := range compileCases {
		f.Add(s)
	}
	for _, s := range []string{
		`a:"b\"c" OR (d:[1 TO "x y"] NOT e:/f\/g/)`, "| where a != b | stats count() as n by a | where n >= 2",
		"x:1.2.3.4/24 y:* z:>=-1.5e3", "((((a))))", "a:b:c:d", `"\\`, "| timechart span=90s count() by x | head 1",
		"NOT NOT NOT a", "| top 5 a | rare 3 count", "a:[* TO 5] | fields a, b | dedup b | sort -a",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		q, err := Parse(in)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q): error %v is not an *Error", in, err)
			}
			if len(in) <= MaxQueryLength && (e.Column() < 1 || e.Column() > utf8.RuneCountInString(in)+1) {
				t.Fatalf("Parse(%q): column %d outside the query", in, e.Column())
			}
			return
		}
		printed := q.String()
		again, err := Parse(printed)
		if err != nil {
			t.Fatalf("Parse(%q) printed %q which does not parse: %v", in, printed, err)
		}
		if again.String() != printed {
			t.Fatalf("Parse(%q) printed %q, which reparses as %q", in, printed, again.String())
		}
		cq, err := Compile(q, in, Options{})
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Compile(%q): error %v is not an *Error", in, err)
			}
			return
		}
		if n := strings.Count(cq.Where, "?"); n != len(cq.WhereArgs) {
			t.Fatalf("Compile(%q): %d placeholders in the filter, %d arguments", in, n, len(cq.WhereArgs))
		}
		if n := strings.Count(cq.SQL, "?"); n != len(cq.Args) {
			t.Fatalf("Compile(%q): %d placeholders, %d arguments", in, n, len(cq.Args))
		}
		if n := strings.Count(cq.CountSQL, "?"); n != len(cq.CountArgs) {
			t.Fatalf("Compile(%q): %d placeholders in the count, %d arguments", in, n, len(cq.CountArgs))
		}
	})
}
