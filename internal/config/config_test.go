package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestLoadPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "y.yaml")
	os.WriteFile(file, []byte("data: /srv/yagura\nhttp:\n  addr: 0.0.0.0:9000\nalerts:\n  dedup_window: 15m\n"), 0o600)
	env := map[string]string{"YAGURA_HTTP_ADDR": "127.0.0.1:7000"}
	cfg, err := Load(file, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Data != "/srv/yagura" {
		t.Errorf("data = %q (file must override default)", cfg.Data)
	}
	if cfg.HTTP.Addr != "127.0.0.1:7000" {
		t.Errorf("http.addr = %q (env must override file)", cfg.HTTP.Addr)
	}
	if cfg.Syslog.Addr != "127.0.0.1:5514" {
		t.Errorf("syslog.addr = %q (default must stay)", cfg.Syslog.Addr)
	}
	if time.Duration(cfg.Alerts.DedupWindow) != 15*time.Minute {
		t.Errorf("dedup_window = %v", time.Duration(cfg.Alerts.DedupWindow))
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	n := 0
	write := func(body string) string {
		n++
		p := filepath.Join(dir, strconv.Itoa(n)+".yaml")
		os.WriteFile(p, []byte(body), 0o600)
		return p
	}
	cases := []struct {
		name, path string
		env        map[string]string
		want       string
	}{
		{"missing file", filepath.Join(dir, "nope.yaml"), nil, "no such file"},
		{"unknown key", write("htpp:\n  addr: x\n"), nil, "field htpp not found"},
		{"bad duration", write("alerts:\n  dedup_window: soon\n"), nil, "is not a duration"},
		{"bad env number", "", map[string]string{"YAGURA_PIPELINE_WORKERS": "many"}, "YAGURA_PIPELINE_WORKERS"},
		{"half tls", write("http:\n  tls_cert: a.pem\n"), nil, "go together"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(c.path, func(k string) string { return c.env[k] })
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want it to mention %q", err, c.want)
			}
		})
	}
}

func TestEmptyFileKeepsDefaults(t *testing.T) {
	p := filepath.Join(t.TempDir(), "empty.yaml")
	os.WriteFile(p, nil, 0o600)
	cfg, err := Load(p, nil)
	if err != nil || cfg.HTTP.Addr != Default().HTTP.Addr {
		t.Fatalf("cfg = %+v, %v", cfg.HTTP, err)
	}
}

// The documented example must load and describe exactly the defaults.
func TestExampleFileIsTheDefaults(t *testing.T) {
	cfg, err := Load(filepath.Join("..", "..", "config.example.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprintf("%+v", cfg) != fmt.Sprintf("%+v", Default()) {
		t.Errorf("config.example.yaml differs from Default():\nfile:    %+v\ndefault: %+v", cfg, Default())
	}
}
