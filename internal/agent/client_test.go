package agent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/agent/wire"
)

// silentServer accepts TCP connections and never reads from or writes to
// them: to its peer, a network that stopped carrying packets (no reset, no
// close).
func silentServer(t *testing.T) (url string, accepted func() int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var held []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	})
	return "http://" + ln.Addr().String(), func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(held)
	}
}

// A request on a silent connection ends with a timeout error instead of
// hanging: heartbeats and batches alike.
func TestSilentConnectionTimesOut(t *testing.T) {
	url, _ := silentServer(t)
	c, err := newClient(url, wire.SecretPrefix+"s", "", 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	for name, call := range map[string]func() error{
		"heartbeat": func() error { _, err := c.heartbeat(context.Background(), wire.Heartbeat{}); return err },
		"batch":     func() error { _, err := c.batch(context.Background(), bytes.Repeat([]byte("x"), 4<<20)); return err },
	} {
		done := make(chan error, 1)
		go func() { done <- call() }()
		select {
		case err := <-done:
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				t.Errorf("%s on a silent connection: %v, want a timeout", name, err)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("%s on a silent connection still hanging after 30s (timeout 200ms)", name)
		}
	}
}

// An answer cut off in the middle is a failed delivery, not a server that
// is not a Yagura server.
func TestAnswerCutOffTimesOut(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.Write([]byte(`{"seq":`))
		w.(http.Flusher).Flush()
		<-r.Context().Done() // and then silence, until the agent hangs up
	}))
	defer srv.Close()
	c, err := newClient(srv.URL, wire.SecretPrefix+"s", "", 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.batch(context.Background(), []byte("x"))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || strings.Contains(err.Error(), "Yagura server") {
		t.Errorf("answer cut off: %v, want a timeout while reading it", err)
	}
}

// An agent whose server went silent times its deliveries out after
// request_timeout_seconds and tries again on new connections, rather than
// waiting on the first one for good.
func TestAgentRetriesSilentServer(t *testing.T) {
	url, accepted := silentServer(t)
	logs := t.TempDir()
	os.WriteFile(filepath.Join(logs, "app.log"), []byte("one line\n"), 0o600)
	a, readLog := openLoggedAgent(t, url, fmt.Sprintf(
		`{"files":[{"glob":%q}],"batch_wait_millis":20,"poll_millis":20,"heartbeat_seconds":60,"request_timeout_seconds":1}`,
		filepath.Join(logs, "*.log")))
	if got := a.client.http.Timeout; got != time.Second {
		t.Fatalf("request timeout %v, want the 1s of agent.json", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		timeouts := 0
		for _, line := range strings.Split(readLog(), "\n") {
			if strings.Contains(line, "batch not delivered") && strings.Contains(line, "Client.Timeout exceeded") {
				timeouts++
			}
		}
		if timeouts >= 2 {
			t.Logf("%d deliveries timed out, %d connections opened to the silent server", timeouts, accepted())
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("%d deliveries timed out within 60s (timeout 1s); log:\n%s", timeouts, readLog())
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("agent did not stop within 30s with a request on a silent connection")
	}
	if a.buf.Stats().Segments != 1 {
		t.Errorf("buffer holds %d batches, want the undelivered one", a.buf.Stats().Segments)
	}
}

// openLoggedAgent opens an agent enrolled with server and the given
// agent.json, logging to a file the test reads while the agent writes.
func openLoggedAgent(t *testing.T, server, settings string) (*Agent, func() string) {
	t.Helper()
	state := t.TempDir()
	if err := saveIdentity(state, Identity{Server: server, AgentID: "a1", Tenant: "default", Secret: wire.SecretPrefix + "s"}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(state, "agent.json"), []byte(settings), 0o600); err != nil {
		t.Fatal(err)
	}
	logFile := filepath.Join(t.TempDir(), "agent.log")
	out, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { out.Close() })
	a, err := Open(state, slog.New(slog.NewTextHandler(out, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return a, func() string { b, _ := os.ReadFile(logFile); return string(b) }
}

// A heartbeat stuck on a silent connection gives way after two intervals,
// well before the request bound, so the agent goes on reporting.
func TestStuckHeartbeatGivesWay(t *testing.T) {
	url, accepted := silentServer(t)
	a, readLog := openLoggedAgent(t, url, `{"heartbeat_seconds":1,"request_timeout_seconds":600}`)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(60 * time.Second) // far below the 600 s request bound
	for strings.Count(readLog(), "heartbeat not delivered") < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("no two heartbeats gave way within 60s (request bound 600s); log:\n%s", readLog())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := accepted(); n < 2 {
		t.Errorf("%d connections: the second heartbeat should go on a new one", n)
	}
}

// The default bound applies when agent.json does not set one.
func TestRequestTimeoutDefault(t *testing.T) {
	s, err := LoadSettings(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if got := time.Duration(s.RequestTimeoutSeconds) * time.Second; got != defaultRequestTimeout {
		t.Errorf("request timeout %v, want %v", got, defaultRequestTimeout)
	}
}
