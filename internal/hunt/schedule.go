package hunt

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yagura-soc/yagura/internal/alert"
	"github.com/yagura-soc/yagura/internal/detect"
	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/kpi"
	"github.com/yagura-soc/yagura/internal/store"
)

// RulePrefix starts the rule id of alerts raised by scheduled hunts
// ("hunt:<hunt id>"); the KPIs count them as source "hunt", so the KPIs
// own the value.
const RulePrefix = kpi.HuntRulePrefix

// evidenceRows bounds the rows written into an alert's evidence comment.
const evidenceRows = 20

// Scheduler runs every tenant's scheduled hunts when they are due and
// raises an alert when a run finds at least the hunt's threshold of
// results. The alert carries the query, the window and the results (the
// event ids, and a comment with the rows) as evidence.
type Scheduler struct {
	Events store.EventStore
	State  store.State
	Log    *slog.Logger
	Now    func() time.Time
	// Tick is how often due hunts are looked for; 0 means 30 seconds.
	Tick time.Duration
}

// Run checks for due hunts every Tick until ctx ends.
func (s *Scheduler) Run(ctx context.Context) error {
	tick := s.Tick
	if tick <= 0 {
		tick = 30 * time.Second
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		if _, err := s.RunDue(ctx); err != nil && ctx.Err() == nil {
			s.log().Error("scheduled hunts", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (s *Scheduler) log() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}

func (s *Scheduler) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

// RunDue runs each due hunt of each tenant once and returns how many ran.
// A hunt that fails records its error and does not stop the others.
func (s *Scheduler) RunDue(ctx context.Context) (int, error) {
	tenants, err := s.State.Tenants().List(ctx)
	if err != nil {
		return 0, fmt.Errorf("scheduled hunts: %w", err)
	}
	now := s.now()
	ran := 0
	for _, tn := range tenants {
		hunts, err := s.State.Scope(tn.Name).Hunts().List(ctx)
		if err != nil {
			return ran, fmt.Errorf("scheduled hunts of %s: %w", tn.Name, err)
		}
		for _, h := range hunts {
			if !h.Due(now) {
				continue
			}
			ran++
			if _, err := s.RunHunt(ctx, h, now); err != nil {
				s.log().Warn("scheduled hunt failed", "tenant", h.Tenant, "hunt", h.ID, "name", h.Name, "err", err)
			}
		}
	}
	return ran, nil
}

// Outcome is what one run of a hunt did.
type Outcome struct {
	Result Result
	From   time.Time
	To     time.Time
	// Alert is the alert raised (or updated), nil below the threshold.
	Alert *store.Alert
}

// RunHunt runs one hunt over [now - lookback, now), raises an alert when
// it found at least the threshold, and records the run on the hunt.
func (s *Scheduler) RunHunt(ctx context.Context, h store.Hunt, now time.Time) (Outcome, error) {
	lookback := h.Lookback
	if lookback <= 0 {
		lookback = h.Interval
	}
	if lookback <= 0 {
		lookback = 24 * time.Hour
	}
	out := Outcome{From: now.Add(-lookback), To: now}
	res, err := Run(ctx, s.Events, Request{Tenant: h.Tenant, Query: h.Query, From: out.From, To: out.To, Limit: store.MaxAlertEventIDs})
	run := store.HuntRun{At: now, Total: res.Total}
	if err == nil {
		out.Result = res
		if res.Total >= max(h.Threshold, 1) {
			var a store.Alert
			if a, err = s.raise(ctx, h, out); err == nil {
				out.Alert = &a
				run.Alerts = 1
			}
		}
	}
	if err != nil {
		run.Error = err.Error()
	}
	if rerr := s.State.Scope(h.Tenant).Hunts().RecordRun(context.WithoutCancel(ctx), h.ID, run); rerr != nil {
		err = errors.Join(err, rerr)
	}
	return out, err
}

// raise writes the alert, its evidence comment and the audit record in
// one transaction. Repeated runs that keep finding results update the
// same open alert (same fingerprint) instead of piling up new ones.
func (s *Scheduler) raise(ctx context.Context, h store.Hunt, o Outcome) (store.Alert, error) {
	ruleID := RulePrefix + h.ID
	// Entities describe the first result; the fingerprint stays per hunt
	// so that one hunt keeps one open alert.
	entities := map[string]string{}
	ids := make([]string, 0, len(o.Result.Events))
	first := o.To
	for _, ev := range o.Result.Events {
		ids = append(ids, ev.ID)
		if ev.Timestamp.Before(first) {
			first = ev.Timestamp
		}
		for _, f := range []string{"host.name", "user.name"} {
			if v, ok := ev.GetString(f); ok && v != "" && entities[f] == "" {
				entities[f] = v
			}
		}
	}
	if len(o.Result.Events) == 0 {
		first = o.From
	}
	level := h.Severity
	a := store.Alert{Tenant: h.Tenant, Kind: store.KindDetection, RuleID: ruleID, RuleTitle: "Hunt: " + h.Name,
		RuleLevel: level, Severity: alert.Severity(level),
		RiskScore: alert.RiskScore(detect.Match{Tenant: h.Tenant, RuleID: ruleID, Level: level}),
		Status:    store.StatusNew, Count: o.Result.Total, Entities: entities, Tags: []string{"yagura.hunt"},
		Fingerprint: alert.Fingerprint(ruleID, nil, nil), EventIDs: ids, FirstSeen: first, LastSeen: o.To,
	}
	window := 2 * max(h.Interval, time.Hour)
	var stored store.Alert
	err := s.State.Scope(h.Tenant).Alerts().Tx(ctx, func(tx store.AlertTx) error {
		out, err := tx.Upsert(ctx, []store.Alert{a}, window)
		if err != nil {
			return err
		}
		stored = out[0]
		if _, err := tx.AddComment(ctx, store.Comment{AlertID: stored.ID, Author: "yagura:hunt", Body: Evidence(h, o)}); err != nil {
			return err
		}
		_, err = tx.Audit(ctx, store.AuditRecord{Actor: "yagura:hunt", Role: "system", Action: "hunt.alert", Object: stored.ID,
			Details: map[string]any{"hunt": h.ID, "query": h.Query, "from": o.From, "to": o.To, "total": o.Result.Total}})
		return err
	})
	if err != nil {
		return store.Alert{}, fmt.Errorf("raise alert for hunt %s: %w", h.ID, err)
	}
	return stored, nil
}

// Evidence is the text recorded on a hunt's alert: the query, the window,
// the count and the first rows of the result.
func Evidence(h store.Hunt, o Outcome) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Hunt %q found %d results (threshold %d) between %s and %s.\nQuery: %s\n",
		h.Name, o.Result.Total, max(h.Threshold, 1), o.From.Format(time.RFC3339), o.To.Format(time.RFC3339), h.Query)
	if len(o.Result.Columns) > 0 {
		b.WriteString("\n" + strings.Join(o.Result.Columns, " | ") + "\n")
		for i, r := range o.Result.Rows {
			if i == evidenceRows {
				fmt.Fprintf(&b, "… %d more rows\n", len(o.Result.Rows)-i)
				break
			}
			cells := make([]string, len(r))
			for j, v := range r {
				if t, ok := v.(time.Time); ok {
					cells[j] = t.Format(time.RFC3339)
				} else {
					cells[j] = event.String(v)
				}
			}
			b.WriteString(strings.Join(cells, " | ") + "\n")
		}
	}
	for i, ev := range o.Result.Events {
		if i == evidenceRows {
			fmt.Fprintf(&b, "… %d more events (ids on the alert)\n", len(o.Result.Events)-i)
			break
		}
		raw := ev.Raw
		if len(raw) > 300 {
			cut := 300
			for cut > 0 && !utf8.RuneStart(raw[cut]) {
				cut-- // never split a character (Japanese log lines)
			}
			raw = raw[:cut] + "…"
		}
		fmt.Fprintf(&b, "%s %s %s\n", ev.Timestamp.Format(time.RFC3339), ev.ID, raw)
	}
	return b.String()
}
