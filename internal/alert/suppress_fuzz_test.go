package alert

import (
	"testing"

	"github.com/yagura-soc/yagura/internal/detect"
	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/store"
)

// Suppression conditions come from API clients and field values from
// attackers' logs: neither may make the alert stage panic.
func FuzzSuppression(f *testing.F) {
	for _, op := range []string{"equals", "cidr", "in", "prefix", "suffix", "contains", "not_equals", "", "regex"} {
		f.Add(op, "10.0.0.0/8", "10.1.2.3")
	}
	f.Add("cidr", "::ffff:10.0.0.0/104", "::ffff:10.1.2.3")
	f.Fuzz(func(t *testing.T, op, value, field string) {
		sup := store.Suppression{ID: "s", Reason: "fuzz", Conditions: []store.Condition{{Field: "source.ip", Op: op, Value: value, Any: []string{value}}}}
		m := detect.Match{RuleID: "r", Events: []*event.Event{{ECS: event.Fields{"source.ip": field}}}}
		got := newSuppressor([]store.Suppression{sup}).match(m, Entities(m))
		if got != "" && ValidateSuppression(sup) != nil {
			t.Errorf("an invalid suppression suppressed: %+v", sup)
		}
	})
}
