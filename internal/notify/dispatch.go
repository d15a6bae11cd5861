package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/yagura-soc/yagura/internal/store"
)

// Config tunes delivery.
type Config struct {
	// Interval between two rounds over the outbox.
	Interval time.Duration
	// MaxAttempts before a delivery becomes a dead letter.
	MaxAttempts int
	// Backoff is the wait after the first failure; it doubles per
	// attempt up to MaxBackoff.
	Backoff    time.Duration
	MaxBackoff time.Duration
	// Timeout bounds one attempt.
	Timeout time.Duration
	// Workers deliver in parallel.
	Workers int
	// Keep is how long delivered notifications stay listed (default a
	// week); dead letters stay until retried.
	Keep time.Duration
	// Escalation is how long an alert of each severity may stay
	// unacknowledged before each next escalation step.
	Escalation map[string]time.Duration
}

// Dispatcher routes outbox events and delivers them.
type Dispatcher struct {
	cfg   Config
	state store.State
	kinds map[string]Kind
	deps  Deps
	log   *slog.Logger
	now   func() time.Time

	mu         sync.Mutex
	connectors map[string]cached // channel id → connector built from its config
	lastPrune  time.Time
	sentIn     map[string]window // channel id → sends in the current minute (throttle)

	delivered *prometheus.CounterVec
	failed    *prometheus.CounterVec
	dead      *prometheus.CounterVec
}

type cached struct {
	updated time.Time
	conn    Connector
}

type window struct {
	minute time.Time
	n      int
}

// New builds a dispatcher. kinds maps channel kinds to connectors.
func New(cfg Config, state store.State, kinds map[string]Kind, deps Deps, reg prometheus.Registerer, log *slog.Logger) *Dispatcher {
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 8
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 5 * time.Second
	}
	if cfg.MaxBackoff < cfg.Backoff {
		cfg.MaxBackoff = cfg.Backoff
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.Keep <= 0 {
		cfg.Keep = 7 * 24 * time.Hour
	}
	if deps.Now == nil {
		deps.Now = func() time.Time { return time.Now().UTC() }
	}
	d := &Dispatcher{cfg: cfg, state: state, kinds: kinds, deps: deps, log: log, now: deps.Now,
		connectors: map[string]cached{}, sentIn: map[string]window{},
		delivered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yagura_notifications_delivered_total", Help: "Notifications accepted by their receiver, by channel kind.",
		}, []string{"kind"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yagura_notification_failures_total", Help: "Failed delivery attempts, by channel kind.",
		}, []string{"kind"}),
		dead: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yagura_notifications_dead_total", Help: "Notifications parked as dead letters, by channel kind.",
		}, []string{"kind"}),
	}
	if reg != nil {
		reg.MustRegister(d.delivered, d.failed, d.dead)
	}
	return d
}

// Run works the outbox every Interval until ctx ends.
func (d *Dispatcher) Run(ctx context.Context) {
	tick := time.NewTicker(d.cfg.Interval)
	defer tick.Stop()
	for {
		if err := d.Round(ctx); err != nil && ctx.Err() == nil {
			d.log.Error("notification round failed; retrying next round", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Round does one pass for every tenant: route new events, fold due
// digests, escalate, deliver what is due. Tests call it directly.
func (d *Dispatcher) Round(ctx context.Context) error {
	tenants, err := d.state.Tenants().List(ctx)
	if err != nil {
		return fmt.Errorf("list tenants: %w", err)
	}
	var errs []error
	prune := d.now().Sub(d.lastPrune) >= time.Hour
	for _, t := range tenants {
		sc := d.state.Scope(t.Name)
		if err := d.tenantRound(ctx, sc); err != nil {
			errs = append(errs, fmt.Errorf("tenant %s: %w", t.Name, err))
		}
		if prune {
			if _, err := sc.Notifications().Prune(ctx, d.now().Add(-d.cfg.Keep)); err != nil {
				errs = append(errs, fmt.Errorf("tenant %s: %w", t.Name, err))
			}
		}
	}
	if prune {
		d.lastPrune = d.now()
	}
	return errors.Join(errs...)
}

func (d *Dispatcher) tenantRound(ctx context.Context, sc store.Scoped) error {
	n := sc.Notifications()
	routes, err := n.Routes(ctx)
	if err != nil {
		return err
	}
	chList, err := n.Channels(ctx)
	if err != nil {
		return err
	}
	channels := map[string]store.Channel{}
	for _, c := range chList {
		channels[c.ID] = c
	}
	if err := d.route(ctx, n, routes, channels); err != nil {
		return err
	}
	if err := d.foldDigests(ctx, n); err != nil {
		return err
	}
	if err := d.escalate(ctx, sc, routes); err != nil {
		return err
	}
	return d.deliver(ctx, sc.Tenant(), n, channels)
}

// route plans every unrouted event; each is marked routed together with
// its deliveries, so a crash in between routes it again, never twice.
func (d *Dispatcher) route(ctx context.Context, n store.Notifications, routes []store.Route, channels map[string]store.Channel) error {
	for {
		evs, err := n.Unrouted(ctx, 500)
		if err != nil {
			return err
		}
		for _, ev := range evs {
			plan := Plan(ev, routes, channels, d.kinds, d.now())
			if err := n.Routed(ctx, ev.ID, plan); err != nil {
				return err
			}
		}
		if len(evs) < 500 {
			return nil
		}
	}
}

// foldDigests turns each channel's waiting digest deliveries into one
// delivery once the oldest is due.
func (d *Dispatcher) foldDigests(ctx context.Context, n store.Notifications) error {
	waiting, err := n.Digests(ctx)
	if err != nil {
		return err
	}
	now := d.now()
	for channel, ds := range waiting {
		due := false
		for _, x := range ds {
			if !x.NextAttempt.After(now) {
				due = true
			}
		}
		if !due {
			continue
		}
		ids := make([]string, len(ds))
		var events []store.OutboxEvent
		h := sha256.New()
		for i, x := range ds {
			ids[i] = x.ID
			h.Write([]byte(x.ID))
			events = append(events, x.Events...)
		}
		key := "digest/" + channel + "/" + hex.EncodeToString(h.Sum(nil)[:12])
		folded := store.Delivery{EventID: ds[0].EventID, Channel: channel, Kind: "digest", IdempotencyKey: key,
			Events: events, State: store.DeliveryPending, NextAttempt: now}
		if err := n.FoldDigest(ctx, ids, folded); err != nil {
			return err
		}
	}
	return nil
}

// escalate writes an escalation event for each alert left new past its
// severity's limit × the next step, in the same transaction that records
// the step, so each step is notified exactly once into the outbox.
func (d *Dispatcher) escalate(ctx context.Context, sc store.Scoped, routes []store.Route) error {
	steps := MaxEscalationSteps(routes)
	if steps == 0 || len(d.cfg.Escalation) == 0 {
		return nil
	}
	now := d.now()
	for sev, limit := range d.cfg.Escalation {
		if limit <= 0 {
			continue
		}
		list, _, err := sc.Alerts().List(ctx, store.AlertFilter{Status: store.StatusNew, Severity: sev,
			CreatedBefore: now.Add(-limit), EscalationsBelow: steps, Sort: "created_at", Limit: 1000})
		if err != nil {
			return err
		}
		for _, a := range list {
			step := a.Escalations + 1
			if step > steps || now.Before(a.CreatedAt.Add(time.Duration(step)*limit)) {
				continue
			}
			err := sc.Alerts().Tx(ctx, func(tx store.AlertTx) error {
				cur, err := tx.Get(ctx, a.ID)
				if err != nil {
					return err
				}
				if cur.Status != store.StatusNew || cur.Escalations != step-1 {
					return nil // acknowledged or escalated meanwhile
				}
				cur.Escalations = step
				if err := tx.Enqueue(ctx, store.OutboxEvent{Kind: store.EventAlertEscalated, Alert: cur, Step: step,
					Actor: "system", CreatedAt: now}); err != nil {
					return err
				}
				return tx.Escalated(ctx, a.ID, step)
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// deliver sends the due deliveries with a few workers.
func (d *Dispatcher) deliver(ctx context.Context, tenant string, n store.Notifications, channels map[string]store.Channel) error {
	due, err := n.Due(ctx, d.now(), 1000)
	if err != nil {
		return err
	}
	work := make(chan store.Delivery)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	// A channel that failed in this round gets no more attempts in it:
	// its other deliveries wait for their next round instead of each
	// waiting out a timeout, so one dead receiver cannot stall the rest.
	failing := map[string]bool{}
	for range d.cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for dl := range work {
				mu.Lock()
				skip := failing[dl.Channel]
				mu.Unlock()
				if skip {
					continue // it stays pending for a later round
				}
				ok, err := d.deliverOne(ctx, tenant, n, channels, dl)
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				}
				if !ok {
					failing[dl.Channel] = true
				}
				mu.Unlock()
			}
		}()
	}
	for _, dl := range due {
		if !d.allow(channels[dl.Channel]) {
			continue // throttled: it stays pending for a later round
		}
		work <- dl
	}
	close(work)
	wg.Wait()
	return errors.Join(errs...)
}

// allow applies a channel's rate limit per minute.
func (d *Dispatcher) allow(c store.Channel) bool {
	if c.RatePerMinute <= 0 {
		return true
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	minute := d.now().Truncate(time.Minute)
	w := d.sentIn[c.ID]
	if !w.minute.Equal(minute) {
		w = window{minute: minute}
	}
	if w.n >= c.RatePerMinute {
		return false
	}
	w.n++
	d.sentIn[c.ID] = w
	return true
}

// deliverOne makes one attempt; ok reports whether the receiver took it.
func (d *Dispatcher) deliverOne(ctx context.Context, tenant string, n store.Notifications, channels map[string]store.Channel, dl store.Delivery) (ok bool, err error) {
	c, known := channels[dl.Channel]
	var sendErr error
	var ref string
	switch {
	case !known:
		sendErr = Permanent(fmt.Errorf("channel %s was deleted", dl.Channel))
	default:
		conn, err := d.connector(c)
		if err != nil {
			sendErr = Permanent(err)
			break
		}
		m := Message{Tenant: tenant, Channel: c, IdempotencyKey: dl.IdempotencyKey, Events: dl.Events,
			Digest: dl.Kind == "digest"}
		if dl.AlertID != "" {
			if r, err := n.Ref(ctx, c.ID, dl.AlertID); err == nil {
				m.Ref = r
			}
		}
		sctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
		ref, sendErr = conn.Send(sctx, m)
		cancel()
	}
	now := d.now()
	if sendErr == nil {
		d.delivered.WithLabelValues(c.Kind).Inc()
		return true, n.Delivered(ctx, dl.ID, now, ref)
	}
	if ctx.Err() != nil {
		return false, nil // shutting down: the attempt does not count, it is retried after restart
	}
	attempts := dl.Attempts + 1
	dead := IsPermanent(sendErr) || attempts >= d.cfg.MaxAttempts
	d.failed.WithLabelValues(c.Kind).Inc()
	if dead {
		d.dead.WithLabelValues(c.Kind).Inc()
	}
	d.log.Warn("notification not delivered", "channel", c.Name, "kind", c.Kind, "delivery", dl.ID,
		"attempt", attempts, "dead", dead, "err", sendErr.Error())
	return false, n.Failed(ctx, dl.ID, truncate(sendErr.Error(), 500), now.Add(Backoff(d.cfg.Backoff, d.cfg.MaxBackoff, attempts)), dead)
}

// Backoff is the wait after the given number of failed attempts.
func Backoff(base, max time.Duration, attempts int) time.Duration {
	w := base
	for i := 1; i < attempts && w < max; i++ {
		w *= 2
	}
	return min(w, max)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

// connector returns the channel's connector, rebuilt when its config changed.
func (d *Dispatcher) connector(c store.Channel) (Connector, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if cc, ok := d.connectors[c.ID]; ok && cc.updated.Equal(c.UpdatedAt) {
		return cc.conn, nil
	}
	k, ok := d.kinds[c.Kind]
	if !ok {
		return nil, fmt.Errorf("channel %s: unknown kind %q", c.Name, c.Kind)
	}
	conn, err := k.New(c.Config, d.deps)
	if err != nil {
		return nil, fmt.Errorf("channel %s: %w", c.Name, err)
	}
	d.connectors[c.ID] = cached{updated: c.UpdatedAt, conn: conn}
	return conn, nil
}

// Check validates a channel's configuration by building its connector.
func Check(kinds map[string]Kind, c store.Channel, deps Deps) error {
	k, ok := kinds[c.Kind]
	if !ok {
		names := make([]string, 0, len(kinds))
		for n := range kinds {
			names = append(names, n)
		}
		return fmt.Errorf("kind %q: use one of %v", c.Kind, names)
	}
	_, err := k.New(c.Config, deps)
	return err
}
