package notify_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/notify"
	"github.com/yagura-soc/yagura/internal/notify/webhook"
	"github.com/yagura-soc/yagura/internal/store"
	"github.com/yagura-soc/yagura/internal/store/sqlite"
)

// receiver is a real HTTP server that verifies signatures and can fail
// on demand.
type receiver struct {
	mu       sync.Mutex
	failNext int // answer 503 to this many requests
	always   int // answer this status to every request when set
	got      []notify.Payload
	keys     []string // Idempotency-Key of every request, failed ones too
	badSig   int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.keys = append(rc.keys, r.Header.Get("Idempotency-Key"))
	if r.Header.Get("X-Yagura-Signature") != webhook.Sign("k", body) {
		rc.badSig++
	}
	if rc.always != 0 {
		w.WriteHeader(rc.always)
		return
	}
	if rc.failNext > 0 {
		rc.failNext--
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	var p notify.Payload
	json.Unmarshal(body, &p)
	rc.got = append(rc.got, p)
}

type env struct {
	st    *sqlite.Store
	sc    store.Scoped
	d     *notify.Dispatcher
	rc    *receiver
	now   time.Time
	hook  store.Channel
	pager store.Channel
}

func newEnv(t *testing.T, cfg notify.Config, rate int) *env {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{st: st, sc: st.Scope(store.DefaultTenant), rc: &receiver{}, now: time.Now().UTC()}
	srv := httptest.NewServer(e.rc)
	t.Cleanup(srv.Close)
	ctx := context.Background()
	mk := func(name string) store.Channel {
		c, err := e.sc.Notifications().CreateChannel(ctx, store.Channel{Name: name, Kind: "webhook", Enabled: true,
			RatePerMinute: rate, Config: json.RawMessage(`{"url":"` + srv.URL + `/` + name + `","secret":"k"}`)})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	e.hook, e.pager = mk("hook"), mk("pager")
	e.d = notify.New(cfg, st, map[string]notify.Kind{"webhook": webhook.Kind()},
		notify.Deps{Now: func() time.Time { return e.now }}, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	return e
}

func (e *env) route(t *testing.T, r store.Route) {
	r.Enabled = true
	if r.Name == "" {
		r.Name = "r"
	}
	if _, err := e.sc.Notifications().CreateRoute(context.Background(), r); err != nil {
		t.Fatal(err)
	}
}

// openAlerts stores alerts the way the alert stage does: alert and
// outbox event in one transaction.
func (e *env) openAlerts(t *testing.T, sev string, n int) []store.Alert {
	t.Helper()
	var out []store.Alert
	err := e.sc.Alerts().Tx(context.Background(), func(tx store.AlertTx) error {
		for i := range n {
			got, err := tx.Upsert(context.Background(), []store.Alert{{RuleID: "r", RuleTitle: "Rule", Severity: sev,
				Fingerprint: sev + string(rune('a'+i)), FirstSeen: e.now, LastSeen: e.now}}, time.Hour)
			if err != nil {
				return err
			}
			if err := tx.Enqueue(context.Background(), store.OutboxEvent{Kind: store.EventAlertOpened, Alert: got[0]}); err != nil {
				return err
			}
			out = append(out, got[0])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (e *env) round(t *testing.T) {
	t.Helper()
	if err := e.d.Round(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func (e *env) states(t *testing.T) map[string]int {
	ds, _, err := e.sc.Notifications().Deliveries(context.Background(), store.DeliveryFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, d := range ds {
		out[d.State]++
	}
	return out
}

func TestRetriesWithBackoffThenDelivers(t *testing.T) {
	e := newEnv(t, notify.Config{MaxAttempts: 5, Backoff: 10 * time.Second, MaxBackoff: time.Minute}, 0)
	e.route(t, store.Route{Channels: []string{e.hook.ID}})
	e.openAlerts(t, "high", 1)
	e.rc.failNext = 2
	e.round(t) // attempt 1 fails
	e.round(t) // not due yet: backoff 10 s
	if len(e.rc.keys) != 1 {
		t.Fatalf("%d requests before the backoff ended, want 1", len(e.rc.keys))
	}
	e.now = e.now.Add(10 * time.Second)
	e.round(t) // attempt 2 fails, next in 20 s
	e.now = e.now.Add(19 * time.Second)
	e.round(t)
	e.now = e.now.Add(time.Second)
	e.round(t) // attempt 3 succeeds
	if len(e.rc.keys) != 3 || len(e.rc.got) != 1 || e.rc.badSig != 0 {
		t.Fatalf("requests %d delivered %d bad signatures %d", len(e.rc.keys), len(e.rc.got), e.rc.badSig)
	}
	if e.rc.keys[0] != e.rc.keys[1] || e.rc.keys[1] != e.rc.keys[2] || e.rc.keys[0] == "" {
		t.Errorf("idempotency keys differ between attempts: %v", e.rc.keys)
	}
	ds, _, _ := e.sc.Notifications().Deliveries(context.Background(), store.DeliveryFilter{})
	if len(ds) != 1 || ds[0].State != store.DeliveryDelivered || ds[0].Attempts != 3 || ds[0].DeliveredAt == nil {
		t.Errorf("delivery = %+v", ds)
	}
}

func TestDeadLetterAfterMaxAttemptsAndRequeue(t *testing.T) {
	e := newEnv(t, notify.Config{MaxAttempts: 3, Backoff: time.Second, MaxBackoff: time.Second}, 0)
	e.route(t, store.Route{Channels: []string{e.hook.ID}})
	e.openAlerts(t, "high", 1)
	e.rc.always = http.StatusBadGateway
	for range 5 {
		e.round(t)
		e.now = e.now.Add(time.Second)
	}
	if len(e.rc.keys) != 3 {
		t.Errorf("%d attempts, want 3", len(e.rc.keys))
	}
	dead, total, err := e.sc.Notifications().Deliveries(context.Background(), store.DeliveryFilter{State: store.DeliveryDead})
	if err != nil || total != 1 || dead[0].Attempts != 3 || dead[0].LastError == "" {
		t.Fatalf("dead letters = %+v (%d), %v", dead, total, err)
	}
	// The receiver is fixed; an operator requeues the dead letter.
	e.rc.always = 0
	if err := e.sc.Notifications().Requeue(context.Background(), dead[0].ID, e.now); err != nil {
		t.Fatal(err)
	}
	e.round(t)
	if s := e.states(t); s[store.DeliveryDelivered] != 1 || len(e.rc.got) != 1 {
		t.Errorf("after requeue: %v, delivered %d", s, len(e.rc.got))
	}
}

func TestPermanentFailureIsDeadAtOnce(t *testing.T) {
	e := newEnv(t, notify.Config{MaxAttempts: 8}, 0)
	e.route(t, store.Route{Channels: []string{e.hook.ID}})
	e.openAlerts(t, "high", 1)
	e.rc.always = http.StatusUnauthorized
	e.round(t)
	if s := e.states(t); s[store.DeliveryDead] != 1 || len(e.rc.keys) != 1 {
		t.Errorf("states %v after %d attempts", s, len(e.rc.keys))
	}
}

func TestDigestCollectsLowAlerts(t *testing.T) {
	e := newEnv(t, notify.Config{}, 0)
	e.route(t, store.Route{Name: "urgent", MinSeverity: "high", Channels: []string{e.pager.ID}})
	e.route(t, store.Route{Name: "digest", Channels: []string{e.hook.ID}, DigestMinutes: 15})
	e.openAlerts(t, "low", 3)
	e.openAlerts(t, "critical", 1)
	e.round(t)
	if len(e.rc.got) != 1 || e.rc.got[0].Digest {
		t.Fatalf("before the digest is due: %d messages", len(e.rc.got))
	}
	e.now = e.now.Add(15 * time.Minute)
	e.round(t)
	if len(e.rc.got) != 2 {
		t.Fatalf("%d messages, want the urgent one and one digest", len(e.rc.got))
	}
	d := e.rc.got[1]
	if !d.Digest || len(d.Events) != 4 { // 3 low + the critical one (the digest route takes all)
		t.Errorf("digest = %d events, digest flag %v", len(d.Events), d.Digest)
	}
	e.round(t)
	if len(e.rc.got) != 2 {
		t.Errorf("the digest was sent again")
	}
}

func TestThrottleDelaysWithoutDropping(t *testing.T) {
	e := newEnv(t, notify.Config{}, 2)
	e.route(t, store.Route{Channels: []string{e.hook.ID}})
	e.openAlerts(t, "high", 5)
	e.now = e.now.Truncate(time.Minute)
	e.round(t)
	e.round(t)
	if len(e.rc.got) != 2 {
		t.Fatalf("first minute: %d sent, want 2", len(e.rc.got))
	}
	e.now = e.now.Add(time.Minute)
	e.round(t)
	e.round(t)
	if len(e.rc.got) != 4 {
		t.Fatalf("after two minutes: %d sent, want 4", len(e.rc.got))
	}
	e.now = e.now.Add(time.Minute)
	e.round(t)
	if s := e.states(t); s[store.DeliveryDelivered] != 5 || len(e.rc.got) != 5 {
		t.Errorf("states %v", s)
	}
}

func TestEscalationOfUnacknowledgedAlerts(t *testing.T) {
	e := newEnv(t, notify.Config{Escalation: map[string]time.Duration{"critical": 15 * time.Minute}}, 0)
	e.route(t, store.Route{Channels: []string{e.hook.ID}, Escalation: []string{e.pager.ID, e.hook.ID}})
	alerts := e.openAlerts(t, "critical", 2)
	// The second alert is acknowledged in time.
	ack := store.StatusAcknowledged
	if err := e.sc.Alerts().Tx(context.Background(), func(tx store.AlertTx) error {
		_, _, err := tx.Update(context.Background(), alerts[1].ID, store.AlertChange{Status: &ack})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	e.round(t) // the two opened notifications
	steps := func() []int {
		var out []int
		for _, p := range e.rc.got {
			for _, ev := range p.Events {
				if ev.Kind == store.EventAlertEscalated {
					if ev.Alert.ID != alerts[0].ID {
						t.Errorf("escalated the acknowledged alert")
					}
					out = append(out, ev.Step)
				}
			}
		}
		return out
	}
	e.now = e.now.Add(14 * time.Minute)
	e.round(t)
	if len(steps()) != 0 {
		t.Fatalf("escalated before the limit")
	}
	e.now = e.now.Add(2 * time.Minute)
	e.round(t)
	e.round(t) // the same step is never notified twice
	if s := steps(); len(s) != 1 || s[0] != 1 {
		t.Fatalf("steps after 16 min = %v, want [1]", s)
	}
	e.now = e.now.Add(15 * time.Minute)
	e.round(t)
	e.now = e.now.Add(time.Hour)
	e.round(t) // the chain has two links: no third step
	if s := steps(); len(s) != 2 || s[1] != 2 {
		t.Errorf("steps = %v, want [1 2]", s)
	}
	a, _ := e.sc.Alerts().Get(context.Background(), alerts[0].ID)
	if a.Escalations != 2 {
		t.Errorf("alert escalations = %d", a.Escalations)
	}
}

func TestDeliveredNotificationsArePrunedDeadLettersStay(t *testing.T) {
	e := newEnv(t, notify.Config{MaxAttempts: 1, Keep: 24 * time.Hour}, 0)
	e.route(t, store.Route{Channels: []string{e.hook.ID}})
	e.openAlerts(t, "high", 2)
	e.round(t) // both delivered
	e.rc.always = http.StatusInternalServerError
	e.openAlerts(t, "low", 1)
	e.round(t) // dead after one attempt
	if s := e.states(t); s[store.DeliveryDelivered] != 2 || s[store.DeliveryDead] != 1 {
		t.Fatalf("states %v", s)
	}
	e.now = time.Now().UTC().Add(25 * time.Hour)
	e.round(t) // an hour has passed since the last prune: prune
	if s := e.states(t); s[store.DeliveryDelivered] != 0 || s[store.DeliveryDead] != 1 {
		t.Errorf("after a day: %v, want the dead letter only", s)
	}
}

func TestAFailingChannelDoesNotStallTheOthers(t *testing.T) {
	e := newEnv(t, notify.Config{Workers: 1, MaxAttempts: 5, Backoff: time.Second}, 0)
	e.route(t, store.Route{Channels: []string{e.hook.ID, e.pager.ID}})
	e.openAlerts(t, "high", 5)
	e.rc.mu.Lock()
	e.rc.always = http.StatusServiceUnavailable
	e.rc.mu.Unlock()
	e.round(t)
	// One attempt per failing channel this round; the rest wait.
	if len(e.rc.keys) != 2 {
		t.Errorf("%d attempts in a round with both channels failing, want 2", len(e.rc.keys))
	}
	e.rc.mu.Lock()
	e.rc.always = 0
	e.rc.mu.Unlock()
	e.now = e.now.Add(time.Second)
	e.round(t)
	if s := e.states(t); s[store.DeliveryDelivered] != 10 {
		t.Errorf("after the receiver recovered: %v, want 10 delivered", s)
	}
}
