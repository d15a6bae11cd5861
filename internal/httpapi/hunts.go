package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/yagura-soc/yagura/internal/alert"
	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/detect/builtin"
	"github.com/yagura-soc/yagura/internal/detect/sigma"
	"github.com/yagura-soc/yagura/internal/hunt"
	"github.com/yagura-soc/yagura/internal/store"
)

func huntRoutes() []route {
	return []route{
		{"GET", "/api/v1/hunts", auth.PermEventsRead, (*Server).listHunts},
		{"POST", "/api/v1/hunts", auth.PermHuntsManage, (*Server).createHunt},
		{"GET", "/api/v1/hunts/{id}", auth.PermEventsRead, (*Server).getHunt},
		{"PUT", "/api/v1/hunts/{id}", auth.PermHuntsManage, (*Server).updateHunt},
		{"DELETE", "/api/v1/hunts/{id}", auth.PermHuntsManage, (*Server).deleteHunt},
		{"POST", "/api/v1/hunts/{id}/run", auth.PermHuntsManage, (*Server).runHuntNow},
		{"POST", "/api/v1/retro-hunts", auth.PermHuntsManage, (*Server).retroHunt},
	}
}

// huntJSON is a hunt in the API: durations in seconds.
type huntJSON struct {
	ID              string     `json:"id"`
	Name            string     `json:"name"`
	Description     string     `json:"description"`
	Query           string     `json:"query"`
	IntervalSeconds int64      `json:"interval_seconds"`
	LookbackSeconds int64      `json:"lookback_seconds"`
	Threshold       int64      `json:"threshold"`
	Severity        string     `json:"severity"`
	Enabled         bool       `json:"enabled"`
	CreatedBy       string     `json:"created_by"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
	LastRun         *time.Time `json:"last_run,omitempty"`
	LastTotal       int64      `json:"last_total"`
	LastAlerts      int64      `json:"last_alerts"`
	LastError       string     `json:"last_error,omitempty"`
}

func toHuntJSON(h store.Hunt) huntJSON {
	return huntJSON{ID: h.ID, Name: h.Name, Description: h.Description, Query: h.Query,
		IntervalSeconds: int64(h.Interval / time.Second), LookbackSeconds: int64(h.Lookback / time.Second),
		Threshold: h.Threshold, Severity: h.Severity, Enabled: h.Enabled, CreatedBy: h.CreatedBy,
		CreatedAt: h.CreatedAt, UpdatedAt: h.UpdatedAt, LastRun: h.LastRun, LastTotal: h.LastTotal,
		LastAlerts: h.LastAlerts, LastError: h.LastError}
}

// huntInput is the body of POST and PUT /hunts.
type huntInput struct {
	Name            string `json:"name"`
	Description     string `json:"description"`
	Query           string `json:"query"`
	IntervalSeconds int64  `json:"interval_seconds"`
	LookbackSeconds int64  `json:"lookback_seconds"`
	Threshold       int64  `json:"threshold"`
	Severity        string `json:"severity"`
	Enabled         *bool  `json:"enabled"`
}

// readHunt decodes and checks a hunt definition; the query must compile.
func readHunt(w http.ResponseWriter, r *http.Request) (store.Hunt, bool) {
	var in huntInput
	if !decodeJSON(w, r, &in, 1<<20, "the body must be a hunt") {
		return store.Hunt{}, false
	}
	if in.Name == "" || len(in.Name) > 200 {
		writeError(w, http.StatusBadRequest, "name: give the hunt a name of 1 to 200 characters")
		return store.Hunt{}, false
	}
	q, err := hunt.Parse(in.Query)
	if err == nil {
		_, err = hunt.Compile(q, in.Query, hunt.Options{})
	}
	var qe *hunt.Error
	if errors.As(err, &qe) {
		writeJSON(w, http.StatusBadRequest, queryError{Error: "query: " + qe.Error(), Column: qe.Column()})
		return store.Hunt{}, false
	}
	if in.IntervalSeconds < 0 || (in.IntervalSeconds > 0 && in.IntervalSeconds < 60) {
		writeError(w, http.StatusBadRequest, "interval_seconds: 0 (saved only) or at least 60")
		return store.Hunt{}, false
	}
	if in.LookbackSeconds < 0 || in.LookbackSeconds > 366*86400 {
		writeError(w, http.StatusBadRequest, "lookback_seconds: from 0 (the interval) to a year")
		return store.Hunt{}, false
	}
	if in.Threshold == 0 {
		in.Threshold = 1
	}
	if in.Threshold < 1 {
		writeError(w, http.StatusBadRequest, "threshold: at least 1 result")
		return store.Hunt{}, false
	}
	if in.Severity == "" {
		in.Severity = "medium"
	}
	if !slices.Contains(alert.Severities, in.Severity) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("severity %q: use one of %v", in.Severity, alert.Severities))
		return store.Hunt{}, false
	}
	enabled := in.Enabled == nil || *in.Enabled
	return store.Hunt{Name: in.Name, Description: in.Description, Query: in.Query,
		Interval: time.Duration(in.IntervalSeconds) * time.Second, Lookback: time.Duration(in.LookbackSeconds) * time.Second,
		Threshold: in.Threshold, Severity: in.Severity, Enabled: enabled}, true
}

func (s *Server) huntStoreError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "no such hunt")
	case errors.Is(err, store.ErrConflict):
		writeError(w, http.StatusConflict, "a hunt of that name exists: choose another name")
	default:
		s.deps.Log.Error("hunts", "err", err)
		writeError(w, http.StatusInternalServerError, "the hunt store failed")
	}
}

func (s *Server) listHunts(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	hs, err := s.deps.State.Scope(p.Tenant).Hunts().List(r.Context())
	if err != nil {
		s.huntStoreError(w, err)
		return
	}
	out := list[huntJSON]{Items: make([]huntJSON, 0, len(hs)), Total: len(hs)}
	for _, h := range hs {
		out.Items = append(out.Items, toHuntJSON(h))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createHunt(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	h, ok := readHunt(w, r)
	if !ok {
		return
	}
	h.CreatedBy = p.Actor()
	h, err := s.deps.State.Scope(p.Tenant).Hunts().Create(r.Context(), h)
	if err != nil {
		s.huntStoreError(w, err)
		return
	}
	if !s.audited(w, r, p, "hunt.create", h.ID, map[string]any{"name": h.Name, "query": h.Query, "interval_seconds": int64(h.Interval / time.Second)}) {
		return
	}
	writeJSON(w, http.StatusCreated, toHuntJSON(h))
}

func (s *Server) getHunt(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	h, err := s.deps.State.Scope(p.Tenant).Hunts().Get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.huntStoreError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, toHuntJSON(h))
}

func (s *Server) updateHunt(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	h, ok := readHunt(w, r)
	if !ok {
		return
	}
	h.ID = r.PathValue("id")
	h, err := s.deps.State.Scope(p.Tenant).Hunts().Update(r.Context(), h)
	if err != nil {
		s.huntStoreError(w, err)
		return
	}
	if !s.audited(w, r, p, "hunt.update", h.ID, map[string]any{"name": h.Name, "query": h.Query, "enabled": h.Enabled}) {
		return
	}
	writeJSON(w, http.StatusOK, toHuntJSON(h))
}

func (s *Server) deleteHunt(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	id := r.PathValue("id")
	if err := s.deps.State.Scope(p.Tenant).Hunts().Delete(r.Context(), id); err != nil {
		s.huntStoreError(w, err)
		return
	}
	if !s.audited(w, r, p, "hunt.delete", id, nil) {
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// runHuntNow runs a saved hunt at once, exactly as the scheduler would
// (raising an alert at or over the threshold).
func (s *Server) runHuntNow(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	h, err := s.deps.State.Scope(p.Tenant).Hunts().Get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.huntStoreError(w, err)
		return
	}
	sched := &hunt.Scheduler{Events: s.deps.Events, State: s.deps.State, Log: s.deps.Log, Now: s.deps.Now}
	out, err := sched.RunHunt(r.Context(), h, s.deps.Now())
	var qe *hunt.Error
	switch {
	case errors.As(err, &qe):
		writeJSON(w, http.StatusBadRequest, queryError{Error: "query: " + qe.Error(), Column: qe.Column()})
		return
	case err != nil:
		s.deps.Log.Error("hunt run", "hunt", h.ID, "err", err)
		writeError(w, http.StatusInternalServerError, "the hunt failed: "+err.Error())
		return
	}
	resp := map[string]any{"from": out.From, "to": out.To, "total": out.Result.Total, "items": resultItems(out.Result)}
	if out.Result.Columns != nil {
		resp["columns"] = out.Result.Columns
	}
	if out.Alert != nil {
		resp["alert_id"] = out.Alert.ID
	}
	writeJSON(w, http.StatusOK, resp)
}

// retroRequest is the body of POST /retro-hunts: a Sigma rule (YAML) or
// the built-in pack, and the stored range to run it over.
type retroRequest struct {
	Rule    string `json:"rule"`
	Builtin bool   `json:"builtin"`
	From    string `json:"from"`
	To      string `json:"to"`
	Alerts  *bool  `json:"alerts"` // raise alerts (default true)
}

// retroHunt runs Sigma rules over stored events with the live detection
// engine. The answer streams NDJSON: one {"progress": …} line per page,
// then {"result": …} with the matches and the alerts raised.
func (s *Server) retroHunt(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var in retroRequest
	if !decodeJSON(w, r, &in, 4<<20, `the body must be {"rule": "<Sigma YAML>" or "builtin": true, "from": "...", "to": "..."}`) {
		return
	}
	now := s.deps.Now()
	from, err1 := hunt.ParseTime(in.From, now)
	to, err2 := hunt.ParseTime(in.To, now)
	if err := errors.Join(err1, err2); err != nil || from.IsZero() {
		writeError(w, http.StatusBadRequest, "from and to: give the stored range to hunt in (from is required): "+fmt.Sprint(err))
		return
	}
	if to.IsZero() {
		to = now
	}
	set := &sigma.RuleSet{}
	if in.Builtin {
		pack, err := builtin.Load()
		if err != nil {
			writeError(w, http.StatusInternalServerError, err.Error())
			return
		}
		set.Add(pack.Rules...)
		set.Add(pack.Correlations...)
		set.Add(pack.Filters...)
	}
	if in.Rule != "" {
		rules, rejected := sigma.ParseRules("request", []byte(in.Rule))
		if len(rejected) > 0 {
			writeError(w, http.StatusBadRequest, "rule rejected: "+rejected[0].String())
			return
		}
		set.Add(rules...)
	}
	if set.Len() == 0 {
		writeError(w, http.StatusBadRequest, `no rules: send "rule" (Sigma YAML) or "builtin": true`)
		return
	}
	engine, err := sigma.NewEngine(set, sigma.Options{})
	if err != nil {
		writeError(w, http.StatusBadRequest, "rules: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	rc := http.NewResponseController(w)
	res, err := hunt.RetroHunt(r.Context(), s.deps.Events, p.Tenant, from, to, engine, hunt.RetroOptions{
		Progress: func(pr hunt.RetroProgress) {
			enc.Encode(map[string]any{"progress": pr})
			rc.Flush()
		}})
	if err != nil {
		enc.Encode(map[string]any{"error": err.Error()})
		return
	}
	result := map[string]any{"matches": res.Matches, "rules": engine.Rules(), "from": from, "to": to}
	if in.Alerts == nil || *in.Alerts {
		alerts, err := hunt.RaiseAlerts(r.Context(), s.deps.State, p.Tenant, p.Actor(), res,
			map[string]any{"from": from, "to": to, "rules": engine.Rules()})
		if err != nil {
			enc.Encode(map[string]any{"error": err.Error()})
			return
		}
		ids := make([]string, len(alerts))
		for i, a := range alerts {
			ids[i] = a.ID
		}
		result["alert_ids"] = ids
	}
	enc.Encode(map[string]any{"result": result})
}
