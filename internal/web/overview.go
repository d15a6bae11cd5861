package web

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"net/http"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/yagura-soc/yagura/internal/alert"
	"github.com/yagura-soc/yagura/internal/incident"
	"github.com/yagura-soc/yagura/internal/kpi"
	"github.com/yagura-soc/yagura/internal/store"
)

// kpiDays is the period of the overview's KPIs.
const kpiDays = 30

// snapshot is the part of the overview that needs every alert of the
// period: the KPIs, alerts per day, top rules and the riskiest entities.
// Computing it reads up to a million alerts, far more than a page may take,
// so it is computed in the background and served from memory.
type snapshot struct {
	At      time.Time
	Took    time.Duration
	Report  kpi.Report
	Daily   []kpi.DayCount
	Hosts   []riskyEntity
	Users   []riskyEntity
	Err     string
	Pending bool // no snapshot yet: the first one is being computed
	// Closed and Clocks count what the rates are rates of: alerts closed
	// as true, false or benign positive, and SLA clocks judged. A rate of
	// nothing is shown as "—", not 0%.
	Closed, Clocks int
}

type riskyEntity struct {
	Type, Value string
	Score       float64
	OpenAlerts  int
}

// memo keeps one value per tenant that is too costly to compute per page
// view. A value older than ttl is still served while a fresh one is
// computed in the background (one computation per tenant at a time), so a
// page never waits for it except the very first time.
type memo[T any] struct {
	s       *Server
	ttl     time.Duration
	compute func(ctx context.Context, tenant string) (T, error)
	mu      sync.Mutex
	m       map[string]*memoEntry[T]
}

type memoEntry[T any] struct {
	val     T
	at      time.Time
	err     error
	has     bool
	running chan struct{} // closed when the running computation ends; nil when idle
}

// get returns the tenant's value and when it was computed; without any
// value yet it waits up to wait for the first computation and answers
// ok=false if that does not end in time.
func (m *memo[T]) get(ctx context.Context, tenant string, wait time.Duration) (val T, at time.Time, err error, ok bool) {
	m.mu.Lock()
	e := m.m[tenant]
	if e == nil {
		e = &memoEntry[T]{}
		m.m[tenant] = e
	}
	if e.running == nil && (!e.has || m.s.deps.Now().Sub(e.at) >= m.ttl) {
		e.running = make(chan struct{})
		go m.run(tenant, e, e.running)
	}
	running := e.running
	if e.has {
		defer m.mu.Unlock()
		return e.val, e.at, e.err, true
	}
	m.mu.Unlock()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-running:
	case <-t.C:
	case <-ctx.Done():
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return e.val, e.at, e.err, e.has
}

func (m *memo[T]) run(tenant string, e *memoEntry[T], done chan struct{}) {
	// Not the request's context: the computation outlives the request that
	// started it.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	at := m.s.deps.Now()
	val, err := m.compute(ctx, tenant)
	if err != nil {
		m.s.deps.Log.Error("console overview", "tenant", tenant, "err", err)
	}
	m.mu.Lock()
	e.val, e.at, e.err, e.has, e.running = val, at, err, true, nil
	m.mu.Unlock()
	close(done)
}

// snapshots are the overview's 30-day figures.
type snapshots struct{ memo[*snapshot] }

func newSnapshots(s *Server) *snapshots {
	return &snapshots{memo[*snapshot]{s: s, ttl: s.deps.SnapshotTTL, compute: s.computeSnapshot, m: map[string]*memoEntry[*snapshot]{}}}
}

// snapshot returns the tenant's 30-day figures, or a pending one.
func (ss *snapshots) snapshot(ctx context.Context, tenant string, wait time.Duration) *snapshot {
	snap, _, err, ok := ss.get(ctx, tenant, wait)
	if !ok || snap == nil {
		return &snapshot{Pending: true}
	}
	if err != nil {
		c := *snap // shared between page views: never written after it is stored
		c.Err = err.Error()
		return &c
	}
	return snap
}

// openCounts are the overview's open alerts by severity and open cases by
// stage: counting them reads every open alert, so they are counted in the
// background every few seconds rather than per page view.
type openCounts struct {
	BySeverity []sevCount
	ByStage    []int
}

func (s *Server) countOpen(ctx context.Context, tenant string) (openCounts, error) {
	var c openCounts
	scope := s.deps.State.Scope(tenant)
	for i := len(alert.Severities) - 1; i >= 0; i-- {
		sev := alert.Severities[i]
		_, n, err := scope.Alerts().List(ctx, store.AlertFilter{Status: store.StatusNew, Severity: sev, Limit: 1})
		if err != nil {
			return c, err
		}
		c.BySeverity = append(c.BySeverity, sevCount{sev, n})
	}
	if s.deps.Cases != nil {
		p := s.deps.Cases.Playbooks[incident.DefaultPlaybook]
		for i := range p.Stages {
			_, n, err := scope.Cases().List(ctx, store.CaseFilter{Status: incident.StatusOpen, Stage: i, Limit: 1})
			if err != nil {
				return c, err
			}
			c.ByStage = append(c.ByStage, n)
		}
	}
	return c, nil
}

// computeSnapshot reads the alerts created in the last two periods (the
// earlier one for the trend) and the tenant's cases.
func (s *Server) computeSnapshot(ctx context.Context, tenant string) (*snapshot, error) {
	start := time.Now()
	now := s.deps.Now()
	to := now
	from := to.AddDate(0, 0, -kpiDays)
	snap := &snapshot{At: now}
	sc := s.deps.State.Scope(tenant)
	alerts, cases, err := kpi.Load(ctx, sc, from, to)
	if err != nil {
		return snap, err
	}
	ka, kc := kpi.FromStore(alerts, cases)
	in := kpi.Input{Alerts: ka, Cases: kc, SLA: kpi.SLAFrom(incident.DefaultSLA()), From: from, To: to, Now: now}
	snap.Report = kpi.WithPrevious(in)
	snap.Daily = kpi.Daily(ka, from, to)
	for _, rc := range snap.Report.Rules {
		snap.Closed += rc.Closed
	}
	for _, c := range snap.Report.SLA {
		for _, clk := range []kpi.Compliance{c.Acknowledge, c.Contain, c.Resolve} {
			snap.Clocks += clk.Met + clk.Missed
		}
	}
	if snap.Hosts, err = s.riskiest(ctx, sc, alerts, "host.name", "host", now); err != nil {
		return snap, err
	}
	if snap.Users, err = s.riskiest(ctx, sc, alerts, "user.name", "user", now); err != nil {
		return snap, err
	}
	snap.Took = time.Since(start)
	return snap, nil
}

// riskiest ranks the entities named by open alerts by their risk score
// (decayed to now). The candidates are the entities of open alerts with
// the most alert risk; their stored entity risk decides the order.
func (s *Server) riskiest(ctx context.Context, sc store.Scoped, alerts []store.Alert, field, typ string, now time.Time) ([]riskyEntity, error) {
	type cand struct {
		risk  int
		count int
	}
	by := map[string]*cand{}
	for i := range alerts {
		a := &alerts[i]
		v := a.Entities[field]
		if v == "" || a.Status == store.StatusClosed {
			continue
		}
		c := by[v]
		if c == nil {
			c = &cand{}
			by[v] = c
		}
		c.risk += a.RiskScore
		c.count++
	}
	names := make([]string, 0, len(by))
	for v := range by {
		names = append(names, v)
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := by[names[i]], by[names[j]]
		return a.risk > b.risk || a.risk == b.risk && (a.count > b.count || a.count == b.count && names[i] < names[j])
	})
	if len(names) > 20 {
		names = names[:20]
	}
	var out []riskyEntity
	for _, v := range names {
		r, err := sc.EntityRisks().Get(ctx, typ, v)
		if err != nil && err != store.ErrNotFound {
			return nil, fmt.Errorf("entity risk of %s %s: %w", typ, v, err)
		}
		score := alert.Decay(r.Score, r.UpdatedAt, now, s.deps.EntityRisk.HalfLife)
		out = append(out, riskyEntity{Type: typ, Value: v, Score: math.Round(score*10) / 10, OpenAlerts: by[v].count})
	}
	slices.SortStableFunc(out, func(a, b riskyEntity) int { return cmp.Compare(b.Score, a.Score) })
	if len(out) > 5 {
		out = out[:5]
	}
	return out, nil
}

type sevCount struct {
	Severity string
	Count    int
}

type stageCount struct {
	Stage string
	Count int
}

type overviewData struct {
	OpenBySeverity []sevCount
	Recent         []store.Alert
	CasesByStage   []stageCount
	Intake         []sourceHealth
	IntakeAt       time.Time // when the intake was read
	IntakeErr      string
	Snap           *snapshot
	CountedAt      time.Time // when the open alerts and cases were counted
	Chart          barChart
	TopRules       []kpi.RuleCount
}

func (s *Server) overview(w http.ResponseWriter, r *http.Request, v *view) {
	ctx := r.Context()
	scope := s.deps.State.Scope(v.Tenant)
	var d overviewData
	counts, at, err, ok := s.counts.get(ctx, v.Tenant, 5*time.Second)
	if err != nil {
		s.fail(w, v, err)
		return
	}
	if ok {
		d.OpenBySeverity, d.CountedAt = counts.BySeverity, at
		if s.deps.Cases != nil {
			p := s.deps.Cases.Playbooks[incident.DefaultPlaybook]
			for i, st := range p.Stages {
				if i < len(counts.ByStage) {
					d.CasesByStage = append(d.CasesByStage, stageCount{st.Label(v.Lang), counts.ByStage[i]})
				}
			}
		}
	}
	// The total is not shown: CountUpTo spares counting every alert.
	recent, _, err := scope.Alerts().List(ctx, store.AlertFilter{Limit: 10, CountUpTo: 1})
	if err != nil {
		s.fail(w, v, err)
		return
	}
	d.Recent = recent
	// A failing event store leaves the rest of the overview readable.
	intake, at, err, ok := s.intake.get(ctx, v.Tenant, 2*time.Second)
	switch {
	case err != nil:
		d.IntakeErr = err.Error()
	case ok:
		d.Intake, d.IntakeAt = intake, at
	}
	d.Snap = s.snaps.snapshot(ctx, v.Tenant, 2*time.Second)
	if !d.Snap.Pending {
		d.Chart = dailyBars(d.Snap.Daily, v)
		d.TopRules = d.Snap.Report.Rules
		if len(d.TopRules) > 8 {
			d.TopRules = d.TopRules[:8]
		}
	}
	v.Title, v.Data = v.T("overview"), d
	s.render(w, "overview", v)
}

// humanDuration is a duration in seconds as 42s, 17m, 3.5h or 2.1d.
func humanDuration(sec float64) string {
	switch {
	case sec <= 0:
		return "—"
	case sec < 60:
		return fmt.Sprintf("%.0fs", sec)
	case sec < 3600:
		return fmt.Sprintf("%.0fm", sec/60)
	case sec < 86400:
		return fmt.Sprintf("%.1fh", sec/3600)
	}
	return fmt.Sprintf("%.1fd", sec/86400)
}
