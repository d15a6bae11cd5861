package sigma

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Rejection is a rule document that was not loaded, with the reason.
type Rejection struct {
	Path   string `json:"path"`
	ID     string `json:"id,omitempty"`
	Title  string `json:"title,omitempty"`
	Line   int    `json:"line,omitempty"`
	Reason string `json:"reason"`
}

func (r Rejection) String() string {
	loc := r.Path
	if r.Line > 0 {
		loc += ":" + strconv.Itoa(r.Line)
	}
	if r.ID != "" {
		return fmt.Sprintf("%s (%s): %s", loc, r.ID, r.Reason)
	}
	return loc + ": " + r.Reason
}

// RuleSet is a validated collection of Sigma documents, ready to be compiled
// into an Engine.
type RuleSet struct {
	Rules        []*Rule // detection rules
	Correlations []*Rule
	Filters      []*Rule
}

// Len is the number of documents in the set.
func (s *RuleSet) Len() int { return len(s.Rules) + len(s.Correlations) + len(s.Filters) }

// Add appends rules of any kind to the set.
func (s *RuleSet) Add(rules ...*Rule) {
	for _, r := range rules {
		switch r.Kind {
		case KindCorrelation:
			s.Correlations = append(s.Correlations, r)
		case KindFilter:
			s.Filters = append(s.Filters, r)
		default:
			s.Rules = append(s.Rules, r)
		}
	}
}

// Merge adds every rule of other to s.
func (s *RuleSet) Merge(other *RuleSet) {
	s.Rules = append(s.Rules, other.Rules...)
	s.Correlations = append(s.Correlations, other.Correlations...)
	s.Filters = append(s.Filters, other.Filters...)
}

// isRuleFile reports whether a file met while walking a directory is a rule.
func isRuleFile(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".yml" || ext == ".yaml"
}

// LoadPaths loads Sigma rules from files and directories (walked
// recursively for *.yml and *.yaml). Documents that cannot be used are
// returned as rejections with a reason; the error is reserved for paths that
// cannot be read at all.
func LoadPaths(paths ...string) (*RuleSet, []Rejection, error) {
	set := &RuleSet{}
	var rejected []Rejection
	for _, root := range paths {
		info, err := os.Stat(root)
		if err != nil {
			return nil, nil, fmt.Errorf("sigma: load rules: %w", err)
		}
		var files []string
		if info.IsDir() {
			err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if !d.IsDir() && isRuleFile(path) {
					files = append(files, path)
				}
				return nil
			})
			if err != nil {
				return nil, nil, fmt.Errorf("sigma: walk %s: %w", root, err)
			}
			sort.Strings(files)
		} else {
			files = []string{root}
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				return nil, nil, fmt.Errorf("sigma: read rule: %w", err)
			}
			rules, rej := ParseRules(f, data)
			set.Add(rules...)
			rejected = append(rejected, rej...)
		}
	}
	rejected = append(rejected, set.validate()...)
	return set, rejected, nil
}

// LoadFS loads every *.yml / *.yaml file under root in fsys (for rule packs
// embedded with embed.FS).
func LoadFS(fsys fs.FS, root string) (*RuleSet, []Rejection, error) {
	set := &RuleSet{}
	var rejected []Rejection
	err := fs.WalkDir(fsys, root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !isRuleFile(path) {
			return nil
		}
		data, err := fs.ReadFile(fsys, path)
		if err != nil {
			return err
		}
		rules, rej := ParseRules(path, data)
		set.Add(rules...)
		rejected = append(rejected, rej...)
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("sigma: load rules from fs: %w", err)
	}
	rejected = append(rejected, set.validate()...)
	return set, rejected, nil
}

// validate compiles every rule once so that rules the engine cannot run are
// rejected at load time, and drops duplicate ids. It removes rejected rules
// from the set.
func (s *RuleSet) validate() []Rejection {
	var rejected []Rejection
	seen := make(map[string]string)
	keep := func(r *Rule, check func() error) bool {
		if r.ID != "" {
			if prev, dup := seen[r.ID]; dup {
				rejected = append(rejected, rejection(r, fmt.Sprintf("duplicate rule id (first defined in %s)", prev)))
				return false
			}
		}
		if err := check(); err != nil {
			rejected = append(rejected, rejection(r, err.Error()))
			return false
		}
		if r.ID != "" {
			seen[r.ID] = r.Path
		}
		return true
	}
	c := newCompiler(nil)
	rules := s.Rules[:0]
	for _, r := range s.Rules {
		if keep(r, func() error { _, err := c.compileDetection(r.Detection); return err }) {
			rules = append(rules, r)
		}
	}
	s.Rules = rules
	filters := s.Filters[:0]
	for _, r := range s.Filters {
		if keep(r, func() error { _, err := c.compileDetection(r.Filter.Detection); return err }) {
			filters = append(filters, r)
		}
	}
	s.Filters = filters
	refs := referenceTable(s)
	corrs := s.Correlations[:0]
	for _, r := range s.Correlations {
		if keep(r, func() error { return checkCorrelationRefs(r, refs) }) {
			corrs = append(corrs, r)
		}
	}
	s.Correlations = corrs
	return rejected
}

func rejection(r *Rule, reason string) Rejection {
	return Rejection{Path: r.Path, ID: r.ID, Title: r.Title, Line: r.Line, Reason: reason}
}

// ParseRules parses every YAML document of one file. It checks structure
// only; LoadPaths also compiles the detections.
func ParseRules(path string, data []byte) ([]*Rule, []Rejection) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var rules []*Rule
	var rejected []Rejection
	// Sigma v1 rule collections: "action: global" documents are merged into
	// every following document, "action: reset" forgets them, "action:
	// repeat" re-emits the previous document with changes.
	var global, previous *yaml.Node
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			rejected = append(rejected, Rejection{Path: path, Reason: "invalid YAML: " + err.Error()})
			break // the decoder cannot resynchronise after a syntax error
		}
		root := &doc
		if root.Kind == yaml.DocumentNode {
			if len(root.Content) == 0 {
				continue
			}
			root = root.Content[0]
		}
		root = resolveAlias(root)
		if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
			continue // empty document, e.g. a trailing "---"
		}
		switch collectionAction(root) {
		case "global":
			global = mergeMaps(global, withoutKey(root, "action"))
			continue
		case "reset":
			global = nil
			continue
		case "repeat":
			if previous == nil {
				rejected = append(rejected, Rejection{Path: path, Line: root.Line, Reason: "action: repeat without a previous rule document"})
				continue
			}
			root = mergeMaps(previous, withoutKey(root, "action"))
		case "":
			if global != nil {
				root = mergeMaps(global, root)
			}
		default:
			rejected = append(rejected, Rejection{Path: path, Line: root.Line, Reason: fmt.Sprintf("unknown collection action %q", collectionAction(root))})
			continue
		}
		previous = root
		r, err := parseRule(path, root)
		if err != nil {
			rj := Rejection{Path: path, Line: root.Line, Reason: err.Error()}
			if r != nil {
				rj.ID, rj.Title = r.ID, r.Title
			}
			rejected = append(rejected, rj)
			continue
		}
		rules = append(rules, r)
	}
	return rules, rejected
}

// collectionAction returns the value of a document's "action" key.
func collectionAction(n *yaml.Node) string {
	if n.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "action" {
			if v := resolveAlias(n.Content[i+1]); v != nil && v.Kind == yaml.ScalarNode {
				return v.Value
			}
			return "?"
		}
	}
	return ""
}

func withoutKey(n *yaml.Node, key string) *yaml.Node {
	out := *n
	out.Content = nil
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value != key {
			out.Content = append(out.Content, n.Content[i], n.Content[i+1])
		}
	}
	return &out
}

// mergeMaps returns base with over laid on top: mappings merge key by key,
// anything else in over replaces base. Neither input is modified.
func mergeMaps(base, over *yaml.Node) *yaml.Node {
	base, over = resolveAlias(base), resolveAlias(over)
	if base == nil {
		return over
	}
	if over == nil || base.Kind != yaml.MappingNode || over.Kind != yaml.MappingNode {
		return over
	}
	out := *base
	out.Content = append([]*yaml.Node(nil), base.Content...)
	for i := 0; i+1 < len(over.Content); i += 2 {
		key, val := over.Content[i], over.Content[i+1]
		replaced := false
		for j := 0; j+1 < len(out.Content); j += 2 {
			if out.Content[j].Value == key.Value {
				out.Content[j+1] = mergeMaps(out.Content[j+1], val)
				replaced = true
				break
			}
		}
		if !replaced {
			out.Content = append(out.Content, key, val)
		}
	}
	return &out
}

// maxAliasDepth bounds alias chains so a hostile file cannot loop.
const maxAliasDepth = 32

func resolveAlias(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < maxAliasDepth; i++ {
		n = n.Alias
	}
	return n
}

type mapEntry struct {
	key   string
	line  int
	value *yaml.Node
}

func mappingEntries(n *yaml.Node) ([]mapEntry, error) {
	n = resolveAlias(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: expected a mapping, found %s", lineOf(n), kindName(n))
	}
	out := make([]mapEntry, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := resolveAlias(n.Content[i])
		if k == nil || k.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("line %d: mapping keys must be scalars", lineOf(n.Content[i]))
		}
		if k.Tag == "!!merge" {
			return nil, fmt.Errorf("line %d: YAML merge keys (<<) are not supported", k.Line)
		}
		out = append(out, mapEntry{key: k.Value, line: k.Line, value: n.Content[i+1]})
	}
	return out, nil
}

func lineOf(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	return n.Line
}

func kindName(n *yaml.Node) string {
	n = resolveAlias(n)
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "null"
		}
		return "a scalar"
	}
	return "an unsupported node"
}

func scalarString(n *yaml.Node) (string, error) {
	n = resolveAlias(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("line %d: expected a scalar, found %s", lineOf(n), kindName(n))
	}
	if n.Tag == "!!null" {
		return "", nil
	}
	return n.Value, nil
}

// stringList accepts a scalar or a list of scalars.
func stringList(n *yaml.Node) ([]string, error) {
	n = resolveAlias(n)
	if n == nil {
		return nil, nil
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return nil, nil
		}
		return []string{n.Value}, nil
	case yaml.SequenceNode:
		out := make([]string, 0, len(n.Content))
		for _, item := range n.Content {
			s, err := scalarString(item)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("line %d: expected a list of strings, found %s", n.Line, kindName(n))
}

func parseRule(path string, root *yaml.Node) (*Rule, error) {
	entries, err := mappingEntries(root)
	if err != nil {
		return nil, fmt.Errorf("rule document: %w", err)
	}
	r := &Rule{Path: path, Line: root.Line}
	var detection, filter, correlation *yaml.Node
	var generate *yaml.Node
	// Metadata first, so that errors in the detection can name the rule.
	for _, e := range entries {
		var err error
		switch e.key {
		case "id":
			r.ID, err = scalarString(e.value)
		case "name":
			r.Name, err = scalarString(e.value)
		case "title":
			r.Title, err = scalarString(e.value)
		case "description":
			r.Description, err = scalarString(e.value)
		case "status":
			r.Status, err = scalarString(e.value)
		case "level":
			r.Level, err = scalarString(e.value)
			r.Level = strings.ToLower(r.Level)
		case "author":
			r.Author, err = scalarString(e.value)
		case "date":
			r.Date, err = scalarString(e.value)
		case "modified":
			r.Modified, err = scalarString(e.value)
		case "tags":
			r.Tags, err = stringList(e.value)
		case "falsepositives":
			r.FalsePositives, err = stringList(e.value)
		case "references":
			r.References, err = stringList(e.value)
		case "fields":
			r.Fields, err = stringList(e.value)
		case "logsource":
			r.Logsource, err = parseLogsource(e.value)
		case "detection":
			detection = e.value
		case "filter":
			filter = e.value
		case "correlation":
			correlation = e.value
		case "generate":
			generate = e.value
		}
		if err != nil {
			return r, fmt.Errorf("attribute %q: %w", e.key, err)
		}
	}
	switch {
	case correlation != nil:
		r.Kind = KindCorrelation
		c, err := parseCorrelation(correlation, generate)
		if err != nil {
			return r, fmt.Errorf("correlation: %w", err)
		}
		r.Correlation = c
	case filter != nil:
		r.Kind = KindFilter
		f, err := parseFilter(filter)
		if err != nil {
			return r, fmt.Errorf("filter: %w", err)
		}
		r.Filter = f
	case detection != nil:
		r.Kind = KindDetection
		d, err := parseDetection(detection, false)
		if err != nil {
			return r, fmt.Errorf("detection: %w", err)
		}
		r.Detection = d
	default:
		return r, errors.New("document has none of detection, correlation or filter")
	}
	if r.Title == "" {
		return r, errors.New("missing title")
	}
	return r, nil
}

func parseLogsource(n *yaml.Node) (Logsource, error) {
	var ls Logsource
	entries, err := mappingEntries(n)
	if err != nil {
		return ls, err
	}
	for _, e := range entries {
		v, err := scalarString(e.value)
		if err != nil {
			return ls, err
		}
		switch e.key {
		case "product":
			ls.Product = strings.ToLower(v)
		case "category":
			ls.Category = strings.ToLower(v)
		case "service":
			ls.Service = strings.ToLower(v)
		case "definition":
			ls.Definition = v
		}
	}
	return ls, nil
}

// parseDetection reads a detection (or filter) section. In a filter section
// "rules" is metadata, not a search identifier.
func parseDetection(n *yaml.Node, filter bool) (*Detection, error) {
	entries, err := mappingEntries(n)
	if err != nil {
		return nil, err
	}
	d := &Detection{Selections: make(map[string]*Selection)}
	for _, e := range entries {
		switch {
		case e.key == "condition":
			conds, err := stringList(e.value)
			if err != nil {
				return nil, fmt.Errorf("condition: %w", err)
			}
			d.Conditions = append(d.Conditions, conds...)
		case e.key == "timeframe":
			d.Timeframe, _ = scalarString(e.value)
		case filter && e.key == "rules":
			continue
		default:
			if _, dup := d.Selections[e.key]; dup {
				return nil, fmt.Errorf("line %d: search identifier %q defined twice", e.line, e.key)
			}
			sel, err := parseSelection(e.key, e.line, e.value)
			if err != nil {
				return nil, fmt.Errorf("search identifier %q: %w", e.key, err)
			}
			d.Selections[e.key] = sel
			d.Order = append(d.Order, e.key)
		}
	}
	if len(d.Conditions) == 0 {
		return nil, errors.New("missing condition")
	}
	if d.Timeframe != "" {
		return nil, errors.New("timeframe (Sigma v1 aggregation window) is not supported: use a correlation rule")
	}
	return d, nil
}

func parseSelection(name string, line int, n *yaml.Node) (*Selection, error) {
	n = resolveAlias(n)
	sel := &Selection{Name: name, Line: line}
	switch {
	case n == nil:
		return nil, errors.New("empty definition")
	case n.Kind == yaml.MappingNode:
		branch, err := parseFieldMap(n)
		if err != nil {
			return nil, err
		}
		sel.Branches = append(sel.Branches, branch)
	case n.Kind == yaml.SequenceNode:
		var keywords []Value
		for _, item := range n.Content {
			item = resolveAlias(item)
			if item != nil && item.Kind == yaml.MappingNode {
				branch, err := parseFieldMap(item)
				if err != nil {
					return nil, err
				}
				sel.Branches = append(sel.Branches, branch)
				continue
			}
			v, err := parseValue(item)
			if err != nil {
				return nil, err
			}
			keywords = append(keywords, v)
		}
		if len(keywords) > 0 {
			sel.Branches = append(sel.Branches, []*FieldItem{{Keyword: true, Values: keywords, Line: line}})
		}
	case n.Kind == yaml.ScalarNode:
		v, err := parseValue(n)
		if err != nil {
			return nil, err
		}
		sel.Branches = append(sel.Branches, []*FieldItem{{Keyword: true, Values: []Value{v}, Line: line}})
	default:
		return nil, fmt.Errorf("line %d: unsupported definition (%s)", n.Line, kindName(n))
	}
	if len(sel.Branches) == 0 {
		return nil, errors.New("empty definition")
	}
	return sel, nil
}

func parseFieldMap(n *yaml.Node) ([]*FieldItem, error) {
	entries, err := mappingEntries(n)
	if err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("line %d: empty field map", n.Line)
	}
	items := make([]*FieldItem, 0, len(entries))
	for _, e := range entries {
		parts := strings.Split(e.key, "|")
		item := &FieldItem{Field: parts[0], Modifiers: parts[1:], Line: e.line}
		if item.Field == "" {
			item.Keyword = true
		}
		for _, m := range item.Modifiers {
			if m == "" {
				return nil, fmt.Errorf("line %d: empty modifier in %q", e.line, e.key)
			}
		}
		v := resolveAlias(e.value)
		if v != nil && v.Kind == yaml.SequenceNode {
			if len(v.Content) == 0 {
				return nil, fmt.Errorf("line %d: field %q has an empty value list", e.line, e.key)
			}
			for _, c := range v.Content {
				val, err := parseValue(c)
				if err != nil {
					return nil, fmt.Errorf("field %q: %w", e.key, err)
				}
				item.Values = append(item.Values, val)
			}
		} else {
			val, err := parseValue(v)
			if err != nil {
				return nil, fmt.Errorf("field %q: %w", e.key, err)
			}
			item.Values = []Value{val}
		}
		items = append(items, item)
	}
	return items, nil
}

func parseValue(n *yaml.Node) (Value, error) {
	n = resolveAlias(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		return Value{}, fmt.Errorf("line %d: a value must be a scalar, found %s", lineOf(n), kindName(n))
	}
	switch n.Tag {
	case "!!null":
		return Value{Kind: ValueNull}, nil
	case "!!int":
		if i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64); err == nil {
			return Value{Kind: ValueNumber, S: strconv.FormatInt(i, 10)}, nil
		}
		return Value{Kind: ValueNumber, S: n.Value}, nil
	case "!!float":
		return Value{Kind: ValueNumber, S: n.Value}, nil
	case "!!bool":
		b := strings.EqualFold(n.Value, "true") || strings.EqualFold(n.Value, "yes") || strings.EqualFold(n.Value, "on")
		return Value{Kind: ValueBool, S: strconv.FormatBool(b)}, nil
	}
	return Value{Kind: ValueString, S: n.Value}, nil
}

func parseFilter(n *yaml.Node) (*Filter, error) {
	entries, err := mappingEntries(n)
	if err != nil {
		return nil, err
	}
	f := &Filter{}
	for _, e := range entries {
		if e.key == "rules" {
			f.Rules, err = stringList(e.value)
			if err != nil {
				return nil, fmt.Errorf("rules: %w", err)
			}
		}
	}
	// "rules: any" (or "*") applies the filter to every compatible rule.
	if len(f.Rules) == 1 && (f.Rules[0] == "any" || f.Rules[0] == "*") {
		f.Rules = nil
	}
	f.Detection, err = parseDetection(n, true)
	if err != nil {
		return nil, err
	}
	return f, nil
}

var correlationTypes = map[string]bool{
	"event_count": true, "value_count": true, "temporal": true, "temporal_ordered": true,
	"value_sum": true, "value_avg": true, "value_percentile": true,
}

func parseCorrelation(n *yaml.Node, generate *yaml.Node) (*Correlation, error) {
	entries, err := mappingEntries(n)
	if err != nil {
		return nil, err
	}
	c := &Correlation{Condition: make(map[string]float64)}
	hasCondition := false
	for _, e := range entries {
		var err error
		switch e.key {
		case "type":
			c.Type, err = scalarString(e.value)
		case "rules":
			c.Rules, err = stringList(e.value)
		case "group-by":
			c.GroupBy, err = stringList(e.value)
		case "timespan", "timeframe":
			var s string
			if s, err = scalarString(e.value); err == nil {
				c.Timespan, err = ParseTimespan(s)
			}
		case "generate":
			generate = e.value
		case "aliases":
			c.Aliases, err = parseAliases(e.value)
		case "condition":
			hasCondition = true
			err = parseCorrelationCondition(e.value, c)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.key, err)
		}
	}
	if generate != nil {
		s, err := scalarString(generate)
		if err != nil {
			return nil, fmt.Errorf("generate: %w", err)
		}
		c.Generate = s == "true" || s == "yes"
	}
	if !correlationTypes[c.Type] {
		return nil, fmt.Errorf("unsupported correlation type %q", c.Type)
	}
	if len(c.Rules) == 0 {
		return nil, errors.New("rules: at least one rule is required")
	}
	if c.Timespan <= 0 {
		return nil, errors.New("timespan: a positive timespan is required")
	}
	switch c.Type {
	case "temporal", "temporal_ordered":
		if !hasCondition {
			// Without a condition every referenced rule must have matched.
			distinct := make(map[string]bool, len(c.Rules))
			for _, r := range c.Rules {
				distinct[r] = true
			}
			c.Condition["gte"] = float64(len(distinct))
		}
	default:
		if len(c.Condition) == 0 {
			return nil, errors.New("condition: a comparison (gt gte lt lte eq neq) is required")
		}
	}
	switch c.Type {
	case "value_count", "value_sum", "value_avg", "value_percentile":
		if c.Field == "" {
			return nil, fmt.Errorf("condition: %s needs a field", c.Type)
		}
	}
	if c.Type == "value_percentile" && (c.Percentile <= 0 || c.Percentile > 100) {
		return nil, errors.New("condition: value_percentile needs a percentile between 1 and 100")
	}
	return c, nil
}

func parseCorrelationCondition(n *yaml.Node, c *Correlation) error {
	entries, err := mappingEntries(n)
	if err != nil {
		return err
	}
	for _, e := range entries {
		s, err := scalarString(e.value)
		if err != nil {
			return err
		}
		switch e.key {
		case "field":
			c.Field = s
		case "percentile":
			p, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return fmt.Errorf("percentile %q is not a number", s)
			}
			c.Percentile = p
		case "gt", "gte", "lt", "lte", "eq", "neq":
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return fmt.Errorf("%s: %q is not a number", e.key, s)
			}
			c.Condition[e.key] = f
		default:
			return fmt.Errorf("unknown condition operator %q", e.key)
		}
	}
	return nil
}

func parseAliases(n *yaml.Node) (map[string]map[string]string, error) {
	entries, err := mappingEntries(n)
	if err != nil {
		return nil, err
	}
	out := make(map[string]map[string]string, len(entries))
	for _, e := range entries {
		inner, err := mappingEntries(e.value)
		if err != nil {
			return nil, fmt.Errorf("alias %q: %w", e.key, err)
		}
		m := make(map[string]string, len(inner))
		for _, ie := range inner {
			s, err := scalarString(ie.value)
			if err != nil {
				return nil, fmt.Errorf("alias %q: %w", e.key, err)
			}
			m[ie.key] = s
		}
		out[e.key] = m
	}
	return out, nil
}

// ParseTimespan reads a Sigma timespan: a number followed by s, m, h, d, w,
// M (30 days) or y (365 days).
func ParseTimespan(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if len(s) < 2 {
		return 0, fmt.Errorf("invalid timespan %q", s)
	}
	n, err := strconv.ParseInt(s[:len(s)-1], 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("invalid timespan %q", s)
	}
	var unit time.Duration
	switch s[len(s)-1] {
	case 's':
		unit = time.Second
	case 'm':
		unit = time.Minute
	case 'h':
		unit = time.Hour
	case 'd':
		unit = 24 * time.Hour
	case 'w':
		unit = 7 * 24 * time.Hour
	case 'M':
		unit = 30 * 24 * time.Hour
	case 'y':
		unit = 365 * 24 * time.Hour
	default:
		return 0, fmt.Errorf("invalid timespan unit in %q", s)
	}
	if n > int64((100*365*24*time.Hour)/unit) {
		return 0, fmt.Errorf("timespan %q is too long", s)
	}
	return time.Duration(n) * unit, nil
}
