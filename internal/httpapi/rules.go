package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/detect"
	"github.com/yagura-soc/yagura/internal/detect/live"
	"github.com/yagura-soc/yagura/internal/detect/sigma"
	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/normalize"
	"github.com/yagura-soc/yagura/internal/store"
)

func ruleRoutes() []route {
	return []route{
		{"GET", "/api/v1/rules", auth.PermRulesRead, (*Server).listRules},
		{"GET", "/api/v1/rules/{id}", auth.PermRulesRead, (*Server).getRule},
		{"PUT", "/api/v1/rules/{id}/enabled", auth.PermRulesManage, (*Server).setRuleEnabled},
		{"POST", "/api/v1/rules/reload", auth.PermRulesManage, (*Server).reloadRules},
		{"POST", "/api/v1/rules/test", auth.PermRulesTest, (*Server).testRule},
	}
}

// Bounds of POST /rules/test.
const (
	ruleTestMaxEvents    = 10_000 // events read from the store
	ruleTestMaxMatches   = 1_000  // matches answered
	ruleTestMaxRuleBytes = 1 << 20
)

type logsourceJSON struct {
	Product  string `json:"product,omitempty"`
	Category string `json:"category,omitempty"`
	Service  string `json:"service,omitempty"`
}

type ruleHitsJSON struct {
	Alerts  int64      `json:"alerts"`
	Matches int64      `json:"matches"`
	Last    *time.Time `json:"last,omitempty"`
}

// ruleJSON is a running rule as the API shows it.
type ruleJSON struct {
	ID          string        `json:"id"`
	Title       string        `json:"title"`
	Kind        string        `json:"kind"` // detection or correlation
	Level       string        `json:"level"`
	Status      string        `json:"status,omitempty"`
	Description string        `json:"description,omitempty"`
	Tags        []string      `json:"tags"`
	Logsource   logsourceJSON `json:"logsource"`
	Source      string        `json:"source"` // builtin or file
	Path        string        `json:"path"`
	Enabled     bool          `json:"enabled"`
	Hits        ruleHitsJSON  `json:"hits"`
}

// ruleDetailJSON adds what GET /rules/{id} shows.
type ruleDetailJSON struct {
	ruleJSON
	Author         string   `json:"author,omitempty"`
	References     []string `json:"references"`
	FalsePositives []string `json:"falsepositives"`
	Line           int      `json:"line"`
	YAML           string   `json:"yaml"`
	// FileChanged is true when the file changed on disk since the rules
	// were loaded: YAML is the file as it is now, not what runs.
	FileChanged bool `json:"file_changed"`
}

func toRuleJSON(r live.Rule, enabled bool, hits store.RuleHits) ruleJSON {
	out := ruleJSON{ID: r.ID, Title: r.Title, Kind: r.Kind.String(), Level: r.Level, Status: r.Status,
		Description: r.Description, Tags: nonNilStrings(r.Tags), Source: r.Source, Path: r.Path, Enabled: enabled,
		Logsource: logsourceJSON{Product: r.Logsource.Product, Category: r.Logsource.Category, Service: r.Logsource.Service},
		Hits:      ruleHitsJSON{Alerts: hits.Alerts, Matches: hits.Matches}}
	if !hits.Last.IsZero() {
		last := hits.Last
		out.Hits.Last = &last
	}
	return out
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// rules answers 503 when the server runs without a reloadable detector.
func (s *Server) rules(w http.ResponseWriter) (*live.Detector, bool) {
	if s.deps.Rules == nil {
		writeError(w, http.StatusServiceUnavailable, "rule management is not available on this server (no reloadable detector configured)")
		return nil, false
	}
	return s.deps.Rules, true
}

func (s *Server) ruleStoreError(w http.ResponseWriter, err error) {
	s.deps.Log.Error("rules", "err", err)
	writeError(w, http.StatusInternalServerError, "the rule settings store failed")
}

func (s *Server) listRules(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	d, ok := s.rules(w)
	if !ok {
		return
	}
	hits, err := s.deps.State.Scope(p.Tenant).Rules().Hits(r.Context())
	if err != nil {
		s.ruleStoreError(w, err)
		return
	}
	rules := d.Rules()
	out := list[ruleJSON]{Items: make([]ruleJSON, 0, len(rules)), Total: len(rules)}
	for _, rule := range rules {
		out.Items = append(out.Items, toRuleJSON(rule, d.Enabled(p.Tenant, rule.ID), hits[rule.ID]))
	}
	writeJSON(w, http.StatusOK, out)
}

// runningRule finds the rule named in the path, or answers 404.
func (s *Server) runningRule(w http.ResponseWriter, r *http.Request) (*live.Detector, live.Rule, bool) {
	d, ok := s.rules(w)
	if !ok {
		return nil, live.Rule{}, false
	}
	rule, ok := d.Rule(r.PathValue("id"))
	if !ok {
		writeError(w, http.StatusNotFound, "no running rule has id "+r.PathValue("id")+" (GET /api/v1/rules lists them; new files need POST /api/v1/rules/reload)")
		return nil, live.Rule{}, false
	}
	return d, rule, true
}

func (s *Server) getRule(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	d, rule, ok := s.runningRule(w, r)
	if !ok {
		return
	}
	hits, err := s.deps.State.Scope(p.Tenant).Rules().Hits(r.Context())
	if err != nil {
		s.ruleStoreError(w, err)
		return
	}
	text, changed, err := d.Text(rule)
	if err != nil {
		// The rule still runs; its file went away or became unreadable.
		s.deps.Log.Warn("rule text unavailable", "rule", rule.ID, "err", err)
	}
	writeJSON(w, http.StatusOK, ruleDetailJSON{
		ruleJSON: toRuleJSON(rule, d.Enabled(p.Tenant, rule.ID), hits[rule.ID]),
		Author:   rule.Author, References: nonNilStrings(rule.References), FalsePositives: nonNilStrings(rule.FalsePositives),
		Line: rule.Line, YAML: text, FileChanged: changed || err != nil,
	})
}

func (s *Server) setRuleEnabled(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var in struct {
		Enabled *bool `json:"enabled"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil || in.Enabled == nil {
		writeError(w, http.StatusBadRequest, `the body must be {"enabled": true} or {"enabled": false}`)
		return
	}
	d, rule, ok := s.runningRule(w, r)
	if !ok {
		return
	}
	st := store.RuleState{RuleID: rule.ID, Enabled: *in.Enabled, ChangedBy: p.Actor(), ChangedAt: s.deps.Now()}
	if err := d.SetEnabled(r.Context(), p.Tenant, st); err != nil {
		s.ruleStoreError(w, err)
		return
	}
	action := "rule.disable"
	if *in.Enabled {
		action = "rule.enable"
	}
	if !s.audited(w, r, p, action, rule.ID, map[string]any{"title": rule.Title}) {
		return
	}
	hits, err := s.deps.State.Scope(p.Tenant).Rules().Hits(r.Context())
	if err != nil {
		s.ruleStoreError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, toRuleJSON(rule, d.Enabled(p.Tenant, rule.ID), hits[rule.ID]))
}

// reloadRules re-reads the rule files: 200 when the new rules run, 422
// when the running rules stayed (the report says which documents broke).
// The rules and their correlation state serve every tenant, so only the
// provider tenant, which runs the server, may reload them.
func (s *Server) reloadRules(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if p.Tenant != auth.ProviderTenant {
		writeError(w, http.StatusForbidden, "the rule files serve every tenant: only leads and admins of the provider tenant reload them")
		return
	}
	d, ok := s.rules(w)
	if !ok {
		return
	}
	rep := d.Reload(r.Context())
	if !s.audited(w, r, p, "rules.reload", "", map[string]any{"applied": rep.Applied, "rules": rep.Rules,
		"rejected": len(rep.Rejected), "error": rep.Error}) {
		return
	}
	code := http.StatusOK
	if !rep.Applied {
		code = http.StatusUnprocessableEntity
	}
	writeJSON(w, code, rep)
}

// ruleTestInput is the body of POST /rules/test: a rule and either events
// (JSON objects or raw lines), newline-separated lines, or a stored range.
type ruleTestInput struct {
	Rule   string            `json:"rule"`
	Events []json.RawMessage `json:"events"`
	Lines  string            `json:"lines"`
	From   string            `json:"from"`
	To     string            `json:"to"`
	Limit  int               `json:"limit"`
}

type ruleMatchJSON struct {
	RuleID      string            `json:"rule_id"`
	RuleTitle   string            `json:"rule_title"`
	Level       string            `json:"level"`
	Tags        []string          `json:"tags"`
	Time        time.Time         `json:"time"`
	Correlation bool              `json:"correlation"`
	GroupBy     map[string]string `json:"group_by,omitempty"`
	Events      []eventJSON       `json:"events"`
}

type ruleTestResult struct {
	Rules     int             `json:"rules"`  // detection and correlation rules compiled
	Events    int             `json:"events"` // events evaluated
	Total     int             `json:"total"`  // matches found
	Matches   []ruleMatchJSON `json:"matches"`
	Truncated bool            `json:"truncated"` // more events in the range than were read, or more matches than answered
	Warnings  []string        `json:"warnings"`
}

// ruleTestError is a 400 naming what in the rule cannot be used.
type ruleTestError struct {
	Error    string            `json:"error"`
	Rejected []sigma.Rejection `json:"rejected,omitempty"`
}

func (s *Server) testRule(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var in ruleTestInput
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, s.deps.MaxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is over the %d-byte limit: send fewer events or test against a stored range", tooBig.Limit))
			return
		}
		writeError(w, http.StatusBadRequest, `the body must be {"rule": "<Sigma YAML>", "events": [...] | "lines": "..." | "from": ..., "to": ...}: `+err.Error())
		return
	}
	inBody := len(in.Events) > 0 || in.Lines != ""
	inStore := in.From != "" || in.To != ""
	switch {
	case strings.TrimSpace(in.Rule) == "":
		writeError(w, http.StatusBadRequest, "rule: give the Sigma rule as YAML text")
		return
	case len(in.Rule) > ruleTestMaxRuleBytes:
		writeError(w, http.StatusBadRequest, fmt.Sprintf("rule: over %d bytes", ruleTestMaxRuleBytes))
		return
	case inBody == inStore:
		writeError(w, http.StatusBadRequest, "give either events (\"events\" or \"lines\") or a stored time range (\"from\", \"to\"), not both")
		return
	}
	eng, nrules, ok := s.compileTestRule(w, in.Rule)
	if !ok {
		return
	}
	res := ruleTestResult{Rules: nrules, Matches: []ruleMatchJSON{}, Warnings: []string{}}
	var events []*event.Event
	if inBody {
		events = s.bodyEvents(in, p.Tenant)
	} else {
		var total int
		var ok bool
		if events, total, ok = s.storedEvents(w, r, in, p.Tenant); !ok {
			return
		}
		if total > len(events) {
			res.Truncated = true
			res.Warnings = append(res.Warnings, fmt.Sprintf("the range holds %d events; only the newest %d were tested: narrow the range", total, len(events)))
		}
	}
	// Oldest first, as the pipeline sees them, so correlations work.
	sort.SliceStable(events, func(i, j int) bool { return events[i].Timestamp.Before(events[j].Timestamp) })
	var matches []detect.Match
	for _, ev := range events {
		matches = eng.Detect(ev, matches)
	}
	res.Events, res.Total = len(events), len(matches)
	if len(matches) > ruleTestMaxMatches {
		matches, res.Truncated = matches[:ruleTestMaxMatches], true
	}
	for _, m := range matches {
		mj := ruleMatchJSON{RuleID: m.RuleID, RuleTitle: m.RuleTitle, Level: m.Level, Tags: nonNilStrings(m.Tags),
			Time: m.Time, Correlation: m.Correlation, GroupBy: m.GroupBy, Events: make([]eventJSON, 0, len(m.Events))}
		for _, ev := range m.Events {
			mj.Events = append(mj.Events, toEventJSON(ev))
		}
		res.Matches = append(res.Matches, mj)
	}
	for ls, n := range eng.Stats().UnmappedLogsources {
		res.Warnings = append(res.Warnings, fmt.Sprintf("logsource %s of %d rule(s) selects no event: "+
			"it has no mapping (see docs/detection.md, logsource mapping)", ls, n))
	}
	sort.Strings(res.Warnings)
	writeJSON(w, http.StatusOK, res)
}

// compileTestRule compiles the draft with the running engine's options
// (placeholders, logsource mapping); rules that only feed a correlation
// report their own matches too, so each can be checked.
func (s *Server) compileTestRule(w http.ResponseWriter, text string) (*sigma.Engine, int, bool) {
	parsed, rejected := sigma.ParseRules("rule", []byte(text))
	if len(rejected) > 0 {
		writeJSON(w, http.StatusBadRequest, ruleTestError{Error: "rule: " + rejected[0].String(), Rejected: rejected})
		return nil, 0, false
	}
	set := &sigma.RuleSet{}
	set.Add(parsed...)
	if len(set.Rules)+len(set.Correlations) == 0 {
		writeError(w, http.StatusBadRequest, "rule: the YAML holds no detection or correlation rule")
		return nil, 0, false
	}
	opts := sigma.Options{}
	if s.deps.Rules != nil {
		opts = s.deps.Rules.Options()
	}
	opts.GenerateAll = true
	eng, err := sigma.NewEngine(set, opts)
	if err != nil {
		writeError(w, http.StatusBadRequest, "rule: "+strings.TrimPrefix(err.Error(), "sigma: "))
		return nil, 0, false
	}
	return eng, len(set.Rules) + len(set.Correlations), true
}

// bodyEvents normalizes the events of the body as the pipeline would:
// JSON objects as JSON lines, strings and lines as raw records.
func (s *Server) bodyEvents(in ruleTestInput, tenant string) []*event.Event {
	var lines [][]byte
	for _, raw := range in.Events {
		var text string
		if json.Unmarshal(raw, &text) == nil { // a string, or null
			if strings.TrimSpace(text) != "" {
				lines = append(lines, []byte(text))
			}
			continue
		}
		var compact bytes.Buffer
		if json.Compact(&compact, raw) == nil {
			lines = append(lines, compact.Bytes())
		}
	}
	for _, line := range strings.Split(in.Lines, "\n") {
		if line = strings.TrimRight(line, "\r"); strings.TrimSpace(line) != "" {
			lines = append(lines, []byte(line))
		}
	}
	now := s.deps.Now()
	events := make([]*event.Event, 0, len(lines))
	for _, data := range lines {
		ev := &event.Event{Tenant: tenant, ID: ulid.Make().String(), Ingested: now, Source: "rules-test", Raw: string(data)}
		normalize.Event(ev, data, "")
		if ev.Timestamp.IsZero() {
			ev.Timestamp = now
		}
		ev.Timestamp = ev.Timestamp.UTC()
		events = append(events, ev)
	}
	return events
}

// storedEvents reads the tenant's events in [from, to) (the newest, up to
// the limit) and says how many the range holds.
func (s *Server) storedEvents(w http.ResponseWriter, r *http.Request, in ruleTestInput, tenant string) ([]*event.Event, int, bool) {
	now := s.deps.Now()
	from, err := parseTime(in.From, now)
	if err != nil {
		writeError(w, http.StatusBadRequest, "from: "+err.Error())
		return nil, 0, false
	}
	to, err := parseTime(in.To, now)
	if err != nil {
		writeError(w, http.StatusBadRequest, "to: "+err.Error())
		return nil, 0, false
	}
	if !from.IsZero() && !to.IsZero() && !from.Before(to) {
		writeError(w, http.StatusBadRequest, "from must be before to")
		return nil, 0, false
	}
	limit := in.Limit
	if limit == 0 {
		limit = ruleTestMaxEvents
	}
	if limit < 1 || limit > ruleTestMaxEvents {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("limit must be a number from 1 to %d, got %d", ruleTestMaxEvents, limit))
		return nil, 0, false
	}
	page, err := s.deps.Events.Search(r.Context(), store.EventQuery{Tenant: tenant, From: from, To: to, Limit: limit})
	if err != nil {
		s.deps.Log.Error("rule test: event search failed", "err", err)
		writeError(w, http.StatusInternalServerError, "reading the stored events failed")
		return nil, 0, false
	}
	return page.Items, page.Total, true
}
