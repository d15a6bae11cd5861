package syslog

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/ingest/ingesttest"
	"github.com/yagura-soc/yagura/internal/store"
)

// startSource runs a source on a fresh Env; stop ends it and drains the
// pipeline, so that everything it received is stored.
func startSource(t *testing.T) (*Source, *ingesttest.Env, func()) {
	t.Helper()
	env := ingesttest.New(t, ingesttest.Options{})
	src := New(Config{Addr: "127.0.0.1:0", Tenant: store.DefaultTenant}, env.Pipeline, env.Metrics, env.Log)
	stopSource := ingesttest.Start(t, src)
	return src, env, func() {
		stopSource()
		env.Pipeline.Close(context.Background())
	}
}

// Real logger(1) clients over UDP and TCP, in both RFC formats and both
// TCP framings: every message arrives once.
func TestRealLoggerClients(t *testing.T) {
	if _, err := exec.LookPath("logger"); err != nil {
		t.Fatal("logger(1) is required (Debian package bsdutils; make deps installs it)")
	}
	src, env, stop := startSource(t)
	host, port, _ := net.SplitHostPort(src.Addr())
	cases := []struct {
		name, msg string
		args      []string
	}{
		{"udp rfc3164", "udp-3164-hello", []string{"--udp", "--rfc3164"}},
		{"udp rfc5424", "udp-5424-hello", []string{"--udp", "--rfc5424"}},
		{"tcp rfc3164 lf", "tcp-3164-hello", []string{"--tcp", "--rfc3164"}},
		{"tcp rfc5424 octet", "tcp-5424-octet", []string{"--tcp", "--rfc5424", "--octet-count"}},
	}
	for _, c := range cases {
		args := append([]string{"--server", host, "--port", port, "--tag", "yagura-test"}, c.args...)
		args = append(args, c.msg)
		if out, err := exec.Command("logger", args...).CombinedOutput(); err != nil {
			t.Fatalf("%s: logger: %v: %s", c.name, err, out)
		}
	}
	// UDP is fire-and-forget: stop only once everything arrived (or give
	// up after a generous bound and report what is missing).
	deadline := time.Now().Add(10 * time.Second)
	for len(env.Stored(t, store.DefaultTenant)) < len(cases) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	got := env.Stored(t, store.DefaultTenant)
	if len(got) != len(cases) {
		t.Fatalf("stored %d records, want %d: %q", len(got), len(cases), got)
	}
	for _, c := range cases {
		n := 0
		for _, g := range got {
			if strings.HasSuffix(g, c.msg) && strings.Contains(g, "yagura-test") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s: %q arrived %d times in %q", c.name, c.msg, n, got)
		}
	}
}

func TestTCPFramingMixedAndOversized(t *testing.T) {
	src, env, stop := startSource(t)
	c, err := net.Dial("tcp", src.Addr())
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(c)
	long := strings.Repeat("x", 70<<10)
	msgs := []string{"<13>first line", "<13>second with spaces", "<13>" + long, "<13>after the long one"}
	fmt.Fprintf(w, "%s\n", msgs[0])
	fmt.Fprintf(w, "%d %s", len(msgs[1]), msgs[1]) // octet-counted, no LF
	fmt.Fprintf(w, "%s\r\n", msgs[2])
	fmt.Fprintf(w, "%s", msgs[3]) // last record, closed without LF
	w.Flush()
	c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for len(env.Stored(t, store.DefaultTenant)) < 4 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	got := env.Stored(t, store.DefaultTenant)
	if len(got) != 4 {
		t.Fatalf("got %d records: %.80q", len(got), got)
	}
	want := []string{msgs[2][:64<<10], msgs[3], msgs[0], msgs[1]}
	sort.Strings(want)
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("record %d = %.60q (len %d), want %.60q (len %d)", i, got[i], len(got[i]), want[i], len(want[i]))
		}
	}
}
