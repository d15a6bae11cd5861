package alert_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/alert"
	"github.com/yagura-soc/yagura/internal/detect"
	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/metrics"
	"github.com/yagura-soc/yagura/internal/notify"
	"github.com/yagura-soc/yagura/internal/notify/webhook"
	"github.com/yagura-soc/yagura/internal/pipeline"
	"github.com/yagura-soc/yagura/internal/store"
	"github.com/yagura-soc/yagura/internal/store/embeddedtest"
)

// stormDetector fires its one rule on every event.
type stormDetector struct{}

func (stormDetector) Detect(ev *event.Event, out []detect.Match) []detect.Match {
	return append(out, detect.Match{Tenant: ev.Tenant, RuleID: "storm", RuleTitle: "Storm rule", Level: "medium",
		Tags: []string{"attack.discovery"}, Time: ev.Timestamp, Events: []*event.Event{ev}})
}

// stormNormalize takes the record as the host name.
func stormNormalize(ev *event.Event, data []byte, _ string) {
	ev.SetECS("host.name", string(data))
	ev.SetECS("user.name", "svc")
}

// The alert storm of docs/performance.md ("Alerting"): RATE matches/s of
// one rule across 1,000 hosts for SECONDS through the real pipeline (DuckDB
// events, SQLite alerts, suppression, risk, entity risk, outbox) must
// collapse to at most 1,000 open alerts with exact counts while the
// queues stay bounded; the 1,000 hosts appear progressively over the
// first minute, so 1,000 distinct alerts/min are notified through the
// outbox to a real webhook, none lost. Run with YAGURA_STORM=1 (it takes
// a minute and a core).
func TestAlertStorm(t *testing.T) {
	if os.Getenv("YAGURA_STORM") == "" {
		t.Skip("set YAGURA_STORM=1 to run the one-minute alert storm")
	}
	rate, seconds := envInt("YAGURA_STORM_RATE", 10000), envInt("YAGURA_STORM_SECONDS", 60)
	const hosts, batch = 1000, 500
	ctx := context.Background()
	evs, st := embeddedtest.Open(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	m := metrics.New()
	stage := alert.NewStage(alert.Config{DedupWindow: time.Hour, Risk: alert.DefaultRisk(), EntityRisk: alert.DefaultEntityRisk()},
		st, m.Registry, log)
	p := pipeline.New(pipeline.Config{QueueBatches: 64, Alerter: stage}, evs, st, stormNormalize, stormDetector{}, m, log)

	// The receiver notes when it first heard of each alert.
	var mu sync.Mutex
	heard := map[string]time.Duration{} // alert id → created → received
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var pl notify.Payload
		json.NewDecoder(r.Body).Decode(&pl)
		now := time.Now()
		mu.Lock()
		for _, ev := range pl.Events {
			if _, ok := heard[ev.Alert.ID]; !ok {
				heard[ev.Alert.ID] = now.Sub(ev.Alert.CreatedAt)
			}
		}
		mu.Unlock()
	}))
	defer hook.Close()
	sc := st.Scope(store.DefaultTenant)
	ch, err := sc.Notifications().CreateChannel(ctx, store.Channel{Name: "hook", Kind: "webhook", Enabled: true,
		Config: json.RawMessage(`{"url":"` + hook.URL + `","secret":"s"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sc.Notifications().CreateRoute(ctx, store.Route{Name: "all", Enabled: true, Channels: []string{ch.ID}}); err != nil {
		t.Fatal(err)
	}
	d := notify.New(notify.Config{Interval: time.Second}, st, map[string]notify.Kind{"webhook": webhook.Kind()},
		notify.Deps{HTTP: &http.Client{}}, m.Registry, log)
	dctx, stopDispatch := context.WithCancel(ctx)
	dispatched := make(chan struct{})
	go func() { d.Run(dctx); close(dispatched) }()

	// Producer: rate matches/s in batches, on a schedule; hosts come in
	// linearly over the first minute.
	want := make([]int64, hosts)
	var maxDepth float64
	var depths []float64 // one sample per second
	var behind time.Duration
	total := rate * seconds
	start := time.Now()
	acks := make(chan (<-chan pipeline.Result), 1024)
	var ackErr error
	var ackWG sync.WaitGroup
	ackWG.Add(1)
	go func() {
		defer ackWG.Done()
		for ch := range acks {
			if r := <-ch; r.Err != nil && ackErr == nil {
				ackErr = r.Err
			}
		}
	}()
	nextSample := start
	for k := 0; k < total; k += batch {
		due := start.Add(time.Duration(float64(k) / float64(rate) * float64(time.Second)))
		if now := time.Now(); now.Before(due) {
			time.Sleep(due.Sub(now))
		} else if lag := now.Sub(due); lag > behind {
			behind = lag
		}
		elapsed := float64(k) / float64(rate)
		active := min(hosts, max(1, int(float64(hosts)*elapsed/60)+1))
		items := make([]pipeline.Item, 0, batch)
		for i := k; i < min(k+batch, total); i++ {
			h := i % active
			want[h]++
			items = append(items, pipeline.Item{Data: []byte("host-" + strconv.Itoa(h))})
		}
		res, err := p.Enqueue(ctx, pipeline.Batch{Tenant: store.DefaultTenant, Source: "storm", Items: items})
		if err != nil {
			t.Fatal(err)
		}
		acks <- res
		if time.Now().After(nextSample) {
			d := queueDepth(t, m)
			depths = append(depths, d)
			maxDepth = max(maxDepth, d)
			nextSample = nextSample.Add(time.Second)
		}
	}
	close(acks)
	ackWG.Wait()
	produced := time.Since(start)
	if ackErr != nil {
		t.Fatal(ackErr)
	}

	open, n, err := sc.Alerts().List(ctx, store.AlertFilter{Status: store.StatusNew, Kind: store.KindDetection, Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	if n > hosts {
		t.Errorf("%d open alerts, want at most %d", n, hosts)
	}
	var sum int64
	for _, a := range open {
		h, _ := strconv.Atoi(a.Entities["host.name"][len("host-"):])
		if a.Count != want[h] {
			t.Errorf("alert of host-%d counts %d, want %d", h, a.Count, want[h])
		}
		sum += a.Count
	}
	if sum != int64(total) {
		t.Errorf("alert counts add up to %d, want %d matches", sum, total)
	}
	// Every opened alert is notified: wait for the outbox to drain.
	_, all, _ := sc.Alerts().List(ctx, store.AlertFilter{Limit: 1})
	deadline := time.Now().Add(2 * time.Minute)
	for {
		mu.Lock()
		got := len(heard)
		mu.Unlock()
		if got >= all || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	stopDispatch()
	<-dispatched
	mu.Lock()
	lat := make([]time.Duration, 0, len(heard))
	for _, l := range heard {
		lat = append(lat, l)
	}
	mu.Unlock()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) != all {
		t.Errorf("%d of %d alerts notified", len(lat), all)
	}
	if behind > 2*time.Second {
		t.Errorf("the producer fell %v behind its schedule: the pipeline did not keep up", behind)
	}
	q := func(f float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(f*float64(len(lat))))].Round(time.Millisecond)
	}
	t.Logf("storm: %d matches in %v (%.0f/s; worst lag behind schedule %v), %d open detection alerts (%d alerts in all, risk alerts included), max queue depth %v batches",
		total, produced.Round(time.Millisecond), float64(total)/produced.Seconds(), behind.Round(time.Millisecond), n, all, maxDepth)
	var every10 []float64
	for i := 9; i < len(depths); i += 10 {
		every10 = append(every10, depths[i])
	}
	t.Logf("queue depth every 10 s: %v", every10)
	t.Logf("notifications: %d of %d alerts delivered; latency created→received p50 %v p99 %v max %v",
		len(lat), all, q(0.5), q(0.99), q(1))
	p.Close(ctx)
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// queueDepth sums the pipeline's queue gauges.
func queueDepth(t *testing.T, m *metrics.Metrics) float64 {
	fams, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var d float64
	for _, f := range fams {
		if f.GetName() == "yagura_queue_depth" {
			for _, mm := range f.GetMetric() {
				d += mm.GetGauge().GetValue()
			}
		}
	}
	return d
}
