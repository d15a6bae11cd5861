package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/yagura-soc/yagura/internal/shareddata"
)

// TestScanCommand runs "yagura scan" on one SigmaHQ regression sample with
// its rule's folder: one jsonl finding per match on stdout, the summary on
// stderr, exit 0; usage errors and unreadable inputs exit non-zero.
func TestScanCommand(t *testing.T) {
	rules := shareddata.Path(t, "sigma", "rules", "windows", "builtin", "security")
	sample := shareddata.Path(t, "sigma", "regression_data", "rules", "windows", "builtin", "security",
		"win_security_explicit_credential_local_logon")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"scan", "--rules", rules, sample}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr.String())
	}
	found := 0
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		var f map[string]any
		if err := json.Unmarshal([]byte(line), &f); err != nil {
			t.Fatalf("not a JSON line: %q", line)
		}
		for _, k := range []string{"rule_id", "rule_title", "level", "timestamp", "source", "record_id", "event"} {
			if _, ok := f[k]; !ok {
				t.Errorf("finding lacks %q: %s", k, line)
			}
		}
		if f["rule_id"] == "e3c6d245-7b8f-4e2a-c17f-a9d0e5b38f62" {
			found++
		}
	}
	// The folder holds the sample as .evtx and as .json: one match each.
	if found != 2 {
		t.Errorf("rule matched %d times, want 2 (evtx and json):\n%s", found, stdout.String())
	}
	if !strings.Contains(stderr.String(), "by level:") || !strings.Contains(stderr.String(), "by rule:") {
		t.Errorf("summary missing from stderr:\n%s", stderr.String())
	}

	for _, args := range [][]string{
		{"scan", sample},           // no --rules
		{"scan", "--rules", rules}, // no input
		{"scan", "--rules", rules, "--format", "xml", sample},     // bad format
		{"scan", "--rules", rules, "--min-level", "huge", sample}, // bad level
		{"scan", "--rules", rules, sample + "-missing"},           // unreadable input
	} {
		stdout.Reset()
		stderr.Reset()
		if code := run(context.Background(), args, &stdout, &stderr); code == 0 {
			t.Errorf("%v: exit 0, want non-zero", args)
		}
	}
	// Nothing matching is still success.
	stdout.Reset()
	if code := run(context.Background(), []string{"scan", "--rules", rules, "--min-level", "critical", sample}, &stdout, &stderr); code != 0 || stdout.Len() != 0 {
		t.Errorf("min-level critical: exit %d, output %q", code, stdout.String())
	}
}
