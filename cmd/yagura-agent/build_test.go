package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The agent cross-compiles without cgo for every platform it ships on.
func TestCrossCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the agent three times")
	}
	for _, target := range []struct{ goos, goarch string }{
		{"linux", "amd64"}, {"linux", "arm64"}, {"windows", "amd64"},
	} {
		t.Run(target.goos+"/"+target.goarch, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "yagura-agent")
			cmd := exec.Command("go", "build", "-o", out, ".")
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+target.goos, "GOARCH="+target.goarch)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("go build: %v\n%s", err, b)
			}
		})
	}
}

// The agent links no server code: no stores, no database drivers.
func TestLinksNoServerCode(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	forbidden := []string{"duckdb", "sqlite", "yagura/internal/store", "yagura/internal/server", "yagura/internal/httpapi", "yagura/internal/pipeline"}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if strings.Contains(dep, f) {
				t.Errorf("yagura-agent depends on %s", dep)
			}
		}
	}
}
