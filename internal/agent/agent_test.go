package agent

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/agent/wire"
)

// fakeServer stands in for the agent endpoints: it refuses batches while
// down, keeps what it accepts by sequence number and records heartbeats.
type fakeServer struct {
	mu        sync.Mutex
	down      atomic.Bool
	lastSeq   uint64
	lines     map[string]int
	heartbeat []wire.Heartbeat
}

func (f *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case wire.PathEnroll:
		json.NewEncoder(w).Encode(wire.EnrollResponse{AgentID: "a1", Tenant: "default", Secret: wire.SecretPrefix + "s"})
	case wire.PathHeartbeat:
		var hb wire.Heartbeat
		json.NewDecoder(r.Body).Decode(&hb)
		f.mu.Lock()
		f.heartbeat = append(f.heartbeat, hb)
		f.mu.Unlock()
		json.NewEncoder(w).Encode(wire.HeartbeatResponse{})
	case wire.PathBatch:
		if f.down.Load() {
			http.Error(w, `{"error":"down"}`, http.StatusServiceUnavailable)
			return
		}
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, `{"error":"gzip"}`, 400)
			return
		}
		b, err := wire.Decode(zr, 1<<20, 100000)
		if err != nil {
			http.Error(w, `{"error":"batch"}`, 400)
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if b.Seq <= f.lastSeq {
			json.NewEncoder(w).Encode(wire.BatchResponse{Seq: b.Seq, Duplicate: true})
			return
		}
		f.lastSeq = b.Seq
		for _, rec := range b.Records {
			f.lines[string(rec.Data)]++
		}
		json.NewEncoder(w).Encode(wire.BatchResponse{Seq: b.Seq, Accepted: len(b.Records)})
	}
}

// With the server down and a small buffer that keeps the oldest, the agent
// fills the buffer, says so in its heartbeat, pauses its input, and once
// the server is back delivers every line exactly once.
func TestFullBufferPausesInputAndLosesNothing(t *testing.T) {
	fake := &fakeServer{lines: map[string]int{}}
	fake.down.Store(true)
	srv := httptest.NewServer(fake)
	defer srv.Close()
	state, logs := t.TempDir(), t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := Enroll(ctx, EnrollOptions{Server: srv.URL, Token: "ygr_x", StateDir: state, Hostname: "h"}); err != nil {
		t.Fatal(err)
	}
	settings := fmt.Sprintf(`{"files":[{"glob":%q}],"buffer_max_bytes":20000,"buffer_keep":"oldest","batch_max_records":100,"batch_wait_millis":20,"heartbeat_seconds":1,"poll_millis":20}`,
		filepath.Join(logs, "*.log"))
	os.WriteFile(filepath.Join(state, "agent.json"), []byte(settings), 0o600)
	const total = 5000
	var body bytes.Buffer
	noise := make([]byte, 16)
	for i := range total {
		rand.Read(noise) // so that gzip cannot shrink the batches to nothing
		fmt.Fprintf(&body, "line %05d %x\n", i, noise)
	}
	os.WriteFile(filepath.Join(logs, "app.log"), body.Bytes(), 0o600)

	a, err := Open(state, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()

	deadline := time.Now().Add(60 * time.Second)
	for {
		fake.mu.Lock()
		var full bool
		for _, hb := range fake.heartbeat {
			full = full || hb.BufferFull
		}
		fake.mu.Unlock()
		if full {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no heartbeat reported the full buffer within 60s (%d heartbeats, buffer %+v, %d lines taken)", len(fake.heartbeat), a.buf.Stats(), a.lines.Load())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if st := a.buf.Stats(); st.Bytes > st.Max || st.Dropped != 0 {
		t.Errorf("full buffer under keep-oldest: %+v, want within max and nothing dropped", st)
	}
	if taken := a.lines.Load(); taken >= total {
		t.Errorf("the input did not pause: %d of %d lines taken while the buffer was full", taken, total)
	}

	fake.down.Store(false)
	for {
		fake.mu.Lock()
		n := len(fake.lines)
		fake.mu.Unlock()
		if n == total {
			break
		}
		if time.Now().After(deadline.Add(60 * time.Second)) {
			t.Fatalf("%d of %d lines delivered after the server came back", n, total)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	fake.mu.Lock()
	defer fake.mu.Unlock()
	for line, c := range fake.lines {
		if c != 1 {
			t.Errorf("%q delivered %d times", line, c)
		}
	}
}
