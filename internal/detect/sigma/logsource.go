package sigma

import (
	_ "embed"
	"fmt"
	"os"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

//go:embed logsources.yaml
var defaultLogsourcesYAML []byte

// LogsourceConfig says which events each Sigma logsource selects and how
// field names are resolved. See logsources.yaml for the format and the
// defaults.
type LogsourceConfig struct {
	ReplaceDefaults bool                `yaml:"replace_defaults"`
	Fallback        map[string][]string `yaml:"fallback"`
	Logsources      []LogsourceEntry    `yaml:"logsources"`
}

// LogsourceEntry maps one Sigma logsource to event selectors.
type LogsourceEntry struct {
	Product  string     `yaml:"product"`
	Category string     `yaml:"category"`
	Service  string     `yaml:"service"`
	Select   []Selector `yaml:"select"`
}

// Selector picks events by dataset, event id and field equality, and says
// where each Sigma field is read from for those events.
type Selector struct {
	Dataset string              `yaml:"dataset"`
	EventID []int64             `yaml:"event_id"`
	Where   map[string]string   `yaml:"where"`
	Rename  map[string][]string `yaml:"rename"`
}

// DefaultLogsourceConfig returns the embedded default mapping (a fresh copy
// the caller may change).
func DefaultLogsourceConfig() *LogsourceConfig {
	cfg, err := defaultLogsources()
	if err != nil {
		// Unreachable for a tested build (TestDefaultLogsourceConfigParses);
		// NewEngine reports the error itself.
		return &LogsourceConfig{}
	}
	return cfg
}

func defaultLogsources() (*LogsourceConfig, error) {
	cfg, err := ParseLogsourceConfig(defaultLogsourcesYAML)
	if err != nil {
		return nil, fmt.Errorf("embedded logsources.yaml: %w", err)
	}
	return cfg, nil
}

// ParseLogsourceConfig parses a logsource mapping document.
func ParseLogsourceConfig(data []byte) (*LogsourceConfig, error) {
	var cfg LogsourceConfig
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		return nil, fmt.Errorf("sigma: logsource config: %w", err)
	}
	for i, e := range cfg.Logsources {
		if e.Product == "" && e.Category == "" && e.Service == "" {
			return nil, fmt.Errorf("sigma: logsource config: entry %d names no product, category or service", i+1)
		}
		if len(e.Select) == 0 {
			return nil, fmt.Errorf("sigma: logsource config: entry %d (%s) has no select", i+1, e.key())
		}
		for j, s := range e.Select {
			if s.Dataset == "" {
				return nil, fmt.Errorf("sigma: logsource config: entry %d (%s) selector %d has no dataset", i+1, e.key(), j+1)
			}
		}
		cfg.Logsources[i].Product = strings.ToLower(e.Product)
		cfg.Logsources[i].Category = strings.ToLower(e.Category)
		cfg.Logsources[i].Service = strings.ToLower(e.Service)
	}
	return &cfg, nil
}

// LoadLogsourceConfig reads a mapping file and layers it over the defaults
// (unless the file sets replace_defaults).
func LoadLogsourceConfig(path string) (*LogsourceConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sigma: logsource config: %w", err)
	}
	over, err := ParseLogsourceConfig(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if over.ReplaceDefaults {
		return over, nil
	}
	def, err := defaultLogsources()
	if err != nil {
		return nil, err
	}
	return def.Overlay(over), nil
}

// Overlay returns a config where over's entries are tried first and its
// fallback lists replace the receiver's per field.
func (c *LogsourceConfig) Overlay(over *LogsourceConfig) *LogsourceConfig {
	out := &LogsourceConfig{Fallback: make(map[string][]string, len(c.Fallback)+len(over.Fallback))}
	for k, v := range c.Fallback {
		out.Fallback[k] = v
	}
	for k, v := range over.Fallback {
		out.Fallback[k] = v
	}
	out.Logsources = append(append(out.Logsources, over.Logsources...), c.Logsources...)
	return out
}

func (e LogsourceEntry) key() string {
	return "product=" + e.Product + " category=" + e.Category + " service=" + e.Service
}

// resolve finds the entry for a rule's logsource and returns its selectors
// with dataset templates filled in, or nil when the logsource is unmapped.
func (c *LogsourceConfig) resolve(ls Logsource) []Selector {
	best, bestWild := -1, 4
	for i, e := range c.Logsources {
		wild, ok := entryMatches(e, ls)
		if ok && wild < bestWild {
			best, bestWild = i, wild
		}
	}
	if best < 0 {
		return nil
	}
	e := c.Logsources[best]
	out := make([]Selector, len(e.Select))
	for i, s := range e.Select {
		s.Dataset = strings.NewReplacer("{product}", ls.Product, "{category}", ls.Category, "{service}", ls.Service).Replace(s.Dataset)
		out[i] = s
	}
	return out
}

// entryMatches reports whether e applies to ls and how many "*" it used.
func entryMatches(e LogsourceEntry, ls Logsource) (int, bool) {
	wild := 0
	for _, pair := range [][2]string{{e.Product, ls.Product}, {e.Category, ls.Category}, {e.Service, ls.Service}} {
		want, got := pair[0], pair[1]
		switch {
		case want == "" && got == "":
		case want == "*" && got != "":
			wild++
		case want != "" && want == got:
		default:
			return 0, false
		}
	}
	return wild, true
}

// String renders the logsource as product/category/service.
func (l Logsource) String() string {
	return orDash(l.Product) + "/" + orDash(l.Category) + "/" + orDash(l.Service)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// logsourceCompatible reports whether a filter's logsource covers a rule's:
// every attribute the filter names must equal the rule's.
func logsourceCompatible(filter, rule Logsource) bool {
	return (filter.Product == "" || filter.Product == rule.Product) &&
		(filter.Category == "" || filter.Category == rule.Category) &&
		(filter.Service == "" || filter.Service == rule.Service)
}

// eventCode reads the numeric event id of an event, if any.
func eventCode(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int:
		return int64(x), true
	case float64:
		return int64(x), x == float64(int64(x))
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		return n, err == nil
	}
	return 0, false
}
