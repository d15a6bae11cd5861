package sigma

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestCheckPathsGolden checks the "rules check --json" report for a folder
// of good and broken rules against testdata/check.golden.json.
func TestCheckPathsGolden(t *testing.T) {
	report, err := CheckPaths(filepath.Join("testdata", "check"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(report, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden := filepath.Join("testdata", "check.golden.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("report differs from %s (run with -update to accept):\n%s", golden, got)
	}
	if report.Loaded != 2 {
		t.Errorf("loaded %d, want the two documents of good_multi.yml", report.Loaded)
	}
	wantReasons := map[string]string{
		"bad_modifier.yaml": `unsupported modifier "sounds_like"`,
		"bad_condition.yml": "condition: column 19",
		"aggregation.yml":   "aggregation",
		"lookahead.yml":     "RE2 does not support",
		"duplicate.yml":     "duplicate rule id",
		"not_yaml.yml":      "invalid YAML",
		"undefined.yml":     `undefined search identifier "filter_main"`,
	}
	for _, r := range report.Rejected {
		base := filepath.Base(r.Path)
		want, ok := wantReasons[base]
		if !ok {
			t.Errorf("unexpected rejection %s", r)
			continue
		}
		if !strings.Contains(r.Reason, want) {
			t.Errorf("%s: reason %q does not contain %q", base, r.Reason, want)
		}
		delete(wantReasons, base)
	}
	for f := range wantReasons {
		t.Errorf("%s was not rejected", f)
	}
}

func TestCheckPathsUnreadable(t *testing.T) {
	if _, err := CheckPaths(filepath.Join("testdata", "does-not-exist")); err == nil {
		t.Fatal("a missing path must be an error")
	}
}

func TestParseRuleMetadata(t *testing.T) {
	rules, rej := ParseRules("m.yml", []byte(`title: Meta
id: 20000000-0000-0000-0000-000000000001
name: meta_rule
status: experimental
level: HIGH
author: someone
date: 2024-01-01
tags:
  - attack.t1059
falsepositives: Unknown
logsource:
  product: Windows
  category: Process_Creation
detection:
  sel: {A: 1}
  condition: sel
`))
	if len(rej) != 0 || len(rules) != 1 {
		t.Fatalf("rules %d rejections %v", len(rules), rej)
	}
	r := rules[0]
	if r.ID != "20000000-0000-0000-0000-000000000001" || r.Name != "meta_rule" || r.Level != "high" || r.Status != "experimental" {
		t.Errorf("metadata = %+v", r)
	}
	if r.Logsource.Product != "windows" || r.Logsource.Category != "process_creation" {
		t.Errorf("logsource not lower-cased: %+v", r.Logsource)
	}
	if len(r.Tags) != 1 || len(r.FalsePositives) != 1 || r.FalsePositives[0] != "Unknown" {
		t.Errorf("tags %v falsepositives %v", r.Tags, r.FalsePositives)
	}
}

func TestParseTimespan(t *testing.T) {
	for in, want := range map[string]string{"30s": "30s", "5m": "5m0s", "2h": "2h0m0s", "1d": "24h0m0s", "1w": "168h0m0s"} {
		d, err := ParseTimespan(in)
		if err != nil || d.String() != want {
			t.Errorf("ParseTimespan(%q) = %v, %v; want %s", in, d, err, want)
		}
	}
	for _, bad := range []string{"", "5", "m", "-1m", "5x", "99999999999y"} {
		if _, err := ParseTimespan(bad); err == nil {
			t.Errorf("ParseTimespan(%q) should fail", bad)
		}
	}
}

// FuzzParseRules feeds arbitrary documents to the loader and compiler: no
// input may panic, and every accepted rule must compile.
func FuzzParseRules(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "check", "*.yml"))
	more, _ := filepath.Glob(filepath.Join("testdata", "check", "sub", "*.y*ml"))
	for _, p := range append(seeds, more...) {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(ruleWith("  sel:\n    A|base64offset|contains: x\n    B|windash: -a\n  condition: all of them")))
	f.Fuzz(func(t *testing.T, data []byte) {
		rules, _ := ParseRules("fuzz.yml", data)
		set := &RuleSet{}
		set.Add(rules...)
		set.validate()
		eng, err := NewEngine(set, Options{EvaluateUnmapped: true})
		if err != nil {
			t.Fatalf("validated rules failed to compile: %v", err)
		}
		eng.Detect(fieldsEvent("A", "x", "B", "-a"), nil)
	})
}

func TestRuleCollections(t *testing.T) {
	doc := `action: global
title: Shared title
status: test
logsource:
  product: windows
detection:
  condition: sel
level: high
---
id: 30000000-0000-0000-0000-000000000001
logsource:
  category: process_creation
detection:
  sel:
    Image|endswith: '\a.exe'
---
action: repeat
id: 30000000-0000-0000-0000-000000000002
detection:
  sel:
    Image|endswith: '\b.exe'
---
action: reset
---
title: Standalone
id: 30000000-0000-0000-0000-000000000003
logsource: {product: linux}
detection:
  sel: {A: b}
  condition: sel
`
	rules, rej := ParseRules("c.yml", []byte(doc))
	if len(rej) != 0 || len(rules) != 3 {
		t.Fatalf("rules %d, rejections %v", len(rules), rej)
	}
	a, b, c := rules[0], rules[1], rules[2]
	if a.Title != "Shared title" || a.Level != "high" || a.Logsource.Product != "windows" || a.Logsource.Category != "process_creation" {
		t.Errorf("global not merged: %+v", a)
	}
	if b.ID != "30000000-0000-0000-0000-000000000002" || b.Logsource.Category != "process_creation" || len(b.Detection.Selections["sel"].Branches[0]) != 1 {
		t.Errorf("repeat not merged: %+v", b)
	}
	if got := b.Detection.Selections["sel"].Branches[0][0].Values[0].S; got != `\b.exe` {
		t.Errorf("repeat kept the old value %q", got)
	}
	if c.Level != "" || c.Logsource.Product != "linux" {
		t.Errorf("reset did not clear the global document: %+v", c)
	}
	if _, rej := ParseRules("r.yml", []byte("action: repeat\ntitle: x\n")); len(rej) != 1 || !strings.Contains(rej[0].Reason, "without a previous") {
		t.Errorf("repeat first: %v", rej)
	}
}
