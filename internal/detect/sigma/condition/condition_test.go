package condition

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"selection", "selection"},
		{"sel1 and sel2", "(sel1 and sel2)"},
		{"sel1 or sel2", "(sel1 or sel2)"},
		{"not sel", "not sel"},
		{"a or b and c", "(a or (b and c))"},
		{"a and b or c", "((a and b) or c)"},
		{"not a and b", "(not a and b)"},
		{"not (a and b)", "not (a and b)"},
		{"(a or b) and c", "((a or b) and c)"},
		{"a and not b and not c", "(a and not b and not c)"},
		{"1 of selection*", "1 of selection*"},
		{"all of selection_*", "all of selection_*"},
		{"1 of them", "1 of them"},
		{"all of them", "all of them"},
		{"2 of sel*", "2 of sel*"},
		{"selection and not 1 of filter_*", "(selection and not 1 of filter_*)"},
		{"all of sel_* and not 1 of filter_main_*", "(all of sel_* and not 1 of filter_main_*)"},
		{"SELECTION AND NOT Filter", "(SELECTION and not Filter)"},
		{"not not a", "not not a"},
		{"((a))", "a"},
		{"sel-1 or sel.2", "(sel-1 or sel.2)"},
		{"a\tand\nb", "(a and b)"},
	}
	for _, tt := range tests {
		n, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if got := n.String(); got != tt.want {
			t.Errorf("Parse(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in     string
		column int
		msg    string
	}{
		{"", 1, "found end of condition"},
		{"a and", 6, "found end of condition"},
		{"a b", 3, "unexpected identifier \"b\""},
		{"(a or b", 8, "expected ')' to close '(' at column 1"},
		{"a)", 2, "unexpected ')'"},
		{"1 selection", 3, "expected 'of'"},
		{"all of", 7, "after 'of'"},
		{"0 of x*", 1, "positive number"},
		{"sel*", 1, "wildcard identifier"},
		{"selection | count() > 5", 11, "aggregation"},
		{"a & b", 3, "unexpected character '&'"},
		{"not", 4, "found end of condition"},
		{"a and (b or not)", 16, "found ')'"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in)
		var perr *Error
		if !errors.As(err, &perr) {
			t.Errorf("Parse(%q) error = %v, want *Error", tt.in, err)
			continue
		}
		if perr.Column != tt.column || !strings.Contains(perr.Msg, tt.msg) {
			t.Errorf("Parse(%q) = column %d %q, want column %d containing %q", tt.in, perr.Column, perr.Msg, tt.column, tt.msg)
		}
	}
}

func TestParseDepthLimit(t *testing.T) {
	deep := strings.Repeat("(", MaxDepth+5) + "a" + strings.Repeat(")", MaxDepth+5)
	if _, err := Parse(deep); err == nil || !strings.Contains(err.Error(), "nested deeper") {
		t.Fatalf("deep nesting: err = %v, want depth error", err)
	}
	nots := strings.Repeat("not ", MaxDepth+5) + "a"
	if _, err := Parse(nots); err == nil {
		t.Fatal("deep not chain: want depth error")
	}
}

// FuzzParse checks that no input panics and that every accepted condition
// renders to a form that parses to the same tree.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"selection", "a and not (b or c)", "1 of sel*", "all of them", "x | count() > 1", "((a)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		n, err := Parse(in)
		if err != nil {
			return
		}
		again, err := Parse(n.String())
		if err != nil {
			t.Fatalf("rendered %q of %q does not parse: %v", n.String(), in, err)
		}
		if again.String() != n.String() {
			t.Fatalf("round trip of %q: %q != %q", in, again.String(), n.String())
		}
	})
}
