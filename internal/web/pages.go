package web

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/yagura-soc/yagura/internal/alert"
	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/casework"
	"github.com/yagura-soc/yagura/internal/detect/live"
	"github.com/yagura-soc/yagura/internal/hunt"
	"github.com/yagura-soc/yagura/internal/incident"
	"github.com/yagura-soc/yagura/internal/store"
)

// queueCountCap is how far the queue counts its matches: past it the page
// says "10000+" instead of counting a million alerts on every view.
const queueCountCap = 10_000

type alertsData struct {
	Items []store.Alert
	Total int
	// More says there are more than Total matches (Total is then
	// queueCountCap).
	More                     bool
	Status, Severity, RuleID string
	Entity, Text, From, Sort string
	Err                      string
	Severities               []string
	Statuses                 []string
	Sorts                    []string
	// Since is when the queue was read: the live stream announces alerts
	// created after it.
	Since string
}

func (s *Server) alerts(w http.ResponseWriter, r *http.Request, v *view) {
	q := r.URL.Query()
	now := s.deps.Now()
	d := alertsData{Status: q.Get("status"), Severity: q.Get("severity"), RuleID: q.Get("rule_id"),
		Entity: q.Get("entity"), Text: q.Get("text"), From: q.Get("from"), Sort: q.Get("sort"),
		Severities: alert.Severities, Statuses: store.AlertStatuses, Sorts: store.AlertSorts,
		Since: now.Format(time.RFC3339Nano)}
	if d.Status == "" && !q.Has("status") {
		d.Status = store.StatusNew
	}
	f := store.AlertFilter{Status: d.Status, Severity: d.Severity, RuleID: d.RuleID, EntityValue: d.Entity, Text: d.Text,
		Limit: 200, CountUpTo: queueCountCap}
	if d.Sort != "" {
		if !slices.Contains(store.AlertSorts, d.Sort) {
			d.Err = fmt.Sprintf("sort %q: use one of %v", d.Sort, store.AlertSorts)
			d.Sort = ""
		}
		f.Sort = d.Sort
	}
	if d.From != "" {
		from, err := hunt.ParseTime(d.From, now)
		if err != nil {
			d.Err = "from: " + err.Error()
		} else {
			f.From = from
		}
	}
	items, total, err := s.deps.State.Scope(v.Tenant).Alerts().List(r.Context(), f)
	if err != nil {
		s.fail(w, v, err)
		return
	}
	d.Items, d.Total, d.More = items, min(total, queueCountCap), total > queueCountCap
	v.Title, v.Data = v.T("alerts"), d
	s.render(w, "alerts", v)
}

// intelHit is a threat-intelligence match found on a matched event.
type intelHit struct {
	EventID string
	Fields  []fieldValue
}

type fieldValue struct {
	Field string
	Value any
}

// entityRiskRow is one of the alert's entities with its risk now.
type entityRiskRow struct {
	Field, Value, Type string
	Score              float64
	Contributions      int
}

type alertDetailData struct {
	Alert    store.Alert
	Events   []eventRow
	Intel    []intelHit
	Risk     []entityRiskRow
	Attack   []string
	Cases    []incident.Case
	Case     *incident.Case
	RuleYAML string
	Rule     *live.Rule
	// Contributing are the alerts whose risk made a risk alert.
	Contributing []store.Alert
}

func (s *Server) alertDetail(w http.ResponseWriter, r *http.Request, v *view) {
	ctx := r.Context()
	sc := s.deps.State.Scope(v.Tenant)
	a, err := sc.Alerts().Get(ctx, r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		s.fail(w, v, err)
		return
	}
	d := alertDetailData{Alert: a}
	if s.deps.Rules != nil {
		if rule, ok := s.deps.Rules.Rule(a.RuleID); ok {
			d.Rule = &rule
			d.Attack = attackTags(rule.Tags) // the rule's own tags, when the alert carries none
			if text, _, err := s.deps.Rules.Text(rule); err == nil {
				d.RuleYAML = text
			}
		}
	}
	for _, t := range a.Tags {
		if strings.HasPrefix(t, "attack.") && !slices.Contains(d.Attack, t) {
			d.Attack = append(d.Attack, t)
		}
	}
	for i, id := range a.EventIDs {
		if i == 20 {
			break
		}
		page, err := s.deps.Events.Search(ctx, store.EventQuery{Tenant: v.Tenant, Terms: []store.Term{{Field: "event.id", Value: id}}, Limit: 1})
		if err != nil || len(page.Items) != 1 {
			continue
		}
		ev := page.Items[0]
		d.Events = append(d.Events, eventRow{Time: ev.Timestamp, Source: ev.Source, Host: ev.ECS["host.name"], Text: ev.Raw})
		// threat.indicator.* is what the intel matcher writes on a hit.
		var hit intelHit
		for k, val := range ev.ECS {
			if strings.HasPrefix(k, "threat.indicator.") || strings.HasPrefix(k, "threat.enrichments") {
				hit.Fields = append(hit.Fields, fieldValue{k, val})
			}
		}
		if len(hit.Fields) > 0 {
			hit.EventID = ev.ID
			slices.SortFunc(hit.Fields, func(x, y fieldValue) int { return strings.Compare(x.Field, y.Field) })
			d.Intel = append(d.Intel, hit)
		}
	}
	for i, id := range a.Contributing {
		if i == 50 {
			break
		}
		if c, err := sc.Alerts().Get(ctx, id); err == nil {
			d.Contributing = append(d.Contributing, c)
		}
	}
	now := s.deps.Now()
	fields := make([]string, 0, len(a.Entities))
	for f := range a.Entities {
		fields = append(fields, f)
	}
	slices.Sort(fields)
	for _, f := range fields {
		typ := entityTypes[f]
		if typ == "" {
			continue
		}
		val := a.Entities[f]
		row := entityRiskRow{Field: f, Value: val, Type: typ}
		risk, err := sc.EntityRisks().Get(ctx, typ, val)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			s.fail(w, v, err)
			return
		}
		row.Score = alert.Decay(risk.Score, risk.UpdatedAt, now, s.deps.EntityRisk.HalfLife)
		hist, err := sc.EntityRisks().Contributions(ctx, typ, val, time.Time{})
		if err != nil {
			s.fail(w, v, err)
			return
		}
		row.Contributions = len(hist)
		d.Risk = append(d.Risk, row)
	}
	if s.deps.Cases != nil && auth.Allowed(v.P.Role, auth.PermCasesWrite) {
		if a.CaseID != "" {
			if c, err := sc.Cases().Get(ctx, a.CaseID); err == nil {
				d.Case = &c
			}
		}
		d.Cases, _, err = sc.Cases().List(ctx, store.CaseFilter{Status: incident.StatusOpen, Stage: -1, Limit: 100, CSIRT: v.P.Role == auth.RoleCSIRT})
		if err != nil {
			s.fail(w, v, err)
			return
		}
	}
	v.Title, v.Data = a.RuleTitle, d
	s.render(w, "alert", v)
}

type eventRow struct {
	Time   time.Time
	Source string
	Host   any
	Text   string
}

type casesData struct {
	Board  bool
	Stages []string
	Items  []incident.Case
	Lanes  map[int][]incident.Case
	Total  int
	Status string
}

func (s *Server) cases(w http.ResponseWriter, r *http.Request, v *view) {
	if s.deps.Cases == nil {
		http.NotFound(w, r)
		return
	}
	q := r.URL.Query()
	d := casesData{Board: q.Get("view") != "list", Status: q.Get("status"), Lanes: map[int][]incident.Case{}}
	if d.Status == "" {
		d.Status = incident.StatusOpen
	}
	p := s.deps.Cases.Playbooks[incident.DefaultPlaybook]
	for _, st := range p.Stages {
		d.Stages = append(d.Stages, st.Label(v.Lang))
	}
	items, total, err := s.deps.State.Scope(v.Tenant).Cases().List(r.Context(), store.CaseFilter{Status: d.Status, Stage: -1, Limit: 500, CSIRT: v.P.Role == auth.RoleCSIRT})
	if err != nil {
		s.fail(w, v, err)
		return
	}
	d.Items, d.Total = items, total
	for _, c := range items {
		d.Lanes[c.Stage] = append(d.Lanes[c.Stage], c)
	}
	v.Title, v.Data = v.T("cases"), d
	s.render(w, "cases", v)
}

func (s *Server) caseDetail(w http.ResponseWriter, r *http.Request, v *view) {
	if s.deps.Cases == nil {
		http.NotFound(w, r)
		return
	}
	cv, err := s.deps.Cases.Get(r.Context(), v.Tenant, actor(v), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		s.fail(w, v, err)
		return
	}
	v.Title, v.Data = cv.Title, cv
	s.render(w, "case", v)
}

type huntData struct {
	Query, From string
	Result      hunt.Result
	Err         string
	Ran         bool
}

func (s *Server) hunt(w http.ResponseWriter, r *http.Request, v *view) {
	q := r.URL.Query()
	d := huntData{Query: q.Get("q"), From: q.Get("from")}
	if d.From == "" {
		d.From = "-24h"
	}
	if d.Query != "" {
		now := s.deps.Now()
		from, err := hunt.ParseTime(d.From, now)
		if err != nil {
			d.Err = err.Error()
		} else {
			limit, _ := strconv.Atoi(q.Get("limit"))
			if limit <= 0 || limit > 500 {
				limit = 100
			}
			res, err := hunt.Run(r.Context(), s.deps.Events, hunt.Request{Tenant: v.Tenant, Query: d.Query, From: from, To: now, Limit: limit, Extras: true})
			if err != nil {
				d.Err = err.Error()
			} else {
				d.Result, d.Ran = res, true
			}
		}
	}
	v.Title, v.Data = v.T("hunt"), d
	s.render(w, "hunt", v)
}

func (s *Server) fail(w http.ResponseWriter, v *view, err error) {
	s.deps.Log.Error("console page", "path", v.Path, "err", err)
	w.WriteHeader(http.StatusInternalServerError)
	v.Error = err.Error()
	s.render(w, "error", v)
}

func actor(v *view) casework.Actor { return casework.Actor{Name: v.P.Actor(), Role: v.P.Role} }
