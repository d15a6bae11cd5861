package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

func TestRulesCheck(t *testing.T) {
	dir := filepath.Join("..", "..", "internal", "detect", "sigma", "testdata", "check")
	tests := []struct {
		name     string
		args     []string
		code     int
		contains string
	}{
		{"json", []string{"rules", "check", "--json", dir}, 0, `"loaded": 2`},
		{"json after path", []string{"rules", "check", dir, "--json"}, 0, `"rejected": [`},
		{"text", []string{"rules", "check", dir}, 0, "loaded 2, rejected 7"},
		{"unreadable path", []string{"rules", "check", filepath.Join(dir, "missing")}, 1, ""},
		{"no path", []string{"rules", "check"}, 1, ""},
		{"no subcommand", []string{"rules"}, 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), tt.args, &stdout, &stderr); code != tt.code {
				t.Fatalf("exit %d, want %d (stderr %s)", code, tt.code, stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.contains) {
				t.Errorf("stdout %q does not contain %q", stdout.String(), tt.contains)
			}
		})
	}
	var stdout bytes.Buffer
	run(context.Background(), []string{"rules", "check", "--json", dir}, &stdout, &bytes.Buffer{})
	var report struct {
		Loaded   int `json:"loaded"`
		Rejected []struct {
			Path, ID, Reason string
		} `json:"rejected"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &report); err != nil {
		t.Fatal(err)
	}
	if report.Loaded != 2 || len(report.Rejected) != 7 || report.Rejected[0].Reason == "" || report.Rejected[0].Path == "" {
		t.Errorf("report = %+v", report)
	}
}
