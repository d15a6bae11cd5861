package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/yagura-soc/yagura/internal/detect/sigma"
)

// runRules checks Sigma rules: "rules check [--json] PATH...". Rejected
// rules are reported, not failed on; only an unreadable path is an error.
func runRules(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "check" {
		return usageError("rules needs a subcommand: check")
	}
	fs := newFlagSet("rules check", stderr)
	asJSON := fs.Bool("json", false, `print {"loaded": N, "rejected": [...]} as JSON`)
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	// Accept --json after the paths too, as people type it.
	var paths []string
	for _, a := range fs.Args() {
		if a == "--json" || a == "-json" {
			*asJSON = true
			continue
		}
		paths = append(paths, a)
	}
	if len(paths) == 0 {
		return usageError("rules check needs at least one file or folder")
	}
	report, err := sigma.CheckPaths(paths...)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(report)
	}
	for _, r := range report.Rejected {
		fmt.Fprintf(stdout, "rejected %s\n", r)
	}
	fmt.Fprintf(stdout, "loaded %d, rejected %d\n", report.Loaded, len(report.Rejected))
	return nil
}
