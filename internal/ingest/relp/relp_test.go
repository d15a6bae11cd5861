package relp

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/yagura-soc/yagura/internal/ingest/ingesttest"
)

func runSource(t *testing.T, env *ingesttest.Env, cfg Config) *Source {
	t.Helper()
	src := New(cfg, env.Pipeline, env.Metrics, env.Log)
	ingesttest.Start(t, src)
	return src
}

// rsyslogd's omrelp forwards a tailed file over RELP, plain and over TLS
// with a client certificate mapped to its tenant. Every line arrives
// exactly once (omrelp would resend anything Yagura did not acknowledge).
func TestRsyslogOmrelp(t *testing.T) {
	ca := ingesttest.NewCA(t)
	tlsCfg := ca.ServerTLS(t, true)
	client := ca.Issue(t, "branch-b.example")
	env := ingesttest.New(t, ingesttest.Options{})
	plain := runSource(t, env, Config{Addr: "127.0.0.1:0", Tenant: "relp-plain"})
	secure := runSource(t, env, Config{Addr: "127.0.0.1:0", Tenant: "default", TLS: tlsCfg,
		Certs: map[string]string{"branch-b.example": "branch-b"}})
	_, plainPort, _ := net.SplitHostPort(plain.Addr())
	_, tlsPort, _ := net.SplitHostPort(secure.Addr())

	dir := t.TempDir()
	a, b := ingesttest.Lines("relp-plain", 2000), ingesttest.Lines("relp-tls", 500)
	ingesttest.WriteLines(t, filepath.Join(dir, "a.log"), a)
	ingesttest.WriteLines(t, filepath.Join(dir, "b.log"), b)
	ingesttest.StartRsyslog(t, fmt.Sprintf(`
module(load="imfile")
module(load="omrelp")
input(type="imfile" File="%[1]s/a.log" Tag="yagura-relp" ruleset="plain")
input(type="imfile" File="%[1]s/b.log" Tag="yagura-relp" ruleset="tls")
ruleset(name="plain") {
  action(type="omrelp" target="127.0.0.1" port="%[2]s" template="RSYSLOG_SyslogProtocol23Format")
}
ruleset(name="tls") {
  action(type="omrelp" target="127.0.0.1" port="%[3]s" template="RSYSLOG_SyslogProtocol23Format"
         tls="on" tls.caCert="%[4]s" tls.myCert="%[5]s" tls.myPrivKey="%[6]s"
         tls.authMode="name" tls.permittedPeer=["yagura.test"])
}
`, dir, plainPort, tlsPort, ca.CertFile, client.CertFile, client.KeyFile))
	env.EachOnce(t, "relp-plain", a)
	env.EachOnce(t, "branch-b", b)
	if n := env.Count(t, "default"); n != 0 {
		t.Errorf("%d records fell back to the default tenant", n)
	}
}

// With the store stalled, no transaction is acknowledged (an ack means
// durable) and the server stops reading; once the store recovers every
// record is acknowledged and stored exactly once.
func TestBackpressureAcksOnlyDurable(t *testing.T) {
	env := ingesttest.New(t, ingesttest.Options{Stalled: true, QueueBatches: 1, Workers: 1})
	src := runSource(t, env, Config{Addr: "127.0.0.1:0", Tenant: "default", BatchSize: 50})
	c, err := net.Dial("tcp", src.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const n = 50000
	offer := "relp_version=0\nrelp_software=test\ncommands=syslog"
	var written, acked atomic.Int64
	acks := make(chan error, 1)
	go func() { // count "200 OK" answers to syslog transactions
		r := bufio.NewReader(c)
		for acked.Load() < n {
			f, err := readFrame(r, 1<<20)
			if err != nil {
				acks <- err
				return
			}
			if f.command != "rsp" || !strings.HasPrefix(string(f.data), "200 OK") {
				acks <- fmt.Errorf("txnr %d: %s %q", f.txnr, f.command, f.data)
				return
			}
			if f.txnr > 1 {
				acked.Add(1)
			}
		}
		acks <- nil
	}()
	go func() {
		w := bufio.NewWriter(c)
		fmt.Fprintf(w, "1 open %d %s\n", len(offer), offer)
		pad := strings.Repeat("p", 200)
		for i := range n {
			msg := fmt.Sprintf("<13>held back %05d %s", i, pad)
			if _, err := fmt.Fprintf(w, "%d syslog %d %s\n", i+2, len(msg), msg); err != nil {
				return
			}
			written.Add(1)
		}
		w.Flush()
	}()
	ingesttest.WaitStalled(t, &written)
	if written.Load() >= n {
		t.Fatalf("all %d records were written with the store stalled: the server does not stop reading", n)
	}
	if a := acked.Load(); a != 0 {
		t.Fatalf("%d transactions acknowledged while the store was stalled", a)
	}
	env.Release()
	if err := <-acks; err != nil {
		t.Fatalf("acknowledgements: %v", err)
	}
	if got := env.Count(t, "default"); got != n {
		t.Fatalf("stored %d records, sent and acknowledged %d", got, n)
	}
}

// Frames are read exactly as RELP defines them; malformed ones are errors,
// never panics, and over-long data is cut and flagged.
func TestReadFrame(t *testing.T) {
	cases := []struct {
		in      string
		txnr    uint64
		cmd     string
		data    string
		cut     bool
		wantErr bool
	}{
		{"1 open 5 hello\n", 1, "open", "hello", false, false},
		{"7 close 0\n", 7, "close", "", false, false},
		{"2 syslog 12 0123456789ab\n", 2, "syslog", "01234567", true, false},
		{"\n3 syslog 3 abc\n", 3, "syslog", "abc", false, false},
		{"x syslog 3 abc\n", 0, "", "", false, true},
		{"1 SYSLOG 3 abc\n", 0, "", "", false, true},
		{"1 syslog 5 abc\n", 0, "", "", false, true},
		{"1 syslog 3 abcX", 0, "", "", false, true},
		{"1 syslog 3\n", 0, "", "", false, true},
		{"1 syslog 999999999 a", 0, "", "", false, true},
		{"1234567890 syslog 1 a\n", 0, "", "", false, true},
	}
	for _, c := range cases {
		f, err := readFrame(bufio.NewReader(strings.NewReader(c.in)), 8)
		if (err != nil) != c.wantErr {
			t.Errorf("%q: err = %v, want error %v", c.in, err, c.wantErr)
			continue
		}
		if err == nil && (f.txnr != c.txnr || f.command != c.cmd || string(f.data) != c.data || f.cut != c.cut) {
			t.Errorf("%q: got %d %s %q cut=%v", c.in, f.txnr, f.command, f.data, f.cut)
		}
	}
	if _, err := readFrame(bufio.NewReader(strings.NewReader("")), 8); err != io.EOF {
		t.Errorf("empty stream: %v, want io.EOF", err)
	}
}

func FuzzReadFrame(f *testing.F) {
	f.Add([]byte("1 open 5 hello\n2 syslog 3 abc\n3 close 0\n"))
	f.Add([]byte("1 syslog 4294967296 a\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bufio.NewReader(strings.NewReader(string(b)))
		for range 100 {
			if _, err := readFrame(r, 64); err != nil {
				return
			}
		}
	})
}
