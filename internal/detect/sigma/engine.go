package sigma

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/yagura-soc/yagura/internal/detect"
	"github.com/yagura-soc/yagura/internal/detect/correlate"
	"github.com/yagura-soc/yagura/internal/event"
)

// Options configure an Engine. The zero value is ready to use.
type Options struct {
	// Logsources maps Sigma logsources to events; nil means the embedded
	// default (DefaultLogsourceConfig).
	Logsources *LogsourceConfig
	// Placeholders gives the values of %name% placeholders used with the
	// |expand modifier (see LoadPlaceholders). A placeholder without values
	// matches nothing.
	Placeholders map[string][]string
	// WildcardPlaceholders replaces placeholders without values by '*'
	// (pySigma's last-resort "wildcard_placeholders") instead of matching
	// nothing: such rules then fire more broadly.
	WildcardPlaceholders bool
	// GenerateAll emits the matches of rules that correlations refer to
	// even without "generate: true" (by default, per the Sigma spec, such
	// rules only feed their correlations). Useful to test rules one by one.
	GenerateAll bool
	// Correlation bounds the correlation state (zero values: defaults of
	// package correlate).
	Correlation correlate.Options
	// EvaluateUnmapped evaluates rules whose logsource has no mapping
	// against every event, instead of never. Useful for ad-hoc scans of
	// events that carry no event.dataset.
	EvaluateUnmapped bool
}

// OptionsFromFiles reads the operator's files: the values of |expand
// placeholders (LoadPlaceholders) and a logsource mapping layered over the
// defaults (LoadLogsourceConfig). An empty path leaves that option unset.
func OptionsFromFiles(placeholders, logsources string) (Options, error) {
	var opts Options
	var err error
	if placeholders != "" {
		if opts.Placeholders, err = LoadPlaceholders(placeholders); err != nil {
			return Options{}, err
		}
	}
	if logsources != "" {
		if opts.Logsources, err = LoadLogsourceConfig(logsources); err != nil {
			return Options{}, err
		}
	}
	return opts, nil
}

// Stats describes how a rule set was compiled.
type Stats struct {
	Rules    int // detection rules compiled
	Filters  int // filters applied to at least one rule
	Groups   int // distinct logsources
	Unmapped int // rules whose logsource selects no event
	// UnmappedLogsources counts unmapped rules per product/category/service.
	UnmappedLogsources map[string]int
	// UnresolvedPlaceholders counts |expand placeholders without values.
	UnresolvedPlaceholders map[string]int
	// Fields is the number of distinct Sigma field names referenced.
	Fields int
	// Duplicates counts documents skipped because an earlier one of the set
	// had the same id (sets merged from several loads are not validated
	// together).
	Duplicates int
}

// Engine evaluates compiled Sigma rules against events. It implements
// detect.Detector and is safe for concurrent use: compiled rules are
// immutable and per-event scratch space comes from a pool.
type Engine struct {
	rules    []*compiledRule
	groups   []*ruleGroup
	exact    map[string]*datasetIndex
	prefixes []prefixIndex
	// anyEvent holds groups evaluated for every event (unmapped rules when
	// Options.EvaluateUnmapped is set).
	anyEvent   []binding
	numFields  int
	stats      Stats
	pool       sync.Pool
	fallback   map[string][]string
	fieldNames []string
	corr       *correlate.Engine
	// corrKeys holds the candidate event keys of every field the
	// correlations group or aggregate by, resolved once at build time.
	corrKeys map[string][]string
	byID     map[string]*Rule // detection and correlation rules by id
	// noIndex evaluates every rule of a selected group (tests compare it
	// with the indexed path).
	noIndex bool
	// eventKeys are the event keys the engine may read, wholeEvent is set
	// when no list would do (EventKeys).
	eventKeys  []string
	wholeEvent bool
}

type compiledRule struct {
	rule  *Rule
	cond  matcher
	match detect.Match // template: rule metadata, copied into every match
	// key is the rule's correlation key; observed is set when a
	// correlation refers to the rule, silent when only correlations may
	// report it (Sigma generate: false).
	key      string
	observed bool
	silent   bool
}

type ruleGroup struct {
	idx   int
	ls    Logsource
	rules []*compiledRule
	index *groupIndex
}

// selector is a compiled Selector.
type selector struct {
	eventIDs []int64
	where    []whereCond
	resolve  [][]string // field id -> event keys to try
}

type whereCond struct {
	keys []string // the field, then its ECS fallbacks
	want string
}

type binding struct {
	group *ruleGroup
	sel   *selector
}

type datasetIndex struct {
	byCode map[int64][]binding
	any    []binding
}

// bindings yields every binding of the index, by code and for any code.
func (idx *datasetIndex) bindings(yield func(binding) bool) {
	for _, bs := range idx.byCode {
		for _, b := range bs {
			if !yield(b) {
				return
			}
		}
	}
	for _, b := range idx.any {
		if !yield(b) {
			return
		}
	}
}

type prefixIndex struct {
	prefix string
	idx    *datasetIndex
}

// NewEngine compiles a rule set. Rules that fail to compile (they were
// validated by the loader, so only placeholder expansion can still fail)
// make NewEngine return an error naming them.
func NewEngine(set *RuleSet, opts Options) (*Engine, error) {
	cfg := opts.Logsources
	if cfg == nil {
		var err error
		if cfg, err = defaultLogsources(); err != nil {
			return nil, fmt.Errorf("sigma: %w", err)
		}
	}
	set, duplicates := withoutDuplicates(set)
	comp := newCompiler(opts.Placeholders)
	comp.wildcardUnresolved = opts.WildcardPlaceholders
	e := &Engine{exact: make(map[string]*datasetIndex), fallback: cfg.Fallback}

	// Compile filters first; they are attached to the rules they name.
	type compiledFilter struct {
		rule *Rule
		cond matcher
		used bool
	}
	var filters []*compiledFilter
	for _, f := range set.Filters {
		m, err := comp.compileDetection(f.Filter.Detection)
		if err != nil {
			return nil, fmt.Errorf("sigma: filter %s (%s): %w", f.Title, f.Path, err)
		}
		filters = append(filters, &compiledFilter{rule: f, cond: m})
	}

	groupsByLS := make(map[Logsource]*ruleGroup)
	for _, r := range set.Rules {
		cond, err := comp.compileDetection(r.Detection)
		if err != nil {
			return nil, fmt.Errorf("sigma: rule %s (%s): %w", r.ID, r.Path, err)
		}
		for _, f := range filters {
			if filterApplies(f.rule, r) {
				cond = andMatcher{cond, f.cond}
				f.used = true
			}
		}
		cr := &compiledRule{rule: r, cond: cond, match: detect.Match{
			RuleID: r.ID, RuleTitle: r.Title, Level: r.Level, Tags: r.Tags, FalsePositives: r.FalsePositives,
		}}
		e.rules = append(e.rules, cr)
		key := r.Logsource
		key.Definition = ""
		g := groupsByLS[key]
		if g == nil {
			g = &ruleGroup{idx: len(e.groups), ls: key}
			groupsByLS[key] = g
			e.groups = append(e.groups, g)
		}
		g.rules = append(g.rules, cr)
	}
	for _, f := range filters {
		if f.used {
			e.stats.Filters++
		}
	}
	maxWords := 0
	for _, g := range e.groups {
		g.index = buildGroupIndex(g.rules)
		maxWords = max(maxWords, g.index.words)
	}
	e.fieldNames = comp.fieldNames
	e.numFields = len(comp.fieldNames)
	defaultResolve := e.resolveTable(nil)

	e.stats.UnmappedLogsources = make(map[string]int)
	for _, g := range e.groups {
		sels := cfg.resolve(g.ls)
		if len(sels) == 0 {
			e.stats.Unmapped += len(g.rules)
			e.stats.UnmappedLogsources[g.ls.String()] += len(g.rules)
			if opts.EvaluateUnmapped {
				e.anyEvent = append(e.anyEvent, binding{group: g, sel: &selector{resolve: defaultResolve}})
			}
			continue
		}
		for _, s := range sels {
			cs := &selector{eventIDs: s.EventID}
			if len(s.Rename) == 0 {
				cs.resolve = defaultResolve
			} else {
				cs.resolve = e.resolveTable(s.Rename)
			}
			for k, v := range s.Where {
				cs.where = append(cs.where, whereCond{keys: e.candidates(k, nil), want: v})
			}
			sort.Slice(cs.where, func(i, j int) bool { return cs.where[i].keys[0] < cs.where[j].keys[0] })
			e.index(s.Dataset, binding{group: g, sel: cs})
		}
	}
	customCorrelationField := opts.Correlation.Field != nil
	if err := e.buildCorrelations(set, opts.Correlation, opts.GenerateAll); err != nil {
		return nil, err
	}
	e.eventKeys, e.wholeEvent = e.collectEventKeys()
	e.wholeEvent = e.wholeEvent || comp.keywords || (customCorrelationField && e.corr != nil)
	e.byID = make(map[string]*Rule, len(set.Rules)+len(set.Correlations))
	for _, list := range [][]*Rule{set.Rules, set.Correlations} {
		for _, r := range list {
			if r.ID != "" {
				e.byID[r.ID] = r
			}
		}
	}
	e.stats.Duplicates = duplicates
	e.stats.Rules = len(e.rules)
	e.stats.Groups = len(e.groups)
	e.stats.Fields = e.numFields
	e.stats.UnresolvedPlaceholders = comp.unresolved
	numFields, numGroups := e.numFields, len(e.groups)
	e.pool.New = func() any {
		c := newEvalCtx(numFields, numGroups)
		c.candidates = make([]uint64, maxWords)
		return c
	}
	return e, nil
}

// withoutDuplicates drops documents whose id an earlier document of the
// same kind already has, so merging the same pack twice cannot break
// compilation.
func withoutDuplicates(set *RuleSet) (*RuleSet, int) {
	out := &RuleSet{}
	dropped := 0
	for _, list := range []struct {
		in  []*Rule
		out *[]*Rule
	}{{set.Rules, &out.Rules}, {set.Correlations, &out.Correlations}, {set.Filters, &out.Filters}} {
		seen := make(map[string]bool, len(list.in))
		for _, r := range list.in {
			if r.ID != "" && seen[r.ID] {
				dropped++
				continue
			}
			seen[r.ID] = true
			*list.out = append(*list.out, r)
		}
	}
	return out, dropped
}

// filterApplies reports whether a meta-filter tunes rule r: the filter must
// name the rule (by id, name or title, or name none) and its logsource must
// cover the rule's.
func filterApplies(f *Rule, r *Rule) bool {
	if !logsourceCompatible(f.Logsource, r.Logsource) {
		return false
	}
	if len(f.Filter.Rules) == 0 {
		return true
	}
	for _, ref := range f.Filter.Rules {
		if ref != "" && (ref == r.ID || ref == r.Name || ref == r.Title) {
			return true
		}
	}
	return false
}

func (e *Engine) index(dataset string, b binding) {
	var idx *datasetIndex
	if prefix, ok := strings.CutSuffix(dataset, "*"); ok {
		for _, p := range e.prefixes {
			if p.prefix == prefix {
				idx = p.idx
			}
		}
		if idx == nil {
			idx = &datasetIndex{byCode: make(map[int64][]binding)}
			e.prefixes = append(e.prefixes, prefixIndex{prefix: prefix, idx: idx})
		}
	} else {
		idx = e.exact[dataset]
		if idx == nil {
			idx = &datasetIndex{byCode: make(map[int64][]binding)}
			e.exact[dataset] = idx
		}
	}
	if len(b.sel.eventIDs) == 0 {
		idx.any = append(idx.any, b)
		return
	}
	for _, id := range b.sel.eventIDs {
		idx.byCode[id] = append(idx.byCode[id], b)
	}
}

// candidates lists the event keys tried for a Sigma field: the renamed keys
// (or the name itself), then its ECS fallbacks.
func (e *Engine) candidates(name string, rename map[string][]string) []string {
	var out []string
	if keys, ok := rename[name]; ok {
		out = append(out, keys...)
	} else {
		out = append(out, name)
	}
	for _, fb := range e.fallback[name] {
		dup := false
		for _, o := range out {
			dup = dup || o == fb
		}
		if !dup {
			out = append(out, fb)
		}
	}
	return out
}

func (e *Engine) resolveTable(rename map[string][]string) [][]string {
	table := make([][]string, len(e.fieldNames))
	for i, name := range e.fieldNames {
		table[i] = e.candidates(name, rename)
	}
	return table
}

// EventKeys lists every event key (native or ECS) the engine may read: the
// candidates of every rule field under each log source's renames, the keys
// log source selectors test, those that route an event (dataset, channel,
// event code) and those correlations group or count by. all is set when a
// rule reads the whole event (a keyword search, the raw text) and no list
// would do. An event holding only these keys, and its own attributes,
// gets the same matches as the whole event: a retro-hunt reads stored
// events with only these keys decoded.
func (e *Engine) EventKeys() (keys []string, all bool) {
	return e.eventKeys, e.wholeEvent
}

// Scope implements detect.Scoper: the routing of Detect (datasets, and
// event codes where a dataset's rules all name some) and, per dataset, the
// texts its rules' necessary clauses need (datasetNeeds).
func (e *Engine) Scope() detect.Scope {
	sc := detect.Scope{All: len(e.anyEvent) > 0, Datasets: make(map[string][]int64, len(e.exact)), Needs: map[string][]detect.Need{}}
	for ds, idx := range e.exact {
		if needs, ok := datasetNeeds(idx); ok {
			sc.Needs[ds] = needs
		}
		if len(idx.any) > 0 {
			sc.Datasets[ds] = nil
			continue
		}
		codes := make([]int64, 0, len(idx.byCode))
		for c := range idx.byCode {
			codes = append(codes, c)
		}
		slices.Sort(codes)
		sc.Datasets[ds] = codes
	}
	for _, p := range e.prefixes {
		sc.Prefixes = append(sc.Prefixes, p.prefix)
	}
	sort.Strings(sc.Prefixes)
	return sc
}

// datasetNeeds gathers the necessary clauses (index.go) of every rule a
// dataset routes to, when each is made of ASCII atoms on one event key
// read as is: one of them holds whenever one of the rules matches.
func datasetNeeds(idx *datasetIndex) ([]detect.Need, bool) {
	var out []detect.Need
	seen := map[detect.Need]bool{}
	add := func(b binding) bool {
		for _, r := range b.group.rules {
			cl, ok := necessaryClause(r.cond)
			if !ok {
				return false
			}
			for _, a := range cl {
				if a.fid == keywordFid || len(b.sel.resolve[a.fid]) != 1 || !isASCII(a.s) {
					return false
				}
				n := detect.Need{Field: b.sel.resolve[a.fid][0], Text: a.s} // atoms are lower case
				if !seen[n] {
					seen[n] = true
					out = append(out, n)
				}
			}
		}
		return true
	}
	for b := range idx.bindings {
		if !add(b) {
			return nil, false
		}
	}
	slices.SortFunc(out, func(x, y detect.Need) int {
		return strings.Compare(x.Field+"\x00"+x.Text, y.Field+"\x00"+y.Text)
	})
	return out, true
}

func (e *Engine) collectEventKeys() ([]string, bool) {
	seen := map[string]bool{}
	// Dataset and Detect route events by these.
	for _, k := range []string{"event.dataset", "Channel", "event.code", "EventID"} {
		seen[k] = true
	}
	addBinding := func(b binding) {
		for _, keys := range b.sel.resolve {
			for _, k := range keys {
				seen[k] = true
			}
		}
		for _, w := range b.sel.where {
			for _, k := range w.keys {
				seen[k] = true
			}
		}
	}
	for _, idx := range e.exact {
		for b := range idx.bindings {
			addBinding(b)
		}
	}
	for _, p := range e.prefixes {
		for b := range p.idx.bindings {
			addBinding(b)
		}
	}
	for _, b := range e.anyEvent {
		addBinding(b)
	}
	for _, keys := range e.corrKeys {
		for _, k := range keys {
			seen[k] = true
		}
	}
	return slices.Sorted(maps.Keys(seen)), seen[event.FieldOriginal]
}

// CorrelationStats reports the correlation state's evictions and firings.
func (e *Engine) CorrelationStats() correlate.Stats {
	if e.corr == nil {
		return correlate.Stats{}
	}
	return e.corr.Stats()
}

// Stats reports how the rule set was compiled.
func (e *Engine) Stats() Stats { return e.stats }

// Rule returns the detection or correlation rule with the given id (as in
// Match.RuleID), for details a match does not carry (description,
// references, author); nil when unknown. The rule must not be modified.
func (e *Engine) Rule(id string) *Rule { return e.byID[id] }

// Rules returns the number of compiled detection rules.
func (e *Engine) Rules() int { return len(e.rules) }

// Detect implements detect.Detector: it appends one Match per rule that
// fires on ev.
func (e *Engine) Detect(ev *event.Event, out []detect.Match) []detect.Match {
	if ev == nil {
		return out
	}
	c := e.pool.Get().(*evalCtx)
	c.beginEvent(ev)
	ds := Dataset(ev)
	code, hasCode := int64(0), false
	if v, ok := lookup(ev, "event.code"); ok {
		code, hasCode = eventCode(v)
	} else if v, ok := ev.Fields["EventID"]; ok {
		code, hasCode = eventCode(v)
	}
	if idx := e.exact[ds]; idx != nil {
		out = e.runIndex(c, idx, code, hasCode, out)
	}
	for _, p := range e.prefixes {
		if strings.HasPrefix(ds, p.prefix) {
			out = e.runIndex(c, p.idx, code, hasCode, out)
		}
	}
	if len(e.anyEvent) > 0 {
		out = e.run(c, e.anyEvent, out)
	}
	c.end()
	e.pool.Put(c)
	return out
}

func (e *Engine) runIndex(c *evalCtx, idx *datasetIndex, code int64, hasCode bool, out []detect.Match) []detect.Match {
	if hasCode {
		if bs := idx.byCode[code]; len(bs) > 0 {
			out = e.run(c, bs, out)
		}
	}
	return e.run(c, idx.any, out)
}

func (e *Engine) run(c *evalCtx, bs []binding, out []detect.Match) []detect.Match {
	for _, b := range bs {
		g := b.group
		if c.groupStamp[g.idx] == c.eventGen || !b.sel.selects(c.ev) {
			continue
		}
		c.groupStamp[g.idx] = c.eventGen
		c.useResolver(b.sel.resolve)
		bits := c.candidates[:g.index.words]
		clear(bits)
		if !e.noIndex {
			g.index.mark(c, bits)
		}
		for i, r := range g.rules {
			if !e.noIndex && !g.index.always[i] && bits[i>>6]&(1<<(uint(i)&63)) == 0 {
				continue
			}
			if r.cond.match(c) {
				if !r.silent {
					m := r.match
					m.Tenant = c.ev.Tenant
					m.Time = c.ev.Timestamp
					m.Events = []*event.Event{c.ev}
					out = append(out, m)
				}
				if r.observed {
					out = e.corr.Observe(r.key, c.ev, out)
				}
			}
		}
	}
	return out
}

func (s *selector) selects(ev *event.Event) bool {
	for _, w := range s.where {
		found := false
		for _, k := range w.keys {
			if v, ok := lookup(ev, k); ok {
				found = strings.EqualFold(event.String(v), w.want)
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// Dataset returns the event.dataset an event is selected by: the ECS field
// when set, otherwise derived from a Windows Channel field.
func Dataset(ev *event.Event) string {
	if v, ok := ev.ECS["event.dataset"].(string); ok && v != "" {
		return v
	}
	if v, ok := ev.Fields["event.dataset"].(string); ok && v != "" {
		return v
	}
	if ch, ok := ev.Fields["Channel"].(string); ok && ch != "" {
		return event.WindowsDataset(ch)
	}
	return ""
}

var _ detect.Detector = (*Engine)(nil)
