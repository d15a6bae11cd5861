package alert

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/yagura-soc/yagura/internal/detect"
	"github.com/yagura-soc/yagura/internal/store"
)

// Condition operators of a suppression.
var conditionOps = []string{"equals", "not_equals", "contains", "prefix", "suffix", "in", "cidr"}

// ValidateSuppression reports what is wrong with a suppression, or nil.
func ValidateSuppression(s store.Suppression) error {
	if strings.TrimSpace(s.Reason) == "" {
		return fmt.Errorf("a suppression needs a reason: say why these matches are not worth an alert")
	}
	if len(s.Conditions) == 0 && s.RuleID == "" {
		return fmt.Errorf("a suppression needs a rule_id or at least one condition; one with neither would hide every alert")
	}
	for i, c := range s.Conditions {
		if c.Field == "" {
			return fmt.Errorf("condition %d: field is empty", i+1)
		}
		op := c.Op
		if op == "" {
			op = "equals"
		}
		if !slices.Contains(conditionOps, op) {
			return fmt.Errorf("condition %d: op %q: use one of %v", i+1, c.Op, conditionOps)
		}
		if op == "cidr" {
			if _, err := netip.ParsePrefix(c.Value); err != nil {
				return fmt.Errorf("condition %d: %q is not a CIDR prefix (e.g. 10.0.0.0/8)", i+1, c.Value)
			}
		}
		if op == "in" && len(c.Any) == 0 {
			return fmt.Errorf("condition %d: op in needs a non-empty any list", i+1)
		}
	}
	return nil
}

// suppressor holds a tenant's active suppressions indexed by rule, so a
// match is only tested against the ones that can apply to it.
type suppressor struct {
	byRule  map[string][]compiled
	anyRule []compiled
}

type compiled struct {
	id    string
	conds []compiledCond
}

type compiledCond struct {
	field, op, value string
	any              []string
	prefix           netip.Prefix
}

func newSuppressor(sups []store.Suppression) *suppressor {
	s := &suppressor{byRule: map[string][]compiled{}}
	for _, sup := range sups {
		if ValidateSuppression(sup) != nil {
			continue // a stored suppression that no longer validates suppresses nothing
		}
		c := compiled{id: sup.ID}
		for _, cond := range sup.Conditions {
			cc := compiledCond{field: cond.Field, op: cond.Op, value: strings.ToLower(cond.Value)}
			if cc.op == "" {
				cc.op = "equals"
			}
			for _, a := range cond.Any {
				cc.any = append(cc.any, strings.ToLower(a))
			}
			if cc.op == "cidr" {
				cc.prefix, _ = netip.ParsePrefix(cond.Value)
			}
			c.conds = append(c.conds, cc)
		}
		if sup.RuleID == "" {
			s.anyRule = append(s.anyRule, c)
		} else {
			s.byRule[sup.RuleID] = append(s.byRule[sup.RuleID], c)
		}
	}
	return s
}

// match returns the id of the first suppression the match satisfies, or "".
func (s *suppressor) match(m detect.Match, entities map[string]string) string {
	if s == nil {
		return ""
	}
	for _, list := range [][]compiled{s.byRule[m.RuleID], s.anyRule} {
		for _, c := range list {
			if c.matches(m, entities) {
				return c.id
			}
		}
	}
	return ""
}

func (c compiled) matches(m detect.Match, entities map[string]string) bool {
	for _, cond := range c.conds {
		v, ok := lookup(m, entities, cond.field)
		if !cond.test(v, ok) {
			return false
		}
	}
	return true
}

// lookup resolves a field on a match: its entities, then its events, then
// the detector's facts, then the rule itself.
func lookup(m detect.Match, entities map[string]string, field string) (string, bool) {
	if v, ok := entities[field]; ok {
		return v, true
	}
	for _, ev := range m.Events {
		if v, ok := ev.GetString(field); ok {
			return v, true
		}
	}
	if v, ok := m.Fields[field]; ok {
		return fmt.Sprint(v), true
	}
	switch field {
	case "rule.id":
		return m.RuleID, true
	case "rule.name", "rule.title":
		return m.RuleTitle, true
	}
	return "", false
}

func (c compiledCond) test(v string, present bool) bool {
	if c.op == "not_equals" {
		return !present || !strings.EqualFold(v, c.value)
	}
	if !present {
		return false
	}
	lv := strings.ToLower(v)
	switch c.op {
	case "equals":
		return lv == c.value
	case "contains":
		return strings.Contains(lv, c.value)
	case "prefix":
		return strings.HasPrefix(lv, c.value)
	case "suffix":
		return strings.HasSuffix(lv, c.value)
	case "in":
		return slices.Contains(c.any, lv)
	case "cidr":
		addr, err := netip.ParseAddr(v)
		return err == nil && c.prefix.Contains(addr.Unmap())
	}
	return false
}

// SuppressionFor builds the suppression "alerts like this one": the same
// rule on the same grouping entities (the fields of its fingerprint).
func SuppressionFor(a store.Alert, groupBy []string) store.Suppression {
	sup := store.Suppression{RuleID: a.RuleID, FromAlert: a.ID, Conditions: []store.Condition{}}
	for _, f := range groupBy {
		if v, ok := a.Entities[f]; ok && v != "" {
			sup.Conditions = append(sup.Conditions, store.Condition{Field: f, Op: "equals", Value: v})
		}
	}
	return sup
}
