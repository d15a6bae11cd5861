package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
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

// TestScanPlaceholders: a rule using |expand matches only once the
// operator's placeholder file gives the placeholder values; a broken file is
// an error that names it.
func TestScanPlaceholders(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	rule := write("admin_logon.yml", `title: Logon from an admin workstation
id: 5d1c3f0e-0000-4000-8000-00000000ad01
status: test
level: medium
logsource: {product: windows, service: security}
detection:
  selection:
    EventID: 4624
    WorkstationName|expand: '%Admins_Workstations%'
  condition: selection
`)
	events := write("logons.jsonl",
		`{"Event":{"System":{"EventID":4624,"Channel":"Security","Computer":"dc01.corp.example","EventRecordID":1,"TimeCreated":{"#attributes":{"SystemTime":"2026-11-23T01:00:00Z"}}},"EventData":{"WorkstationName":"WS-ADMIN-01","TargetUserName":"alice"}}}`+"\n"+
			`{"Event":{"System":{"EventID":4624,"Channel":"Security","Computer":"dc01.corp.example","EventRecordID":2,"TimeCreated":{"#attributes":{"SystemTime":"2026-11-23T01:01:00Z"}}},"EventData":{"WorkstationName":"LAPTOP-7","TargetUserName":"bob"}}}`+"\n")
	placeholders := write("placeholders.yml", "placeholders:\n  Admins_Workstations: [ws-admin-*]\n")
	broken := write("broken.yml", "placeholders: [unclosed\n")

	for _, tc := range []struct {
		name string
		args []string
		want int // findings; -1: the command must fail
	}{
		{"no placeholder file", nil, 0},
		{"placeholder file", []string{"--placeholders", placeholders}, 1},
		{"broken placeholder file", []string{"--placeholders", broken}, -1},
	} {
		var stdout, stderr bytes.Buffer
		args := append(append([]string{"scan", "--rules", rule}, tc.args...), events)
		code := run(context.Background(), args, &stdout, &stderr)
		if tc.want < 0 {
			if code == 0 || !strings.Contains(stderr.String(), "broken.yml") {
				t.Errorf("%s: exit %d, stderr %q; want a failure naming broken.yml", tc.name, code, stderr.String())
			}
			continue
		}
		if code != 0 {
			t.Fatalf("%s: exit %d, stderr:\n%s", tc.name, code, stderr.String())
		}
		if got := strings.Count(stdout.String(), `"rule_id":"5d1c3f0e-0000-4000-8000-00000000ad01"`); got != tc.want {
			t.Errorf("%s: %d findings, want %d:\n%s", tc.name, got, tc.want, stdout.String())
		}
	}
}
