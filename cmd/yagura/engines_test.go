package main

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yagura-soc/yagura/internal/config"
	"github.com/yagura-soc/yagura/internal/detect/builtin"
)

// TestEnginesReadDetectionFiles: the server's rules take their placeholder
// values from detection.placeholders, and a missing file stops the start
// with an error that names it.
func TestEnginesReadDetectionFiles(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	path := filepath.Join(t.TempDir(), "placeholders.yml")
	if err := os.WriteFile(path, []byte("placeholders:\n  "+builtin.PlaceholderC2+": [198.51.100.7]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	unresolved := func(cfg config.Config) int {
		t.Helper()
		deps, err := engines(cfg, log)
		if err != nil {
			t.Fatal(err)
		}
		return deps.Rules.Engine().Stats().UnresolvedPlaceholders[builtin.PlaceholderC2]
	}

	cfg := config.Default()
	if unresolved(cfg) == 0 {
		t.Fatalf("without a placeholder file the built-in C2 rule's %s should be unresolved", builtin.PlaceholderC2)
	}
	cfg.Detect.Placeholders = path
	if n := unresolved(cfg); n != 0 {
		t.Errorf("with %s, %s is still unresolved %d times", path, builtin.PlaceholderC2, n)
	}
	cfg.Detect.Placeholders = path + ".missing"
	if _, err := engines(cfg, log); err == nil || !strings.Contains(err.Error(), "placeholders.yml.missing") {
		t.Errorf("missing placeholder file: %v, want an error naming it", err)
	}
}
