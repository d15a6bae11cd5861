package web

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/yagura-soc/yagura/internal/detect/live"
	"github.com/yagura-soc/yagura/internal/kpi"
	"github.com/yagura-soc/yagura/internal/store"
)

// ruleRow is one running rule on the rules page.
type ruleRow struct {
	live.Rule
	Enabled bool
	Attack  []string
	Hits    store.RuleHits
	// Period are the rule's alerts of the overview's 30 days, with the
	// false-positive rate of those closed.
	Period kpi.RuleCount
}

type rulesData struct {
	Rules    []ruleRow
	Total    int
	Q, Level string
	Levels   []string
	HitsAt   time.Time
	Pending  bool // the 30-day figures are still being computed
	Sample   string
}

// ruleHits are the tenant's per-rule hit counts: counting them groups the
// whole alert table, so they come from a memo like the overview's figures.
func (s *Server) ruleHits(ctx context.Context, tenant string) (map[string]store.RuleHits, error) {
	return s.deps.State.Scope(tenant).Rules().Hits(ctx)
}

func attackTags(tags []string) []string {
	var out []string
	for _, t := range tags {
		if strings.HasPrefix(t, "attack.") {
			out = append(out, t)
		}
	}
	return out
}

// sampleRule prefills the test form of the rules page.
const sampleRule = `title: Failed root logins over SSH
id: 5f0c1d3e-0000-4000-8000-000000000001
status: experimental
logsource:
  product: linux
  service: auth
detection:
  selection:
    user.name: root
    event.outcome: failure
  condition: selection
level: medium
`

func (s *Server) rules(w http.ResponseWriter, r *http.Request, v *view) {
	if s.deps.Rules == nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		v.Error = v.T("no_rules_engine")
		s.render(w, "error", v)
		return
	}
	ctx := r.Context()
	q := r.URL.Query()
	d := rulesData{Q: q.Get("q"), Level: q.Get("level"), Levels: []string{"informational", "low", "medium", "high", "critical"}, Sample: sampleRule}
	hits, at, err, ok := s.hits.get(ctx, v.Tenant, 2*time.Second)
	if err != nil {
		s.fail(w, v, err)
		return
	}
	if ok {
		d.HitsAt = at
	}
	period := map[string]kpi.RuleCount{}
	snap := s.snaps.snapshot(ctx, v.Tenant, 0)
	d.Pending = snap.Pending
	if !snap.Pending {
		for _, rc := range snap.Report.Rules {
			period[rc.RuleID] = rc
		}
	}
	needle := strings.ToLower(d.Q)
	for _, rule := range s.deps.Rules.Rules() {
		if d.Level != "" && rule.Level != d.Level {
			continue
		}
		if needle != "" && !strings.Contains(strings.ToLower(rule.Title+" "+rule.ID+" "+strings.Join(rule.Tags, " ")), needle) {
			continue
		}
		d.Rules = append(d.Rules, ruleRow{Rule: rule, Enabled: s.deps.Rules.Enabled(v.Tenant, rule.ID), Attack: attackTags(rule.Tags),
			Hits: hits[rule.ID], Period: period[rule.ID]})
	}
	// The busiest rules first: they are the ones to tune.
	slices.SortStableFunc(d.Rules, func(a, b ruleRow) int {
		if a.Period.Alerts != b.Period.Alerts {
			return b.Period.Alerts - a.Period.Alerts
		}
		return strings.Compare(a.Title, b.Title)
	})
	d.Total = len(d.Rules)
	v.Title, v.Data = v.T("rules"), d
	s.render(w, "rules", v)
}

type ruleData struct {
	Row         ruleRow
	YAML        string
	FileChanged bool
	TextErr     string
}

func (s *Server) rule(w http.ResponseWriter, r *http.Request, v *view) {
	if s.deps.Rules == nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		v.Error = v.T("no_rules_engine")
		s.render(w, "error", v)
		return
	}
	rule, ok := s.deps.Rules.Rule(r.PathValue("id"))
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		v.Error = v.T("no_such_rule") + " " + r.PathValue("id")
		s.render(w, "error", v)
		return
	}
	ctx := r.Context()
	d := ruleData{Row: ruleRow{Rule: rule, Enabled: s.deps.Rules.Enabled(v.Tenant, rule.ID), Attack: attackTags(rule.Tags)}}
	if hits, _, err, ok := s.hits.get(ctx, v.Tenant, 2*time.Second); err == nil && ok {
		d.Row.Hits = hits[rule.ID]
	}
	if snap := s.snaps.snapshot(ctx, v.Tenant, 0); !snap.Pending {
		for _, rc := range snap.Report.Rules {
			if rc.RuleID == rule.ID {
				d.Row.Period = rc
			}
		}
	}
	text, changed, err := s.deps.Rules.Text(rule)
	d.YAML, d.FileChanged = text, changed
	if err != nil {
		d.TextErr = err.Error() // the rule still runs; its file went away
	}
	v.Title, v.Data = rule.Title, d
	s.render(w, "rule", v)
}
