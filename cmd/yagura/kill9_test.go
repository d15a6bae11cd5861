package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/store"
	"github.com/yagura-soc/yagura/internal/store/duckdb"
)

// buildBinary compiles yagura once per test run.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "yagura")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startServe runs `yagura serve` and waits until /readyz answers.
func startServe(t *testing.T, bin, data, addr string, extra ...string) *exec.Cmd {
	t.Helper()
	args := append([]string{"serve", "--data", data, "--http", addr, "--syslog", "off"}, extra...)
	cmd := exec.Command(bin, args...)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
		if t.Failed() {
			t.Logf("server output:\n%s", logs.String())
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return cmd
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("server did not become ready; output:\n%s", logs.String())
	return nil
}

// kill9 kills the server without warning and reaps it.
func kill9(t *testing.T, srv *exec.Cmd) {
	t.Helper()
	if err := srv.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	srv.Wait()
}

// stopServe stops the server with SIGTERM; it must exit cleanly.
func stopServe(t *testing.T, srv *exec.Cmd) {
	t.Helper()
	srv.Process.Signal(syscall.SIGTERM)
	if err := srv.Wait(); err != nil {
		t.Fatalf("graceful stop after restart: %v", err)
	}
}

func createToken(t *testing.T, bin, data, role string) string {
	t.Helper()
	out, err := exec.Command(bin, "token", "create", "--data", data, "--tenant", "default", "--role", role).Output()
	if err != nil {
		t.Fatalf("token create: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// A kill -9 in the middle of ingest loses no acknowledged event: every
// batch answered 202 before the kill is in the store after a restart.
func TestKill9LosesNoAcknowledgedEvent(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the real binary")
	}
	bin := buildBinary(t)
	data := t.TempDir()
	token := createToken(t, bin, data, "ingest") // works with no server running
	addr := freePort(t)
	srv := startServe(t, bin, data, addr)

	const senders, perBatch = 4, 200
	var mu sync.Mutex
	acked := map[string]bool{} // "sender-batch" of every acknowledged batch
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 30 * time.Second}
			for b := 0; ctx.Err() == nil; b++ {
				var body bytes.Buffer
				for i := range perBatch {
					fmt.Fprintf(&body, `{"batch":"%d-%d","i":%d,"message":"kill9 test"}`+"\n", s, b, i)
				}
				req, _ := http.NewRequest("POST", "http://"+addr+"/api/v1/events", &body)
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := client.Do(req)
				if err != nil {
					return // the server died under us: this batch was never acknowledged
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusAccepted {
					mu.Lock()
					acked[fmt.Sprintf("%d-%d", s, b)] = true
					mu.Unlock()
				}
			}
		}()
	}
	// Kill once a good number of batches is in, mid-stream.
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 100 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	kill9(t, srv)
	stop()
	wg.Wait()

	// Restart on the same data: recovery must succeed and serve.
	srv = startServe(t, bin, data, addr)
	stopServe(t, srv)

	es, err := duckdb.Open(context.Background(), filepath.Join(data, "events.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer es.Close()
	page, err := es.Search(context.Background(), store.EventQuery{Tenant: "default", Limit: 10_000_000})
	if err != nil {
		t.Fatal(err)
	}
	perBatchStored := map[string]int{}
	for _, ev := range page.Items {
		if b, ok := ev.Fields["batch"].(string); ok {
			perBatchStored[b]++
		}
	}
	for b := range acked {
		if perBatchStored[b] != perBatch {
			t.Errorf("acknowledged batch %s: %d of %d events stored", b, perBatchStored[b], perBatch)
		}
	}
	// Batches are atomic: none is half stored.
	for b, n := range perBatchStored {
		if n != perBatch {
			t.Errorf("batch %s partly stored: %d of %d", b, n, perBatch)
		}
	}
	t.Logf("acknowledged %d batches (%d events) before kill -9; stored %d events after restart",
		len(acked), len(acked)*perBatch, len(page.Items))
}
