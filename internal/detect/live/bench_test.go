package live

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/yagura-soc/yagura/internal/detect"
)

// BenchmarkDetect compares the bare engine with the live detector, with
// and without a tenant that disabled the matching rule: the difference is
// the cost of reloadability and per-tenant settings.
func BenchmarkDetect(b *testing.B) {
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "rules.yml"), []byte(userRule(malloryID, "mallory")+"---\n"+userRule(eveID, "eve")), 0o600); err != nil {
		b.Fatal(err)
	}
	d, _, err := New(Config{Builtin: true, RuleDirs: []string{dir}})
	if err != nil {
		b.Fatal(err)
	}
	matching, quiet := authEvent("acme", "mallory"), authEvent("acme", "alice")
	run := func(name string, det detect.Detector) {
		b.Run(name, func(b *testing.B) {
			out := make([]detect.Match, 0, 4)
			for i := 0; b.Loop(); i++ {
				ev := quiet
				if i%10 == 0 {
					ev = matching
				}
				out = det.Detect(ev, out[:0])
			}
		})
	}
	run("engine", d.Engine())
	run("live", d)
	d.setDisabled("acme", []string{malloryID})
	run("live-disabled", d)
}
