package sigma

import "time"

// Kind tells what a Sigma document is.
type Kind int

const (
	// KindDetection is an ordinary rule with a detection section.
	KindDetection Kind = iota
	// KindCorrelation is a correlation (meta) rule over other rules.
	KindCorrelation
	// KindFilter is a meta-filter that tunes other rules.
	KindFilter
)

func (k Kind) String() string {
	switch k {
	case KindCorrelation:
		return "correlation"
	case KindFilter:
		return "filter"
	}
	return "detection"
}

// Rule is one parsed Sigma document: a detection rule, a correlation rule or
// a filter. Only the fields Yagura uses are kept.
type Rule struct {
	Kind Kind
	Path string // file it came from
	Line int    // line of the document start in Path

	ID             string
	Name           string // correlation rules refer to rules by id or name
	Title          string
	Description    string
	Status         string
	Level          string
	Author         string
	Date           string
	Modified       string
	Tags           []string
	FalsePositives []string
	References     []string
	Fields         []string

	Logsource Logsource

	Detection   *Detection   // KindDetection
	Filter      *Filter      // KindFilter
	Correlation *Correlation // KindCorrelation
}

// Logsource names the log data a rule applies to. Values are lower-cased
// at load time: Sigma compares them case-insensitively.
type Logsource struct {
	Product    string
	Category   string
	Service    string
	Definition string
}

// Detection is a rule's search identifiers and its condition(s).
type Detection struct {
	// Selections maps each search identifier to its definition.
	Selections map[string]*Selection
	// Order lists the identifiers in file order.
	Order []string
	// Conditions holds the condition expressions; several are OR-ed.
	Conditions []string
	// Timeframe is the deprecated Sigma v1 attribute, kept for reporting.
	Timeframe string
}

// Selection is one search identifier: an OR of branches, each branch an AND
// of field items.
type Selection struct {
	Name     string
	Line     int
	Branches [][]*FieldItem
}

// FieldItem is one "Field|mod1|mod2: values" entry, or a keyword search
// when Field is empty and Keyword is set.
type FieldItem struct {
	Field     string
	Keyword   bool
	Modifiers []string
	Values    []Value
	Line      int
}

// ValueKind is the YAML type of a detection value.
type ValueKind int

const (
	ValueString ValueKind = iota
	ValueNumber
	ValueBool
	ValueNull
)

// Value is one detection value as written in the rule.
type Value struct {
	Kind ValueKind
	S    string // text form; numbers in decimal, booleans as true/false
}

// Filter is a Sigma meta-filter: its condition is AND-ed to the condition of
// every rule it names whose log source is compatible.
type Filter struct {
	// Rules are the ids or titles of the rules the filter applies to; empty
	// means every rule with a compatible log source.
	Rules     []string
	Detection *Detection
}

// Correlation is a Sigma correlation rule.
type Correlation struct {
	Type     string   // event_count, value_count, temporal, temporal_ordered, value_sum, value_avg, value_percentile
	Rules    []string // ids or names of the referenced rules, in order
	GroupBy  []string
	Timespan time.Duration
	// Field is the field aggregated by value_count, value_sum, value_avg
	// and value_percentile.
	Field string
	// Percentile is the rank used by value_percentile (1–100).
	Percentile float64
	// Condition holds the comparisons (gt gte lt lte eq neq) the aggregate
	// must satisfy; several form a range.
	Condition map[string]float64
	// Aliases maps an alias field name to the field it stands for in each
	// referenced rule: alias -> rule id/name -> field.
	Aliases map[string]map[string]string
	// Generate makes the referenced rules also produce their own matches.
	Generate bool
}
