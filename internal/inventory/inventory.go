// Package inventory reads asset inventories (hosts and users with their
// criticality, owner, tags and networks) from the files teams keep them in:
// CSV with a header row, or YAML. It only parses and validates; storing is
// store.Assets' job. It never half-accepts a file: every problem is
// reported with its line, and callers store nothing when there is one.
package inventory

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/yagura-soc/yagura/internal/store"
)

// Problem is one invalid entry.
type Problem struct {
	Line  int    `json:"line"`
	Error string `json:"error"`
}

func (p Problem) String() string { return fmt.Sprintf("line %d: %s", p.Line, p.Error) }

// Formats Parse reads.
const (
	CSV  = "csv"
	YAML = "yaml"
)

// maxAssets bounds one file, so a mistaken upload cannot exhaust memory.
const maxAssets = 100000

// Parse reads an inventory in format (csv or yaml). The assets come back
// normalized; problems name the line of each bad entry.
//
// CSV columns (header row, any order, names case-insensitive): kind, name,
// criticality, owner, tags, networks; tags and networks hold several
// values separated by ";" or spaces. YAML is a list of mappings with the
// same keys (tags and networks as lists or separated strings).
func Parse(data []byte, format string) ([]store.Asset, []Problem, error) {
	switch strings.ToLower(format) {
	case CSV:
		return parseCSV(data)
	case YAML, "yml":
		return parseYAML(data)
	}
	return nil, nil, fmt.Errorf("inventory format %q: use csv or yaml", format)
}

var columns = []string{"kind", "name", "criticality", "owner", "tags", "networks"}

func parseCSV(data []byte) ([]store.Asset, []Problem, error) {
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	head, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil, errors.New("the CSV is empty: the first row must name the columns (kind,name,criticality,owner,tags,networks)")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("CSV header: %w", err)
	}
	idx := map[string]int{}
	for i, h := range head {
		idx[strings.ToLower(strings.TrimSpace(h))] = i
	}
	for _, need := range []string{"kind", "name", "criticality"} {
		if _, ok := idx[need]; !ok {
			return nil, nil, fmt.Errorf("the CSV header has no %q column (columns: %s)", need, strings.Join(columns, ","))
		}
	}
	var out []store.Asset
	var probs []Problem
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("CSV: %w", err)
		}
		line, _ := r.FieldPos(0) // a record read without error has a field 0
		get := func(col string) string {
			if i, ok := idx[col]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		if strings.Join(rec, "") == "" {
			continue
		}
		crit, err := strconv.Atoi(get("criticality"))
		if err != nil {
			probs = append(probs, Problem{line, fmt.Sprintf("criticality %q is not a number from 1 to 5", get("criticality"))})
			continue
		}
		a := store.Asset{Kind: get("kind"), Name: get("name"), Criticality: crit, Owner: get("owner"),
			Tags: split(get("tags")), Networks: split(get("networks"))}
		if err := a.Normalize(); err != nil {
			probs = append(probs, Problem{line, err.Error()})
			continue
		}
		if len(out) >= maxAssets {
			return nil, nil, fmt.Errorf("more than %d assets in one file: split it", maxAssets)
		}
		out = append(out, a)
	}
	return out, probs, nil
}

// listOrString accepts a YAML list or a separated string.
type listOrString []string

func (l *listOrString) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*l = split(n.Value)
		return nil
	}
	var v []string
	if err := n.Decode(&v); err != nil {
		return err
	}
	*l = v
	return nil
}

type yamlAsset struct {
	Kind        string       `yaml:"kind"`
	Name        string       `yaml:"name"`
	Criticality int          `yaml:"criticality"`
	Owner       string       `yaml:"owner"`
	Tags        listOrString `yaml:"tags"`
	Networks    listOrString `yaml:"networks"`
}

func parseYAML(data []byte) ([]store.Asset, []Problem, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, nil, fmt.Errorf("YAML: %w", err)
	}
	if len(doc.Content) == 0 {
		return nil, nil, errors.New("the YAML is empty: write a list of assets")
	}
	list := doc.Content[0]
	if list.Kind != yaml.SequenceNode {
		return nil, nil, fmt.Errorf("line %d: the YAML must be a list of assets (- kind: host …)", list.Line)
	}
	if len(list.Content) > maxAssets {
		return nil, nil, fmt.Errorf("more than %d assets in one file: split it", maxAssets)
	}
	var out []store.Asset
	var probs []Problem
	for _, n := range list.Content {
		var ya yamlAsset
		if err := n.Decode(&ya); err != nil {
			probs = append(probs, Problem{n.Line, err.Error()})
			continue
		}
		a := store.Asset{Kind: ya.Kind, Name: ya.Name, Criticality: ya.Criticality, Owner: ya.Owner,
			Tags: ya.Tags, Networks: ya.Networks}
		if err := a.Normalize(); err != nil {
			probs = append(probs, Problem{n.Line, err.Error()})
			continue
		}
		out = append(out, a)
	}
	return out, probs, nil
}

func split(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ',' || r == ' ' || r == '\t' })
}
