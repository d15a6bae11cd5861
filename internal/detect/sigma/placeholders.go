package sigma

import (
	"fmt"
	"os"

	"gopkg.in/yaml.v3"
)

// LoadPlaceholders reads the values of |expand placeholders from a YAML
// file. Both forms are accepted:
//
//	placeholders:
//	  Admins_Workstations: [ws-admin-01, ws-admin-02]
//
// and the same map at the top level. A value may be a string or a list.
func LoadPlaceholders(path string) (map[string][]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sigma: placeholders: %w", err)
	}
	ph, err := ParsePlaceholders(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ph, nil
}

// ParsePlaceholders parses the placeholder file format (see
// LoadPlaceholders).
func ParsePlaceholders(data []byte) (map[string][]string, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("sigma: placeholders: %w", err)
	}
	if inner, ok := doc["placeholders"].(map[string]any); ok && len(doc) == 1 {
		doc = inner
	}
	out := make(map[string][]string, len(doc))
	for name, v := range doc {
		switch x := v.(type) {
		case string:
			out[name] = []string{x}
		case []any:
			for _, item := range x {
				s, ok := item.(string)
				if !ok {
					s = fmt.Sprint(item)
				}
				out[name] = append(out[name], s)
			}
		case nil:
			out[name] = nil
		default:
			out[name] = []string{fmt.Sprint(x)}
		}
	}
	return out, nil
}
