package web

import (
	"errors"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/yagura-soc/yagura/internal/alert"
	"github.com/yagura-soc/yagura/internal/casework"
	"github.com/yagura-soc/yagura/internal/hunt"
	"github.com/yagura-soc/yagura/internal/incident"
	"github.com/yagura-soc/yagura/internal/store"
)

type sevCount struct {
	Severity string
	Count    int
}

type stageCount struct {
	Stage string
	Count int
}

type sourceCount struct {
	Source, Dataset string
	Events          int64
}

type overviewData struct {
	OpenBySeverity []sevCount
	Recent         []store.Alert
	CasesByStage   []stageCount
	Intake         []sourceCount
}

func (s *Server) overview(w http.ResponseWriter, r *http.Request, v *view) {
	ctx := r.Context()
	scope := s.deps.State.Scope(v.Tenant)
	var d overviewData
	for i := len(alert.Severities) - 1; i >= 0; i-- {
		sev := alert.Severities[i]
		_, n, err := scope.Alerts().List(ctx, store.AlertFilter{Status: store.StatusNew, Severity: sev, Limit: 1})
		if err != nil {
			s.fail(w, v, err)
			return
		}
		d.OpenBySeverity = append(d.OpenBySeverity, sevCount{sev, n})
	}
	recent, _, err := scope.Alerts().List(ctx, store.AlertFilter{Limit: 10})
	if err != nil {
		s.fail(w, v, err)
		return
	}
	d.Recent = recent
	if s.deps.Cases != nil {
		p := s.deps.Cases.Playbooks[incident.DefaultPlaybook]
		for i, st := range p.Stages {
			_, n, err := scope.Cases().List(ctx, store.CaseFilter{Status: incident.StatusOpen, Stage: i, Limit: 1})
			if err != nil {
				s.fail(w, v, err)
				return
			}
			name := st.Name
			if v.Lang == "ja" {
				name = st.NameJA
			}
			d.CasesByStage = append(d.CasesByStage, stageCount{name, n})
		}
	}
	now := s.deps.Now()
	rows, err := s.deps.Events.Coverage(ctx, v.Tenant, now.Add(-time.Hour), now.Add(time.Minute))
	if err != nil {
		s.fail(w, v, err)
		return
	}
	bySource := map[[2]string]int64{}
	for _, row := range rows {
		bySource[[2]string{row.Source, row.Dataset}] += row.Events
	}
	for k, n := range bySource {
		d.Intake = append(d.Intake, sourceCount{k[0], k[1], n})
	}
	sort.Slice(d.Intake, func(i, j int) bool { return d.Intake[i].Events > d.Intake[j].Events })
	v.Title, v.Data = v.T("overview"), d
	s.render(w, "overview", v)
}

type alertsData struct {
	Items                    []store.Alert
	Total                    int
	Status, Severity, RuleID string
	Severities               []string
	Statuses                 []string
}

func (s *Server) alerts(w http.ResponseWriter, r *http.Request, v *view) {
	q := r.URL.Query()
	d := alertsData{Status: q.Get("status"), Severity: q.Get("severity"), RuleID: q.Get("rule_id"), Severities: alert.Severities,
		Statuses: []string{store.StatusNew, store.StatusAcknowledged, store.StatusInProgress, store.StatusClosed}}
	if d.Status == "" && !q.Has("status") {
		d.Status = store.StatusNew
	}
	items, total, err := s.deps.State.Scope(v.Tenant).Alerts().List(r.Context(), store.AlertFilter{Status: d.Status, Severity: d.Severity, RuleID: d.RuleID, Limit: 200})
	if err != nil {
		s.fail(w, v, err)
		return
	}
	d.Items, d.Total = items, total
	v.Title, v.Data = v.T("alerts"), d
	s.render(w, "alerts", v)
}

func (s *Server) alertDetail(w http.ResponseWriter, r *http.Request, v *view) {
	a, err := s.deps.State.Scope(v.Tenant).Alerts().Get(r.Context(), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		s.fail(w, v, err)
		return
	}
	type detail struct {
		Alert  store.Alert
		Events []eventRow
	}
	d := detail{Alert: a}
	for i, id := range a.EventIDs {
		if i == 20 {
			break
		}
		page, err := s.deps.Events.Search(r.Context(), store.EventQuery{Tenant: v.Tenant, Terms: []store.Term{{Field: "event.id", Value: id}}, Limit: 1})
		if err == nil && len(page.Items) == 1 {
			ev := page.Items[0]
			d.Events = append(d.Events, eventRow{Time: ev.Timestamp, Source: ev.Source, Host: ev.ECS["host.name"], Text: ev.Raw})
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
		name := st.Name
		if v.Lang == "ja" {
			name = st.NameJA
		}
		d.Stages = append(d.Stages, name)
	}
	items, total, err := s.deps.State.Scope(v.Tenant).Cases().List(r.Context(), store.CaseFilter{Status: d.Status, Stage: -1, Limit: 500, CSIRT: v.P.Role == "csirt"})
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
