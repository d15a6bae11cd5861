package sigma

import (
	"fmt"

	"github.com/yagura-soc/yagura/internal/detect/correlate"
	"github.com/yagura-soc/yagura/internal/event"
)

// ruleKey is how correlations address a rule: its id, else its name.
func ruleKey(r *Rule) string {
	if r.ID != "" {
		return r.ID
	}
	if r.Name != "" {
		return r.Name
	}
	return r.Title
}

// referenceTable maps every id and name of the set's rules and correlations
// to the rule's key.
func referenceTable(set *RuleSet) map[string]string {
	refs := make(map[string]string)
	for _, list := range [][]*Rule{set.Rules, set.Correlations} {
		for _, r := range list {
			key := ruleKey(r)
			refs[key] = key
			if r.ID != "" {
				refs[r.ID] = key
			}
			if r.Name != "" {
				refs[r.Name] = key
			}
		}
	}
	return refs
}

// checkCorrelationRefs reports the first reference that names no rule.
func checkCorrelationRefs(c *Rule, refs map[string]string) error {
	for _, ref := range c.Correlation.Rules {
		if _, ok := refs[ref]; !ok {
			return fmt.Errorf("correlation refers to unknown rule %q (load it together with the correlation)", ref)
		}
	}
	return nil
}

func (e *Engine) buildCorrelations(set *RuleSet, opts correlate.Options, generateAll bool) error {
	if len(set.Correlations) == 0 {
		return nil
	}
	refs := referenceTable(set)
	// generated[k] is true when some correlation referring to k asks for
	// k's own matches; referenced[k] when any correlation refers to it.
	generated := make(map[string]bool)
	referenced := make(map[string]bool)
	var rules []correlate.Rule
	for _, c := range set.Correlations {
		if err := checkCorrelationRefs(c, refs); err != nil {
			return fmt.Errorf("sigma: correlation %s (%s): %w", c.Title, c.Path, err)
		}
		cr := correlate.Rule{
			Key: ruleKey(c), ID: c.ID, Title: c.Title, Level: c.Level, Tags: c.Tags, FalsePositives: c.FalsePositives,
			Type: c.Correlation.Type, GroupBy: c.Correlation.GroupBy, Timespan: c.Correlation.Timespan,
			Field: c.Correlation.Field, Percentile: c.Correlation.Percentile, Condition: c.Correlation.Condition,
		}
		for _, ref := range c.Correlation.Rules {
			key := refs[ref]
			cr.Rules = append(cr.Rules, key)
			referenced[key] = true
			generated[key] = generated[key] || c.Correlation.Generate
		}
		if len(c.Correlation.Aliases) > 0 {
			cr.Aliases = make(map[string]map[string]string, len(c.Correlation.Aliases))
			for alias, perRule := range c.Correlation.Aliases {
				m := make(map[string]string, len(perRule))
				for ref, field := range perRule {
					if key, ok := refs[ref]; ok {
						m[key] = field
					}
				}
				cr.Aliases[alias] = m
			}
		}
		rules = append(rules, cr)
	}
	for i := range rules {
		rules[i].Silent = !generateAll && referenced[rules[i].Key] && !generated[rules[i].Key]
	}
	if opts.Field == nil {
		e.corrKeys = make(map[string][]string)
		for _, r := range rules {
			names := append([]string{r.Field}, r.GroupBy...)
			for _, perRule := range r.Aliases {
				for _, f := range perRule {
					names = append(names, f)
				}
			}
			for _, name := range names {
				if _, ok := e.corrKeys[name]; !ok && name != "" {
					e.corrKeys[name] = e.candidates(name, nil)
				}
			}
		}
		opts.Field = e.fieldText
	}
	corr, err := correlate.New(rules, opts)
	if err != nil {
		return fmt.Errorf("sigma: %w", err)
	}
	e.corr = corr
	for _, r := range e.rules {
		r.key = ruleKey(r.rule)
		r.observed = corr.Uses(r.key)
		r.silent = !generateAll && referenced[r.key] && !generated[r.key]
	}
	return nil
}

// fieldText reads a field for correlation grouping the way rules read it:
// the native name, then its ECS fallbacks.
func (e *Engine) fieldText(ev *event.Event, name string) (string, bool) {
	keys, ok := e.corrKeys[name]
	if !ok {
		keys = e.candidates(name, nil)
	}
	for _, key := range keys {
		if v, ok := lookup(ev, key); ok && v != nil {
			return event.String(v), true
		}
	}
	return "", false
}
