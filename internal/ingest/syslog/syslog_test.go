package syslog

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/metrics"
	"github.com/yagura-soc/yagura/internal/pipeline"
	"github.com/yagura-soc/yagura/internal/store"
	"github.com/yagura-soc/yagura/internal/store/duckdb"
	"github.com/yagura-soc/yagura/internal/store/sqlite"
)

// rawOnly keeps the record as its message; parsing is tested elsewhere.
func rawOnly(ev *event.Event, data []byte, _ string) { ev.ECS = event.Fields{"message": string(data)} }

func startSource(t *testing.T) (*Source, store.EventStore, func()) {
	t.Helper()
	dir := t.TempDir()
	evs, err := duckdb.Open(context.Background(), filepath.Join(dir, "e.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	m := metrics.New()
	p := pipeline.New(pipeline.Config{Workers: 2}, evs, st, rawOnly, nil, m, log)
	src := New(Config{Addr: "127.0.0.1:0", Tenant: store.DefaultTenant}, p, m, log)
	if err := src.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { src.Run(ctx); close(done) }()
	stop := func() {
		cancel()
		<-done
		p.Close(context.Background())
	}
	t.Cleanup(func() { evs.Close(); st.Close() })
	return src, evs, stop
}

func storedMessages(t *testing.T, evs store.EventStore) []string {
	t.Helper()
	page, err := evs.Search(context.Background(), store.EventQuery{Tenant: store.DefaultTenant, Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ev := range page.Items {
		out = append(out, ev.Raw)
	}
	sort.Strings(out)
	return out
}

// Real logger(1) clients over UDP and TCP, in both RFC formats and both
// TCP framings: every message arrives once.
func TestRealLoggerClients(t *testing.T) {
	if _, err := exec.LookPath("logger"); err != nil {
		t.Fatal("logger(1) is required (Debian package bsdutils; make deps installs it)")
	}
	src, evs, stop := startSource(t)
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
	for len(storedMessages(t, evs)) < len(cases) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	got := storedMessages(t, evs)
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
	src, evs, stop := startSource(t)
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
	for len(storedMessages(t, evs)) < 4 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	got := storedMessages(t, evs)
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
