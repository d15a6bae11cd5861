package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/certs"
	"github.com/yagura-soc/yagura/internal/config"
	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/store"
)

func keepRaw(ev *event.Event, data []byte, _ string) { ev.ECS = event.Fields{"message": string(data)} }

// start opens and runs a server on data, returning it and a stop function.
func start(t *testing.T, cfg config.Config) (*Server, func()) {
	t.Helper()
	return startWith(t, cfg, Deps{Normalize: keepRaw})
}

// startWith is start with the given dependencies.
func startWith(t *testing.T, cfg config.Config, deps Deps) (*Server, func()) {
	t.Helper()
	srv, err := Open(context.Background(), cfg, deps, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	return srv, func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
}

func TestSelfSignedHTTPS(t *testing.T) {
	cfg := config.Default()
	cfg.Data = t.TempDir()
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.Syslog.Addr = ""
	cfg.HTTP.TLSSelfSigned = true

	srv, stop := start(t, cfg)
	if !strings.HasPrefix(srv.URL(), "https://") {
		t.Fatalf("URL %s is not HTTPS", srv.URL())
	}
	// The generated certificate is the one a client is told to trust.
	certFile := srv.SelfSignedCert()
	if certFile != filepath.Join(cfg.TLSPath(), "self-signed.crt") {
		t.Fatalf("SelfSignedCert() = %q, want the file under %s", certFile, cfg.TLSPath())
	}
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	fp, _ := certs.Fingerprint(certFile)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	var served string
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs: pool,
		VerifyConnection: func(cs tls.ConnectionState) error {
			served = certs.FingerprintDER(cs.PeerCertificates[0].Raw)
			return nil
		},
	}}}
	secret, _, err := auth.CreateToken(context.Background(), srv.State.Tokens(), store.DefaultTenant, auth.RoleIngest, "", 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", srv.URL()+"/api/v1/events", strings.NewReader(`"over tls"`))
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("HTTPS request: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || resp.Header.Get("Strict-Transport-Security") == "" {
		t.Errorf("status %d, HSTS %q", resp.StatusCode, resp.Header.Get("Strict-Transport-Security"))
	}
	if served != fp {
		t.Errorf("served certificate %s, file says %s", served, fp)
	}
	// Plain HTTP to the TLS port is refused.
	if resp, err := http.Get("http://" + srv.HTTPAddr() + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Error("plain HTTP answered on the HTTPS listener")
		}
	}
	stop()

	// A restart keeps the same certificate: pinned clients keep working.
	_, stop = start(t, cfg)
	defer stop()
	fp2, _ := certs.Fingerprint(cfg.TLSPath() + "/self-signed.crt")
	if fp2 != fp {
		t.Errorf("fingerprint changed across restart: %s → %s", fp, fp2)
	}
}

func TestBadCertificateIsAClearError(t *testing.T) {
	cfg := config.Default()
	cfg.Data = t.TempDir()
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.Syslog.Addr = ""
	cfg.HTTP.TLSCert, cfg.HTTP.TLSKey = "/nonexistent/cert.pem", "/nonexistent/key.pem"
	_, err := Open(context.Background(), cfg, Deps{Normalize: keepRaw}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil || !strings.Contains(err.Error(), "TLS certificate") || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v", err)
	}
}

// A client that goes silent in the middle of a request body loses its
// connection after http.read_timeout, instead of holding a handler until
// TCP gives up.
func TestSilentBodyIsCutOff(t *testing.T) {
	cfg := config.Default()
	cfg.Data = t.TempDir()
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.Syslog.Addr = ""
	cfg.HTTP.ReadTimeout = config.Duration(500 * time.Millisecond)
	srv, stop := start(t, cfg)
	defer stop()

	conn, err := net.Dial("tcp", srv.HTTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Headers promise 1,000 bytes; 10 come, then nothing.
	if _, err := io.WriteString(conn, "POST /api/v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\n"+
		"Authorization: Bearer nobody\r\nContent-Length: 1000\r\n\r\n{\"message\""); err != nil {
		t.Fatal(err)
	}
	// The server closes the connection (an answer, if any, then EOF);
	// the deadline only keeps a broken server from hanging the test.
	conn.SetReadDeadline(time.Now().Add(time.Minute))
	_, err = io.Copy(io.Discard, conn)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("the server kept a silent request open for a minute")
	}
}
