//go:build unix

package server

import (
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/config"
	"github.com/yagura-soc/yagura/internal/detect/live"
)

func userRule(id, user string) string {
	return "title: Login by " + user + "\nid: " + id + "\nlevel: high\nlogsource: {product: linux, service: auth}\n" +
		"detection:\n  sel:\n    user.name: " + user + "\n  condition: sel\n"
}

// SIGHUP reloads the rule folders of a running server, and the engine's
// instruments are on the server's /metrics.
func TestSIGHUPReloadsRules(t *testing.T) {
	dir := t.TempDir()
	const first, second = "7e2a1c34-5b6d-4e8f-9a0b-1c2d3e4f5a61", "7e2a1c34-5b6d-4e8f-9a0b-1c2d3e4f5a62"
	if err := os.WriteFile(filepath.Join(dir, "a.yml"), []byte(userRule(first, "mallory")), 0o600); err != nil {
		t.Fatal(err)
	}
	rules, _, err := live.New(live.Config{RuleDirs: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Data = t.TempDir()
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.Syslog.Addr = ""
	srv, stop := startWith(t, cfg, Deps{Normalize: keepRaw, Detector: rules, Rules: rules})
	defer stop()

	// Our own subscription keeps a SIGHUP sent before the server listens
	// from ending the test process.
	hup := make(chan os.Signal, 16)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	if err := os.WriteFile(filepath.Join(dir, "b.yml"), []byte(userRule(second, "eve")), 0o600); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, ok := rules.Rule(second); !ok; _, ok = rules.Rule(second) {
		if time.Now().After(deadline) {
			t.Fatal("the new rule was not loaded after SIGHUP")
		}
		syscall.Kill(os.Getpid(), syscall.SIGHUP)
		time.Sleep(50 * time.Millisecond)
	}

	resp, err := http.Get(srv.URL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"yagura_sigma_rules 2", `yagura_sigma_reloads_total{result="applied"}`, "yagura_correlation_matches_total 0"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
