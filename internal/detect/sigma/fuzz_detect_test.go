package sigma

import (
	"fmt"
	"testing"

	"github.com/yagura-soc/yagura/internal/event"
)

// fuzzSelections exercise every matcher kind on the fields FuzzDetect
// fills; each becomes its own rule so the candidate index decides per rule.
var fuzzSelections = []string{
	`{A: 'a*b?c*'}`,
	`{A|contains|windash: [' -x ', 'foo', 'bar', 'baz', 'qux', 'quux', 'corge']}`,
	`{A|base64offset|contains: 'evil'}`,
	`{A|wide|base64offset|contains: 'cmd'}`,
	`{A|re|i: '^(x|y)+[0-9]{2,}$'}`,
	`{A|re: 'ab+c|d[e-g]'}`,
	`{A|re: '.{40,}'}`,
	`{A|startswith: ['abc', 'abd'], A|endswith: 'xyz'}`,
	`{A: ['one', 'two', 'three', 'four', 'fi*ve']}`,
	`{B|cidr: ['10.0.0.0/8', 'fe80::/10']}`,
	`{B|gte: 3}`,
	`{B|hour: 3}`,
	`{A|fieldref|contains: B}`,
	`{C|exists: true}`,
	`{C: null}`,
	`['needle', 'hay*stack', 'a?b']`,
}

func fuzzRuleSet(tb testing.TB) *RuleSet {
	set := &RuleSet{}
	for i, sel := range fuzzSelections {
		doc := fmt.Sprintf("title: fuzz %d\nid: ffffffff-0000-0000-0000-%012d\nlogsource: {product: test}\ndetection:\n  sel: %s\n  condition: sel\n", i, i, sel)
		rules, rej := ParseRules("fuzz.yml", []byte(doc))
		if len(rej) > 0 {
			tb.Fatal(rej)
		}
		set.Add(rules...)
	}
	return set
}

// FuzzDetect evaluates arbitrary field values: no input may panic, and the
// result must not depend on the order of evaluation.
func FuzzDetect(f *testing.F) {
	f.Add("a x b y c", "10.1.2.3", true)
	f.Add("ZXZpbA==", "2024-01-01T03:00:00Z", false)
	f.Add("xyxy12345", "fe80::1", true)
	f.Add("\xff\xfe\x00", "", false)
	set := fuzzRuleSet(f)
	eng, err := NewEngine(set, Options{EvaluateUnmapped: true})
	if err != nil {
		f.Fatal(err)
	}
	full, _ := NewEngine(set, Options{EvaluateUnmapped: true})
	full.noIndex = true
	f.Fuzz(func(t *testing.T, a, b string, withC bool) {
		ev := &event.Event{Raw: a + " " + b, Fields: event.Fields{"A": a, "B": b}}
		if withC {
			ev.Fields["C"] = []any{a, nil, int64(len(b))}
		}
		got, want := matchKeys(eng.Detect(ev, nil)), matchKeys(full.Detect(ev, nil))
		if got != want {
			t.Fatalf("indexed engine matched %q, full evaluation %q", got, want)
		}
	})
}
