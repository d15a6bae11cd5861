package syslog

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/yagura-soc/yagura/internal/ingest"
	"github.com/yagura-soc/yagura/internal/ingest/ingesttest"
)

// runSource starts a syslog source on env's pipeline; it stops (and
// drains) when the test ends.
func runSource(t *testing.T, env *ingesttest.Env, cfg Config) *Source {
	t.Helper()
	src := New(cfg, env.Pipeline, env.Metrics, env.Log)
	ingesttest.Start(t, src)
	return src
}

// rsyslogd tails a file and forwards it over TCP with octet counting and
// over TLS (RFC 5425) with a client certificate; a CIDR rule maps the plain
// TCP sender and the certificate's CN maps the TLS sender, each to its own
// tenant. Every line arrives exactly once, in the right tenant.
func TestRsyslogTCPAndTLS(t *testing.T) {
	ca := ingesttest.NewCA(t)
	tlsCfg := ca.ServerTLS(t, true)
	client := ca.Issue(t, "branch-a.example")
	env := ingesttest.New(t, ingesttest.Options{})
	nets, _ := ingest.ParseNetworks(map[string]string{"127.0.0.0/8": "loopback-tenant"})
	src := runSource(t, env, Config{Addr: "127.0.0.1:0", Tenant: "default", Networks: nets,
		Certs: map[string]string{"branch-a.example": "branch-a"}, TLSAddr: "127.0.0.1:0", TLS: tlsCfg})
	_, tcpPort, _ := net.SplitHostPort(src.Addr())
	_, tlsPort, _ := net.SplitHostPort(src.TLSAddr())

	dir := t.TempDir()
	plain, secure := ingesttest.Lines("rsyslog-tcp", 500), ingesttest.Lines("rsyslog-tls", 500)
	ingesttest.WriteLines(t, filepath.Join(dir, "plain.log"), plain)
	ingesttest.WriteLines(t, filepath.Join(dir, "secure.log"), secure)
	ingesttest.StartRsyslog(t, fmt.Sprintf(`
global(DefaultNetstreamDriverCAFile="%[1]s" DefaultNetstreamDriverCertFile="%[2]s" DefaultNetstreamDriverKeyFile="%[3]s")
module(load="imfile")
input(type="imfile" File="%[4]s/plain.log" Tag="yagura-test" ruleset="tcp")
input(type="imfile" File="%[4]s/secure.log" Tag="yagura-test" ruleset="tls")
ruleset(name="tcp") {
  action(type="omfwd" target="127.0.0.1" port="%[5]s" protocol="tcp" TCP_Framing="octet-counted"
         template="RSYSLOG_SyslogProtocol23Format")
}
ruleset(name="tls") {
  action(type="omfwd" target="127.0.0.1" port="%[6]s" protocol="tcp" TCP_Framing="octet-counted"
         StreamDriver="gtls" StreamDriverMode="1" StreamDriverAuthMode="x509/name"
         StreamDriverPermittedPeers="yagura.test" template="RSYSLOG_SyslogProtocol23Format")
}
`, ca.CertFile, client.CertFile, client.KeyFile, dir, tcpPort, tlsPort))

	env.EachOnce(t, "loopback-tenant", plain)
	env.EachOnce(t, "branch-a", secure)
	if n := env.Count(t, "default"); n != 0 {
		t.Errorf("%d records fell back to the default tenant", n)
	}
}

// A TLS client without a certificate is refused when one is required, and
// nothing it sent is stored.
func TestTLSRequiresClientCertificate(t *testing.T) {
	ca := ingesttest.NewCA(t)
	tlsCfg := ca.ServerTLS(t, true)
	env := ingesttest.New(t, ingesttest.Options{})
	// TLS only: no plain-text listener is opened.
	src := runSource(t, env, Config{Tenant: "default", TLSAddr: "127.0.0.1:0", TLS: tlsCfg})
	if src.Addr() != "" {
		t.Errorf("a plain-text listener is open at %s", src.Addr())
	}
	c, err := tls.Dial("tcp", src.TLSAddr(), &tls.Config{RootCAs: ca.Pool, ServerName: "yagura.test"})
	if err == nil {
		// TLS 1.3 reports the refusal on the first read.
		fmt.Fprintf(c, "<13>no certificate\n")
		_, err = c.Read(make([]byte, 1))
		c.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("connection without a client certificate: err = %v, want a certificate error", err)
	}
	if n := env.Count(t, "default"); n != 0 {
		t.Errorf("stored %d records from an unauthenticated client", n)
	}
}

// With the event store stalled, a TLS sender is held back: the server
// stops reading once the pipeline is full instead of buffering or dropping,
// and when the store recovers every record arrives exactly once.
func TestTLSBackpressureNeverDrops(t *testing.T) {
	ca := ingesttest.NewCA(t)
	tlsCfg := ca.ServerTLS(t, false)
	env := ingesttest.New(t, ingesttest.Options{Stalled: true, QueueBatches: 1, Workers: 1})
	src := runSource(t, env, Config{Addr: "127.0.0.1:0", Tenant: "default", TLSAddr: "127.0.0.1:0", TLS: tlsCfg,
		BatchSize: 100})
	c, err := tls.Dial("tcp", src.TLSAddr(), &tls.Config{RootCAs: ca.Pool, ServerName: "yagura.test"})
	if err != nil {
		t.Fatal(err)
	}
	// Far more than the pipeline (a few batches of 100) and the socket
	// buffers can hold.
	lines := ingesttest.Lines("backpressure-"+strings.Repeat("x", 200), 100000)
	var written atomic.Int64
	sent := make(chan error, 1)
	go func() {
		w := bufio.NewWriter(c)
		for _, l := range lines {
			if _, err := fmt.Fprintf(w, "%d %s", len(l), l); err != nil {
				sent <- err
				return
			}
			written.Add(1)
		}
		sent <- w.Flush()
		c.Close()
	}()
	ingesttest.WaitStalled(t, &written)
	if n := written.Load(); n >= int64(len(lines)) {
		t.Fatalf("the client wrote all %d records while the store was stalled: the server buffers without bound", n)
	}
	env.Release()
	if err := <-sent; err != nil {
		t.Fatalf("client: %v", err)
	}
	ingesttest.WaitFor(t, "every record stored", func() bool { return env.Count(t, "default") >= len(lines) })
	if n := env.Count(t, "default"); n != len(lines) {
		t.Fatalf("stored %d records, sent %d", n, len(lines))
	}
}

// Records over the limit are cut and flagged, invalid UTF-8 is kept as
// \xNN escapes, and the stream stays in sync after both.
func TestTruncatedAndInvalidUTF8(t *testing.T) {
	env := ingesttest.New(t, ingesttest.Options{})
	src := runSource(t, env, Config{Addr: "127.0.0.1:0", Tenant: "default", MaxLineBytes: 100})
	c, err := net.Dial("tcp", src.Addr())
	if err != nil {
		t.Fatal(err)
	}
	long := "<13>long " + strings.Repeat("y", 300)
	fmt.Fprintf(c, "%d %s", len(long), long)
	fmt.Fprintf(c, "<13>lf-long %s\n", strings.Repeat("z", 300))
	fmt.Fprintf(c, "<13>bad \xff\xfe bytes\n")
	fmt.Fprintf(c, "<13>fine\n")
	c.Close()
	ingesttest.WaitFor(t, "4 records", func() bool { return env.Count(t, "default") >= 4 })
	byRaw := map[string]bool{}
	for _, ev := range env.StoredEvents(t, "default") {
		tr, _ := ev.Get("event.truncated")
		byRaw[ev.Raw] = tr == true
	}
	cases := []struct {
		raw       string
		truncated bool
	}{
		{long[:100], true},
		{("<13>lf-long " + strings.Repeat("z", 300))[:100], true},
		{`<13>bad \xff\xfe bytes`, false},
		{"<13>fine", false},
	}
	for _, c := range cases {
		tr, ok := byRaw[c.raw]
		if !ok {
			t.Errorf("missing record %.40q… in %d stored", c.raw, len(byRaw))
			continue
		}
		if tr != c.truncated {
			t.Errorf("%.40q…: event.truncated = %v, want %v", c.raw, tr, c.truncated)
		}
	}
}

// Network rules pick the most specific match; certificates beat networks;
// no match falls back to the listener's tenant.
func TestTenantMapResolve(t *testing.T) {
	nets, err := ingest.ParseNetworks(map[string]string{"10.0.0.0/8": "wide", "10.1.0.0/16": "narrow", "192.0.2.7": "host"})
	if err != nil {
		t.Fatal(err)
	}
	m := ingest.TenantMap{Default: "dflt", Networks: nets}
	cases := []struct{ addr, want string }{
		{"10.2.3.4:514", "wide"},
		{"10.1.3.4:514", "narrow"},
		{"192.0.2.7:1", "host"},
		{"192.0.2.8:1", "dflt"},
		{"[::ffff:10.1.0.1]:514", "narrow"},
		{"[2001:db8::1]:514", "dflt"},
	}
	for _, c := range cases {
		a, _ := net.ResolveTCPAddr("tcp", c.addr)
		if got := m.Resolve(a, nil); got != c.want {
			t.Errorf("%s → %q, want %q", c.addr, got, c.want)
		}
	}
	if _, err := ingest.ParseNetworks(map[string]string{"not-a-net": "x"}); err == nil {
		t.Error("a bad network was accepted")
	}
}

// Datagrams the kernel drops because the receive buffer is full are
// counted: with a tiny buffer and nobody reading yet, every datagram sent
// is either stored or counted as dropped, none vanishes unnoticed.
func TestUDPKernelDropsAreCounted(t *testing.T) {
	env := ingesttest.New(t, ingesttest.Options{})
	src := New(Config{Addr: "127.0.0.1:0", Tenant: "default", UDPReadBuffer: 4096}, env.Pipeline, env.Metrics, env.Log)
	if err := src.Listen(); err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("udp", src.Addr())
	if err != nil {
		t.Fatal(err)
	}
	const sent = 2000
	msg := "<13>burst " + strings.Repeat("u", 1000)
	for range sent {
		c.Write([]byte(msg))
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { src.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	// The kernel reports the drop count with the next datagram it queues:
	// once the backlog is read, one more carries it.
	ingesttest.WaitFor(t, "the buffered datagrams", func() bool { return env.Count(t, "default") > 0 })
	c.Write([]byte(msg))
	c.Close()
	const total = sent + 1
	dropped := func() int {
		var m dto.Metric
		env.Metrics.UDPDropped.Write(&m)
		return int(m.GetCounter().GetValue())
	}
	ingesttest.WaitFor(t, "every datagram stored or counted as dropped", func() bool {
		return env.Count(t, "default")+dropped() >= total
	})
	stored, lost := env.Count(t, "default"), dropped()
	if stored+lost != total || lost == 0 {
		t.Errorf("stored %d + dropped %d, sent %d (the tiny buffer must have overflowed)", stored, lost, total)
	}
}

// Framing never panics, never returns more than the limit and always
// makes progress on any byte stream.
func FuzzReadFrame(f *testing.F) {
	f.Add([]byte("12 <13>hello wo\n<13>lf line\r\n999999999999 x"))
	f.Add([]byte("5 abc"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bufio.NewReaderSize(strings.NewReader(string(b)), 16)
		for range len(b) + 2 {
			rec, _, err := readFrame(r, 32)
			if len(rec) > 32 {
				t.Fatalf("record of %d bytes over the limit of 32", len(rec))
			}
			if err != nil {
				return
			}
		}
		t.Fatalf("no end after %d frames of a %d-byte stream", len(b)+2, len(b))
	})
}

// A sender that pauses in the middle of a record (a slow link, a sender
// held back by backpressure) must not see it split or the stream lose
// sync: partial batches are handed over only between records.
func TestPauseInsideARecord(t *testing.T) {
	env := ingesttest.New(t, ingesttest.Options{})
	src := runSource(t, env, Config{Addr: "127.0.0.1:0", Tenant: "default", FlushEvery: 10 * time.Millisecond})
	c, err := net.Dial("tcp", src.Addr())
	if err != nil {
		t.Fatal(err)
	}
	octet := "<13>octet counted record"
	lf := "<13>line feed record"
	parts := []string{
		fmt.Sprintf("%d %s", len(octet), octet[:10]), octet[10:],
		lf[:7], lf[7:] + "\n",
		"<13>after both\n",
	}
	for _, p := range parts {
		c.Write([]byte(p))
		// Far longer than FlushEvery: the source sees a quiet socket
		// in the middle of a record.
		time.Sleep(100 * time.Millisecond)
	}
	c.Close()
	ingesttest.WaitFor(t, "3 records", func() bool { return env.Count(t, "default") >= 3 })
	got := env.Stored(t, "default")
	want := []string{"<13>after both", lf, octet}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("stored %q, want %q", got, want)
	}
}
