package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/yagura-soc/yagura/internal/detect/sigma"
	"github.com/yagura-soc/yagura/internal/scan"
)

// pathList collects a repeatable flag.
type pathList []string

func (p *pathList) String() string     { return strings.Join(*p, ",") }
func (p *pathList) Set(v string) error { *p = append(*p, v); return nil }

// runScan is "yagura scan --rules PATH [--rules PATH ...] [--format
// jsonl|csv|table] [--min-level LEVEL] [--placeholders FILE] [--logsources
// FILE] INPUT...": findings to stdout, the summary to stderr; exit 0 whether
// or not anything matched.
func runScan(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("scan", stderr)
	var rules pathList
	fs.Var(&rules, "rules", "Sigma rule file or folder (repeatable)")
	format := fs.String("format", "jsonl", "output format: "+strings.Join(scan.Formats, ", "))
	minLevel := fs.String("min-level", "", "drop findings below this level: "+strings.Join(scan.Levels, ", "))
	placeholders := fs.String("placeholders", "", "YAML file of |expand placeholder values")
	logsources := fs.String("logsources", "", "logsource mapping file layered over the built-in one")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if len(rules) == 0 {
		return usageError("scan needs --rules PATH")
	}
	if fs.NArg() == 0 {
		return usageError("scan needs at least one input file or folder")
	}
	if *minLevel != "" && scan.LevelRank(*minLevel) < 0 {
		return usageError("unknown --min-level %q (want %s)", *minLevel, strings.Join(scan.Levels, ", "))
	}
	opts, err := sigma.OptionsFromFiles(*placeholders, *logsources)
	if err != nil {
		return err
	}
	set, rejected, err := sigma.LoadPaths(rules...)
	if err != nil {
		return err
	}
	eng, err := sigma.NewEngine(set, opts)
	if err != nil {
		return fmt.Errorf("scan: compile rules: %w", err)
	}
	fmt.Fprintf(stderr, "loaded %d rules, %d rejected\n", eng.Rules(), len(rejected))
	w, err := scan.NewWriter(stdout, *format)
	if err != nil {
		return usageError("%v", err)
	}
	sum, err := scan.Run(fs.Args(), eng, scan.Options{MinLevel: *minLevel}, w.Write)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	scan.WriteSummary(stderr, sum)
	return err
}
