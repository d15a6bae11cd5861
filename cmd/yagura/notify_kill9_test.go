package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/notify"
	"github.com/yagura-soc/yagura/internal/notify/webhook"
	"github.com/yagura-soc/yagura/internal/store"
	"github.com/yagura-soc/yagura/internal/store/sqlite"
)

// hookReceiver is the webhook receiver of the kill -9 test: it checks
// every signature and records which alerts it heard of, and how often.
type hookReceiver struct {
	mu       sync.Mutex
	byAlert  map[string]int    // alert id → deliveries received
	keys     map[string]string // alert id → idempotency key
	requests int
	badSig   int
	keyDrift int // a repeat of an alert came with another idempotency key
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.requests++
	if r.Header.Get("X-Yagura-Signature") != webhook.Sign("kill9-secret", body) {
		h.badSig++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var p notify.Payload
	if err := json.Unmarshal(body, &p); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	for _, ev := range p.Events {
		if ev.Kind != store.EventAlertOpened {
			continue
		}
		id := ev.Alert.ID
		if k, seen := h.keys[id]; seen && k != p.IdempotencyKey {
			h.keyDrift++
		}
		h.keys[id] = p.IdempotencyKey
		h.byAlert[id]++
	}
}

func (h *hookReceiver) heard() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.byAlert)
}

func apiCall(t *testing.T, method, url, token string, in any, out any) int {
	t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, body)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

// A kill -9 at any moment loses no notification: across three kills in
// the middle of intake and delivery, every stored alert reaches the
// webhook at least once, with the same idempotency key on every repeat.
func TestKill9LosesNoNotification(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the real binary")
	}
	bin := buildBinary(t)
	data := t.TempDir()
	cfgPath := filepath.Join(t.TempDir(), "yagura.yaml")
	// A fast outbox round so that the kill lands while deliveries are
	// under way; no escalation, so every notification is an opening.
	if err := os.WriteFile(cfgPath, []byte("alerts:\n  escalation: {}\n  notify: {interval: 50ms, backoff: 100ms, max_backoff: 1s}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ingest := createToken(t, bin, data, "ingest")
	lead := createToken(t, bin, data, "lead")
	rcv := &hookReceiver{byAlert: map[string]int{}, keys: map[string]string{}}
	hook := httptest.NewServer(rcv)
	defer hook.Close()

	addr := freePort(t)
	srv := startServe(t, bin, data, addr, "--config", cfgPath)
	base := "http://" + addr + "/api/v1"
	var ch store.Channel
	if code := apiCall(t, "POST", base+"/channels", lead, map[string]any{"name": "hook", "kind": "webhook",
		"config": map[string]string{"url": hook.URL + "/yagura", "secret": "kill9-secret"}}, &ch); code != 201 {
		t.Fatalf("create channel: %d", code)
	}
	if code := apiCall(t, "POST", base+"/routes", lead, map[string]any{"name": "all", "channels": []string{ch.ID}}, nil); code != 201 {
		t.Fatalf("create route: %d", code)
	}

	// Senders post batches of "security log cleared" events (a built-in
	// rule), one new host per event: every event opens its own alert.
	// Three times, the server is killed once another 100 notifications
	// have arrived, and restarted.
	const senders, perBatch, kills = 2, 20, 3
	var mu sync.Mutex
	ackedHosts := map[string]bool{}
	var heardAtKill []int
	for round := range kills {
		ctx, stop := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for s := range senders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				client := &http.Client{Timeout: 30 * time.Second}
				for b := 0; ctx.Err() == nil; b++ {
					var body bytes.Buffer
					var hosts []string
					for i := range perBatch {
						h := fmt.Sprintf("host-%d-%d-%d-%d", round, s, b, i)
						hosts = append(hosts, h)
						fmt.Fprintf(&body, `{"EventID":1102,"Channel":"Security","Computer":%q}`+"\n", h)
					}
					req, _ := http.NewRequest("POST", base+"/events", &body)
					req.Header.Set("Authorization", "Bearer "+ingest)
					resp, err := client.Do(req)
					if err != nil {
						return // the server died under us
					}
					resp.Body.Close()
					if resp.StatusCode == http.StatusAccepted {
						mu.Lock()
						for _, h := range hosts {
							ackedHosts[h] = true
						}
						mu.Unlock()
					}
				}
			}()
		}
		// Kill once another 100 deliveries arrived, alerts still coming.
		target := rcv.heard() + 100
		deadline := time.Now().Add(2 * time.Minute)
		for rcv.heard() < target && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		kill9(t, srv)
		stop()
		wg.Wait()
		heardAtKill = append(heardAtKill, rcv.heard())
		if round < kills-1 {
			srv = startServe(t, bin, data, addr, "--config", cfgPath)
		}
	}

	// Restart on the same data and let the outbox drain.
	srv = startServe(t, bin, data, addr, "--config", cfgPath)
	var pending, total struct {
		Total int `json:"total"`
	}
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		apiCall(t, "GET", base+"/alerts?limit=1", lead, nil, &total)
		apiCall(t, "GET", base+"/notifications?state=pending&limit=1", lead, nil, &pending)
		if total.Total > 0 && pending.Total == 0 && rcv.heard() >= total.Total {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	stopServe(t, srv)

	st, err := sqlite.Open(context.Background(), filepath.Join(data, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sc := st.Scope(store.DefaultTenant)
	alerts, n, err := sc.Alerts().List(context.Background(), store.AlertFilter{Limit: 1_000_000})
	if err != nil {
		t.Fatal(err)
	}
	byHost := map[string]store.Alert{}
	for _, a := range alerts {
		byHost[a.Entities["host.name"]] = a
	}
	for h := range ackedHosts {
		if _, ok := byHost[strings.ToLower(h)]; !ok {
			if _, ok := byHost[h]; !ok {
				t.Errorf("acknowledged event of %s has no alert", h)
			}
		}
	}
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	var missing, repeats int
	for _, a := range alerts {
		switch c := rcv.byAlert[a.ID]; {
		case c == 0:
			missing++
		case c > 1:
			repeats += c - 1
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d alerts were never notified", missing, n)
	}
	if rcv.badSig > 0 || rcv.keyDrift > 0 {
		t.Errorf("%d bad signatures, %d repeats with a different idempotency key", rcv.badSig, rcv.keyDrift)
	}
	for _, state := range []string{store.DeliveryPending, store.DeliveryDead} {
		if _, k, _ := sc.Notifications().Deliveries(context.Background(), store.DeliveryFilter{State: state}); k != 0 {
			t.Errorf("%d deliveries left %s", k, state)
		}
	}
	t.Logf("alerts %d (from %d acknowledged events); alerts notified at each kill %v, after the last restart %d; repeats %d; requests %d",
		n, len(ackedHosts), heardAtKill, len(rcv.byAlert), repeats, rcv.requests)
}
