// Package correlate evaluates Sigma correlation rules (event_count,
// value_count, temporal, temporal_ordered, value_sum, value_avg,
// value_percentile) over a stream of rule matches.
//
// The caller (the Sigma engine) reports each base rule match with Observe;
// correlate keeps, per correlation rule and group-by key, the observations of
// the last timespan and emits a correlation match when the condition holds.
// A correlation that fires is itself observed, so correlations can chain.
//
// State is bounded: at most MaxGroups group keys per rule (least recently
// used evicted), at most MaxEntries observations per group (oldest dropped),
// and observations older than the group's newest minus the timespan are
// expired. Every eviction is counted (Stats). Out-of-order observations
// within the timespan are inserted in time order.
//
// This package must never read events beyond the fields the rules name,
// never do I/O, and never grow without bound.
package correlate

import (
	"container/list"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/yagura-soc/yagura/internal/detect"
	"github.com/yagura-soc/yagura/internal/event"
)

// Types of correlation.
const (
	EventCount      = "event_count"
	ValueCount      = "value_count"
	Temporal        = "temporal"
	TemporalOrdered = "temporal_ordered"
	ValueSum        = "value_sum"
	ValueAvg        = "value_avg"
	ValuePercentile = "value_percentile"
)

// Rule is one correlation rule with its references resolved to keys.
type Rule struct {
	Key            string // unique key other correlations refer to (id, or name)
	ID, Title      string
	Level          string
	Tags           []string
	FalsePositives []string

	Type string
	// Rules are the keys of the referenced rules (base rules or other
	// correlations), in order (temporal_ordered).
	Rules    []string
	GroupBy  []string
	Timespan time.Duration
	// Field is aggregated by value_count / value_sum / value_avg /
	// value_percentile.
	Field      string
	Percentile float64
	// Condition maps gt gte lt lte eq neq to thresholds, AND-ed.
	Condition map[string]float64
	// Aliases maps alias -> referenced rule key -> field name.
	Aliases map[string]map[string]string
	// Silent correlations feed the correlations that refer to them but emit
	// no match of their own (Sigma "generate: false" on the outer rule).
	Silent bool
}

// FieldFunc reads a field of an event as text.
type FieldFunc func(ev *event.Event, name string) (string, bool)

// Options bound the state.
type Options struct {
	MaxGroups  int       // group keys kept per rule; default 10000
	MaxEntries int       // observations kept per group; default 1000
	MaxEvents  int       // contributing events carried by a match; default 32
	Field      FieldFunc // default: event.GetString
}

// Stats counts what the engine had to drop.
type Stats struct {
	GroupEvictions uint64 // groups dropped because MaxGroups was reached
	EntryEvictions uint64 // observations dropped because MaxEntries was reached
	Late           uint64 // observations older than their group's window
	Fired          uint64 // correlation matches emitted
}

// Add returns the counters of s and o summed.
func (s Stats) Add(o Stats) Stats {
	return Stats{GroupEvictions: s.GroupEvictions + o.GroupEvictions, EntryEvictions: s.EntryEvictions + o.EntryEvictions,
		Late: s.Late + o.Late, Fired: s.Fired + o.Fired}
}

// Engine holds correlation state. It is safe for concurrent use.
type Engine struct {
	opts   Options
	rules  []*ruleState
	byRef  map[string][]*ruleState // referenced key -> correlations using it
	groupE atomic.Uint64
	entryE atomic.Uint64
	late   atomic.Uint64
	fired  atomic.Uint64
}

type ruleState struct {
	rule   Rule
	index  map[string]int // referenced key -> position in Rules
	mu     sync.Mutex
	groups map[string]*list.Element
	lru    *list.List // of *group, most recent first
}

type group struct {
	key     string
	values  map[string]string
	entries []entry // sorted by time
	newest  time.Time
	// recent holds the last MaxEvents events only, so the state does not
	// keep every counted event alive.
	recent []recentEvent
}

type entry struct {
	at    time.Time
	key   string // the referenced rule that was observed
	ref   int    // its first position in Rules
	value string
	num   float64
}

type recentEvent struct {
	at time.Time
	ev *event.Event
}

// New validates rules and builds an engine.
func New(rules []Rule, opts Options) (*Engine, error) {
	if opts.MaxGroups <= 0 {
		opts.MaxGroups = 10000
	}
	if opts.MaxEntries <= 0 {
		opts.MaxEntries = 1000
	}
	if opts.MaxEvents <= 0 {
		opts.MaxEvents = 32
	}
	if opts.Field == nil {
		opts.Field = func(ev *event.Event, name string) (string, bool) { return ev.GetString(name) }
	}
	e := &Engine{opts: opts, byRef: make(map[string][]*ruleState)}
	keys := make(map[string]*Rule, len(rules))
	for i := range rules {
		r := &rules[i]
		if err := validate(r); err != nil {
			return nil, fmt.Errorf("correlate: rule %s: %w", r.Key, err)
		}
		if _, dup := keys[r.Key]; dup {
			return nil, fmt.Errorf("correlate: duplicate rule key %q", r.Key)
		}
		keys[r.Key] = r
	}
	if err := checkCycles(keys); err != nil {
		return nil, err
	}
	for _, r := range rules {
		rs := &ruleState{rule: r, index: make(map[string]int), groups: make(map[string]*list.Element), lru: list.New()}
		for i, ref := range r.Rules {
			if _, seen := rs.index[ref]; !seen {
				rs.index[ref] = i
				e.byRef[ref] = append(e.byRef[ref], rs)
			}
		}
		e.rules = append(e.rules, rs)
	}
	return e, nil
}

func validate(r *Rule) error {
	if r.Key == "" {
		return errors.New("empty key")
	}
	if len(r.Rules) == 0 {
		return errors.New("no referenced rules")
	}
	if r.Timespan <= 0 {
		return errors.New("timespan must be positive")
	}
	switch r.Type {
	case EventCount, Temporal, TemporalOrdered:
	case ValueCount, ValueSum, ValueAvg:
		if r.Field == "" {
			return fmt.Errorf("%s needs a field", r.Type)
		}
	case ValuePercentile:
		if r.Field == "" || r.Percentile <= 0 || r.Percentile > 100 {
			return errors.New("value_percentile needs a field and a percentile in (0, 100]")
		}
	default:
		return fmt.Errorf("unsupported correlation type %q", r.Type)
	}
	if len(r.Condition) == 0 {
		return errors.New("no condition")
	}
	for op := range r.Condition {
		switch op {
		case "gt", "gte", "lt", "lte", "eq", "neq":
		default:
			return fmt.Errorf("unknown condition operator %q", op)
		}
	}
	return nil
}

// checkCycles rejects correlation chains that refer back to themselves.
func checkCycles(keys map[string]*Rule) error {
	const (
		visiting = 1
		done     = 2
	)
	state := make(map[string]int)
	var visit func(k string, path []string) error
	visit = func(k string, path []string) error {
		switch state[k] {
		case visiting:
			return fmt.Errorf("correlate: cycle in correlation chain: %s", strings.Join(append(path, k), " -> "))
		case done:
			return nil
		}
		r, ok := keys[k]
		if !ok {
			return nil // a base rule
		}
		state[k] = visiting
		for _, ref := range r.Rules {
			if err := visit(ref, append(path, k)); err != nil {
				return err
			}
		}
		state[k] = done
		return nil
	}
	for k := range keys {
		if err := visit(k, nil); err != nil {
			return err
		}
	}
	return nil
}

// Uses reports whether any correlation refers to key.
func (e *Engine) Uses(key string) bool { return len(e.byRef[key]) > 0 }

// Stats returns the eviction and firing counters.
func (e *Engine) Stats() Stats {
	return Stats{GroupEvictions: e.groupE.Load(), EntryEvictions: e.entryE.Load(), Late: e.late.Load(), Fired: e.fired.Load()}
}

// observation is one occurrence of a referenced rule.
type observation struct {
	key    string
	at     time.Time
	tenant string
	events []*event.Event
	// field reads a field of the observation: from the event for a base
	// rule, from the group-by values for a chained correlation.
	field func(name string) (string, bool)
}

// Observe reports that the rule with the given key matched ev (at the
// event's timestamp) and appends the correlation matches this completes.
func (e *Engine) Observe(key string, ev *event.Event, out []detect.Match) []detect.Match {
	if len(e.byRef[key]) == 0 || ev == nil {
		return out
	}
	at := ev.Timestamp
	if at.IsZero() {
		at = ev.Ingested
	}
	obs := observation{key: key, at: at, tenant: ev.Tenant, events: []*event.Event{ev},
		field: func(name string) (string, bool) { return e.opts.Field(ev, name) }}
	return e.observe(obs, out, 0)
}

// maxChainDepth bounds chained firing (cycles are rejected by New; this
// guards against very long chains).
const maxChainDepth = 16

func (e *Engine) observe(obs observation, out []detect.Match, depth int) []detect.Match {
	if depth > maxChainDepth {
		return out
	}
	for _, rs := range e.byRef[obs.key] {
		m, ok := e.update(rs, obs)
		if !ok {
			continue
		}
		if !rs.rule.Silent {
			e.fired.Add(1)
			out = append(out, m)
		}
		if len(e.byRef[rs.rule.Key]) > 0 {
			gb := m.GroupBy
			chained := observation{key: rs.rule.Key, at: m.Time, tenant: obs.tenant, events: m.Events,
				field: func(name string) (string, bool) { v, ok := gb[name]; return v, ok }}
			out = e.observe(chained, out, depth+1)
		}
	}
	return out
}

// update records obs in rs's state and returns a match when the condition
// holds.
func (e *Engine) update(rs *ruleState, obs observation) (detect.Match, bool) {
	r := &rs.rule
	ref := rs.index[obs.key]
	// The group's key and values are built in stack buffers: the key is
	// copied and the values map made only when the group is new.
	var keyBuf [256]byte
	var valBuf [8]string
	gk, values := append(keyBuf[:0], obs.tenant...), valBuf[:0]
	for _, name := range r.GroupBy {
		field := name
		if alias, ok := r.Aliases[name]; ok {
			if f, ok := alias[obs.key]; ok {
				field = f
			}
		}
		v, ok := obs.field(field)
		if !ok {
			return detect.Match{}, false // cannot be grouped: not counted
		}
		values = append(values, v)
		gk = append(append(gk, 0), v...)
	}
	en := entry{at: obs.at, key: obs.key, ref: ref}
	switch r.Type {
	case ValueCount, ValueSum, ValueAvg, ValuePercentile:
		v, ok := obs.field(r.Field)
		if !ok {
			return detect.Match{}, false
		}
		en.value = v
		if r.Type != ValueCount {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				return detect.Match{}, false
			}
			en.num = f
		}
	}

	rs.mu.Lock()
	defer rs.mu.Unlock()
	g := rs.touch(e, gk, values)
	if !g.newest.IsZero() && obs.at.Before(g.newest.Add(-r.Timespan)) {
		e.late.Add(1)
		return detect.Match{}, false
	}
	late := obs.at.Before(g.newest)
	g.insert(en)
	for _, ev := range obs.events {
		g.remember(recentEvent{at: obs.at, ev: ev}, e.opts.MaxEvents)
	}
	if obs.at.After(g.newest) {
		g.newest = obs.at
	}
	g.expire(r.Timespan)
	if over := len(g.entries) - e.opts.MaxEntries; over > 0 {
		g.entries = append(g.entries[:0], g.entries[over:]...)
		e.entryE.Add(uint64(over))
	}
	// The window ending at the new observation; for a late arrival also the
	// one starting at it, which holds the observations that came before it.
	windows := [][2]time.Time{{obs.at.Add(-r.Timespan), obs.at}}
	if late {
		windows = append(windows, [2]time.Time{obs.at, obs.at.Add(r.Timespan)})
	}
	for _, w := range windows {
		lo, hi := g.span(w[0], w[1])
		if lo >= hi {
			continue
		}
		value, ok := aggregate(r, g.entries[lo:hi])
		if !ok || !conditionHolds(r.Condition, value) {
			continue
		}
		m := e.match(r, g, lo, hi, value, obs.tenant)
		// Start afresh: the same occurrences must not fire again.
		g.entries = g.entries[:0]
		g.recent = g.recent[:0]
		return m, true
	}
	return detect.Match{}, false
}

// touch returns the group of key, creating it (values are the group-by
// values in rule order) and evicting the least recent group at the cap.
func (rs *ruleState) touch(e *Engine, key []byte, values []string) *group {
	if el, ok := rs.groups[string(key)]; ok {
		rs.lru.MoveToFront(el)
		return el.Value.(*group)
	}
	if rs.lru.Len() >= e.opts.MaxGroups {
		oldest := rs.lru.Back()
		rs.lru.Remove(oldest)
		delete(rs.groups, oldest.Value.(*group).key)
		e.groupE.Add(1)
	}
	g := &group{key: string(key), values: make(map[string]string, len(values))}
	for i, name := range rs.rule.GroupBy {
		g.values[name] = values[i]
	}
	rs.groups[g.key] = rs.lru.PushFront(g)
	return g
}

// remember keeps the newest max events, in time order.
func (g *group) remember(re recentEvent, max int) {
	i := sort.Search(len(g.recent), func(i int) bool { return g.recent[i].at.After(re.at) })
	if len(g.recent) >= max {
		if i == 0 {
			return // older than everything kept
		}
		copy(g.recent, g.recent[1:i])
		g.recent[i-1] = re
		return
	}
	g.recent = append(g.recent, recentEvent{})
	copy(g.recent[i+1:], g.recent[i:])
	g.recent[i] = re
}

func (g *group) insert(en entry) {
	i := sort.Search(len(g.entries), func(i int) bool { return g.entries[i].at.After(en.at) })
	g.entries = append(g.entries, entry{})
	copy(g.entries[i+1:], g.entries[i:])
	g.entries[i] = en
}

// expire drops observations that can no longer share a window with the
// newest one.
func (g *group) expire(span time.Duration) {
	cut := g.newest.Add(-span)
	i := sort.Search(len(g.entries), func(i int) bool { return !g.entries[i].at.Before(cut) })
	if i > 0 {
		g.entries = append(g.entries[:0], g.entries[i:]...)
	}
}

// span returns the index range of observations with lo <= at <= hi.
func (g *group) span(lo, hi time.Time) (int, int) {
	a := sort.Search(len(g.entries), func(i int) bool { return !g.entries[i].at.Before(lo) })
	b := sort.Search(len(g.entries), func(i int) bool { return g.entries[i].at.After(hi) })
	return a, b
}

// aggregate computes the value the condition is applied to.
func aggregate(r *Rule, es []entry) (float64, bool) {
	switch r.Type {
	case EventCount:
		return float64(len(es)), true
	case ValueCount:
		distinct := make(map[string]struct{}, len(es))
		for _, en := range es {
			distinct[en.value] = struct{}{}
		}
		return float64(len(distinct)), true
	case ValueSum, ValueAvg:
		sum := 0.0
		for _, en := range es {
			sum += en.num
		}
		if r.Type == ValueAvg {
			return sum / float64(len(es)), true
		}
		return sum, true
	case ValuePercentile:
		nums := make([]float64, len(es))
		for i, en := range es {
			nums[i] = en.num
		}
		sort.Float64s(nums)
		// Nearest-rank percentile.
		rank := int(math.Ceil(r.Percentile / 100 * float64(len(nums))))
		return nums[max(rank, 1)-1], true
	case Temporal:
		seen := make(map[int]struct{}, len(r.Rules))
		for _, en := range es {
			seen[en.ref] = struct{}{}
		}
		return float64(len(seen)), true
	case TemporalOrdered:
		// Longest prefix of the rule order found as a time-ordered
		// subsequence; greedy earliest choice is optimal.
		next := 0
		for _, en := range es {
			if next < len(r.Rules) && en.key == r.Rules[next] {
				next++
			}
		}
		return float64(next), true
	}
	return 0, false
}

func conditionHolds(cond map[string]float64, v float64) bool {
	for op, want := range cond {
		var ok bool
		switch op {
		case "gt":
			ok = v > want
		case "gte":
			ok = v >= want
		case "lt":
			ok = v < want
		case "lte":
			ok = v <= want
		case "eq":
			ok = v == want
		case "neq":
			ok = v != want
		}
		if !ok {
			return false
		}
	}
	return true
}

func (e *Engine) match(r *Rule, g *group, lo, hi int, value float64, tenant string) detect.Match {
	es := g.entries[lo:hi]
	first, last := es[0].at, es[len(es)-1].at
	var events []*event.Event
	for _, re := range g.recent {
		if !re.at.Before(first) && !re.at.After(last) && (len(events) == 0 || events[len(events)-1] != re.ev) {
			events = append(events, re.ev)
		}
	}
	gb := make(map[string]string, len(g.values))
	for k, v := range g.values {
		gb[k] = v
	}
	return detect.Match{
		Tenant: tenant, RuleID: r.ID, RuleTitle: r.Title, Level: r.Level,
		Tags: r.Tags, FalsePositives: r.FalsePositives,
		Time: last, Events: events, Correlation: true, GroupBy: gb,
		Fields: event.Fields{
			"correlation.type":  r.Type,
			"correlation.value": value,
			"correlation.count": int64(len(es)),
		},
	}
}
