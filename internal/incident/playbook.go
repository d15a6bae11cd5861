// Package incident implements cases: the six-stage incident playbook as a
// state machine with guards (owner role, required evidence), escalation
// criteria, SLA timers, evidence with a chain of custody, and the case's
// timeline. The playbook is data (YAML templates per incident type); this
// package decides what a case may do next, and never performs I/O itself —
// persistence is the store's job, delivery the notifiers'.
package incident

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"

	"gopkg.in/yaml.v3"
)

//go:embed playbooks/*.yml
var builtinPlaybooks embed.FS

// Playbook is a template of stages for one incident type.
type Playbook struct {
	Name    string  `yaml:"name" json:"name"`
	Title   string  `yaml:"title" json:"title"`
	TitleJA string  `yaml:"title_ja" json:"title_ja"`
	Stages  []Stage `yaml:"stages" json:"stages"`
}

// Stage is one step of a playbook.
type Stage struct {
	Key         string   `yaml:"key" json:"key"`
	Name        string   `yaml:"name" json:"name"`
	NameJA      string   `yaml:"name_ja" json:"name_ja"`
	Owner       []string `yaml:"owner" json:"owner"` // roles that may complete the stage
	Description string   `yaml:"description" json:"description"`
	// EscalateWhen names the criterion (see Criteria) that escalates the
	// case while it is in this stage, to the role EscalateTo.
	EscalateWhen string                `yaml:"escalate_when" json:"escalate_when"`
	EscalateTo   string                `yaml:"escalate_to" json:"escalate_to"`
	Evidence     []EvidenceRequirement `yaml:"evidence" json:"evidence"`
	Tasks        []string              `yaml:"tasks" json:"tasks"`
}

// EvidenceRequirement is evidence that must be attached before a stage is left.
type EvidenceRequirement struct {
	Key    string `yaml:"key" json:"key"`
	Name   string `yaml:"name" json:"name"`
	NameJA string `yaml:"name_ja" json:"name_ja"`
}

// Label is the playbook's title in lang: the Japanese one when lang is
// "ja" and the playbook has one, else the English one.
func (p Playbook) Label(lang string) string { return inLang(lang, p.Title, p.TitleJA) }

// Label is the stage's name in lang (see Playbook.Label).
func (s Stage) Label(lang string) string { return inLang(lang, s.Name, s.NameJA) }

// Label is the evidence's name in lang (see Playbook.Label).
func (e EvidenceRequirement) Label(lang string) string { return inLang(lang, e.Name, e.NameJA) }

func inLang(lang, en, ja string) string {
	if lang == "ja" && ja != "" {
		return ja
	}
	return en
}

// playbookFile is a template as written: either full stages, or a base it
// extends with extra tasks and evidence per stage key.
type playbookFile struct {
	Playbook `yaml:",inline"`
	Extends  string                           `yaml:"extends"`
	Tasks    map[string][]string              `yaml:"tasks"`
	Evidence map[string][]EvidenceRequirement `yaml:"evidence"`
}

// Playbooks is the set of templates by name.
type Playbooks map[string]Playbook

// DefaultPlaybook is the template used when a case names none.
const DefaultPlaybook = "default"

// LoadPlaybooks reads the built-in templates and, when dir is not empty,
// the *.yml files in dir (which may replace built-in ones by name).
func LoadPlaybooks(extra fs.FS) (Playbooks, error) {
	files := map[string]playbookFile{}
	read := func(fsys fs.FS, dir string) error {
		names, err := fs.Glob(fsys, path.Join(dir, "*.yml"))
		if err != nil {
			return err
		}
		for _, n := range names {
			body, err := fs.ReadFile(fsys, n)
			if err != nil {
				return err
			}
			var f playbookFile
			dec := yaml.NewDecoder(bytes.NewReader(body))
			dec.KnownFields(true)
			if err := dec.Decode(&f); err != nil {
				return fmt.Errorf("playbook %s: %w", n, err)
			}
			if f.Name == "" {
				return fmt.Errorf("playbook %s: name is missing", n)
			}
			files[f.Name] = f
		}
		return nil
	}
	if err := read(builtinPlaybooks, "playbooks"); err != nil {
		return nil, err
	}
	if extra != nil {
		if err := read(extra, "."); err != nil {
			return nil, err
		}
	}
	out := Playbooks{}
	for name := range files {
		p, err := resolve(files, name, 0)
		if err != nil {
			return nil, err
		}
		if err := p.validate(); err != nil {
			return nil, err
		}
		out[name] = p
	}
	if _, ok := out[DefaultPlaybook]; !ok {
		return nil, errors.New("playbooks: the default playbook is missing")
	}
	return out, nil
}

func resolve(files map[string]playbookFile, name string, depth int) (Playbook, error) {
	f, ok := files[name]
	if !ok {
		return Playbook{}, fmt.Errorf("playbook %q does not exist", name)
	}
	if depth > 5 {
		return Playbook{}, fmt.Errorf("playbook %q: extends loops", name)
	}
	p := f.Playbook
	if f.Extends != "" {
		base, err := resolve(files, f.Extends, depth+1)
		if err != nil {
			return Playbook{}, fmt.Errorf("playbook %q: %w", name, err)
		}
		if len(p.Stages) == 0 {
			p.Stages = make([]Stage, len(base.Stages))
			for i, s := range base.Stages {
				s.Tasks = append([]string(nil), s.Tasks...)
				s.Evidence = append([]EvidenceRequirement(nil), s.Evidence...)
				p.Stages[i] = s
			}
		}
	}
	keys := map[string]int{}
	for i, s := range p.Stages {
		keys[s.Key] = i
	}
	for key, tasks := range f.Tasks {
		i, ok := keys[key]
		if !ok {
			return Playbook{}, fmt.Errorf("playbook %q: tasks for unknown stage %q", name, key)
		}
		p.Stages[i].Tasks = append(p.Stages[i].Tasks, tasks...)
	}
	for key, ev := range f.Evidence {
		i, ok := keys[key]
		if !ok {
			return Playbook{}, fmt.Errorf("playbook %q: evidence for unknown stage %q", name, key)
		}
		p.Stages[i].Evidence = append(p.Stages[i].Evidence, ev...)
	}
	return p, nil
}

func (p Playbook) validate() error {
	if len(p.Stages) == 0 {
		return fmt.Errorf("playbook %q has no stages", p.Name)
	}
	seen := map[string]bool{}
	for _, s := range p.Stages {
		if s.Key == "" || seen[s.Key] {
			return fmt.Errorf("playbook %q: stage keys must be unique and not empty (%q)", p.Name, s.Key)
		}
		seen[s.Key] = true
		if len(s.Owner) == 0 {
			return fmt.Errorf("playbook %q: stage %q has no owner role", p.Name, s.Key)
		}
		if _, ok := Criteria[s.EscalateWhen]; s.EscalateWhen != "" && !ok {
			return fmt.Errorf("playbook %q: stage %q: unknown escalation criterion %q (known: %v)", p.Name, s.Key, s.EscalateWhen, criteriaNames())
		}
	}
	return nil
}

func criteriaNames() []string {
	var out []string
	for k := range Criteria {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
