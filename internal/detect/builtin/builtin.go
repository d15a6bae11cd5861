// Package builtin is Yagura's own Sigma rule pack, compiled into the
// binary: brute force and password spraying, encoded PowerShell, ransomware
// precursors and encryption, new local administrators, cleared event logs,
// attacks on web servers, root shells after SSH logins and C2 beaconing.
// The rules are ordinary Sigma files under rules/; the demo's attack
// stories (internal/demo) are written to set every one of them off.
//
// Windows rules use the native Windows field names (Image, CommandLine,
// TargetUserName, …); Linux, web and firewall rules use ECS names
// (user.name, source.ip, url.original, …), because those sources have no
// native field names of their own.
//
// One rule needs a value from the operator: "Firewall allowed a connection
// to a known C2 address" matches destination.ip against the %c2_ips%
// placeholder (PlaceholderC2; pass values in sigma.Options.Placeholders).
// Without values it matches nothing. The demo's C2 addresses are fixed by
// its seed: demo.New(seed, t).C2Addresses().
//
// This package must never contain rules copied from other rule sets (their
// licences differ; SigmaHQ rules are loaded from disk by the operator), and
// every rule here must keep its id once released: alerts, suppressions and
// cases refer to rules by id.
package builtin

import (
	"embed"
	"fmt"
	"io/fs"
	"strings"

	"github.com/yagura-soc/yagura/internal/detect/sigma"
)

// PlaceholderC2 names the Sigma placeholder (%c2_ips%) listing
// command-and-control addresses, used with the |expand modifier.
const PlaceholderC2 = "c2_ips"

//go:embed rules/*.yml
var rules embed.FS

// FS returns the rule pack: one Sigma file per detection, at the root of
// the returned file system.
func FS() fs.FS {
	sub, err := fs.Sub(rules, "rules")
	if err != nil {
		// fs.Sub only fails on an invalid path; "rules" is a constant.
		panic(err)
	}
	return sub
}

// Load parses the rule pack. A rejected rule is a defect of this package
// (the tests load the pack), so Load reports any rejection as an error
// instead of silently running with fewer rules.
func Load() (*sigma.RuleSet, error) {
	set, rejected, err := sigma.LoadFS(FS(), ".")
	if err != nil {
		return nil, fmt.Errorf("builtin rules: %w", err)
	}
	if len(rejected) > 0 {
		msgs := make([]string, len(rejected))
		for i, r := range rejected {
			msgs[i] = r.String()
		}
		return nil, fmt.Errorf("builtin rules: %d rejected: %s", len(rejected), strings.Join(msgs, "; "))
	}
	return set, nil
}
