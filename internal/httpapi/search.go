package httpapi

import (
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/hunt"
	"github.com/yagura-soc/yagura/internal/store"
)

// searchRoutes are the hunting endpoints: search, export, saved and
// scheduled hunts, retro-hunts.
func searchRoutes() []route {
	routes := []route{
		{"GET", "/api/v1/search", auth.PermEventsRead, (*Server).search},
		{"POST", "/api/v1/search", auth.PermEventsRead, (*Server).search},
		{"GET", "/api/v1/search/export", auth.PermEventsRead, (*Server).searchExport},
		{"POST", "/api/v1/search/export", auth.PermEventsRead, (*Server).searchExport},
		{"GET", "/api/v1/search/pivot", auth.PermEventsRead, (*Server).searchPivot},
	}
	return append(routes, huntRoutes()...)
}

// searchRequest is the body of POST /search (and the query string of GET).
type searchRequest struct {
	Query  string `json:"query"`
	From   string `json:"from"`
	To     string `json:"to"`
	Limit  int    `json:"limit"`
	Format string `json:"format"` // export only: csv or json
}

// Search limits: a page for people, an export for files.
const (
	searchDefaultLimit = 100
	searchMaxLimit     = 10_000
	exportMaxLimit     = hunt.MaxLimit
	defaultSearchRange = 24 * time.Hour
)

type searchResponse struct {
	Query     string              `json:"query"`
	From      time.Time           `json:"from"`
	To        time.Time           `json:"to"`
	Items     []any               `json:"items"`
	Total     int64               `json:"total"`
	Columns   []string            `json:"columns,omitempty"`
	Histogram []hunt.Bucket       `json:"histogram,omitempty"`
	Span      string              `json:"span,omitempty"`
	Fields    []hunt.FieldSummary `json:"fields,omitempty"`
	Sampled   bool                `json:"fields_sampled,omitempty"`
	TookMS    int64               `json:"took_ms"`
}

// queryError is a 400 for a query that does not parse or compile: the
// column lets a search bar put the cursor on the problem.
type queryError struct {
	Error  string `json:"error"`
	Column int    `json:"column"`
}

// readSearch reads the request from the JSON body (POST) or the query
// string (GET) and resolves the time range: from defaults to 24 hours
// before to, to defaults to now.
func (s *Server) readSearch(w http.ResponseWriter, r *http.Request, maxLimit int) (hunt.Request, searchRequest, bool) {
	var in searchRequest
	if r.Method == http.MethodPost {
		if !decodeJSON(w, r, &in, 1<<20, `the body must be a JSON object {"query": "...", "from": "...", "to": "...", "limit": N}`) {
			return hunt.Request{}, in, false
		}
	} else {
		q := r.URL.Query()
		in = searchRequest{Query: q.Get("query"), From: q.Get("from"), To: q.Get("to"), Format: q.Get("format")}
		if in.Query == "" {
			in.Query = q.Get("q")
		}
		if v := q.Get("limit"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				writeError(w, http.StatusBadRequest, fmt.Sprintf("limit must be a number from 1 to %d, got %q", maxLimit, v))
				return hunt.Request{}, in, false
			}
			in.Limit = n
		}
	}
	if in.Limit == 0 {
		in.Limit = searchDefaultLimit
	}
	if in.Limit < 1 || in.Limit > maxLimit {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("limit must be a number from 1 to %d, got %d", maxLimit, in.Limit))
		return hunt.Request{}, in, false
	}
	now := s.deps.Now()
	to, err := hunt.ParseTime(in.To, now)
	if err != nil {
		writeError(w, http.StatusBadRequest, "to: "+err.Error())
		return hunt.Request{}, in, false
	}
	if to.IsZero() {
		to = now
	}
	from, err := hunt.ParseTime(in.From, now)
	if err != nil {
		writeError(w, http.StatusBadRequest, "from: "+err.Error())
		return hunt.Request{}, in, false
	}
	if from.IsZero() {
		from = to.Add(-defaultSearchRange)
	}
	if !from.Before(to) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("from (%s) must be before to (%s)", from.Format(time.RFC3339), to.Format(time.RFC3339)))
		return hunt.Request{}, in, false
	}
	return hunt.Request{Query: in.Query, From: from, To: to, Limit: in.Limit}, in, true
}

// runSearch runs the request for the principal's tenant; false means an
// error answer was written.
func (s *Server) runSearch(w http.ResponseWriter, r *http.Request, p auth.Principal, req hunt.Request) (hunt.Result, bool) {
	req.Tenant = p.Tenant
	res, err := hunt.Run(r.Context(), s.deps.Events, req)
	if err != nil {
		var qe *hunt.Error
		if errors.As(err, &qe) {
			writeJSON(w, http.StatusBadRequest, queryError{Error: "query: " + qe.Error(), Column: qe.Column()})
			return res, false
		}
		if r.Context().Err() != nil {
			writeError(w, http.StatusServiceUnavailable, "the search was cancelled")
			return res, false
		}
		s.deps.Log.Error("search failed", "tenant", p.Tenant, "err", err)
		writeError(w, http.StatusInternalServerError, "search failed")
		return res, false
	}
	return res, true
}

// search runs a hunt query: events (with a histogram and field summaries)
// or, for stats/top/rare/timechart/fields, the rows as objects.
func (s *Server) search(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	req, _, ok := s.readSearch(w, r, searchMaxLimit)
	if !ok {
		return
	}
	req.Extras = true
	start := time.Now()
	res, ok := s.runSearch(w, r, p, req)
	if !ok {
		return
	}
	out := searchResponse{Query: req.Query, From: req.From, To: req.To, Total: res.Total, Columns: res.Columns,
		Histogram: res.Histogram, Fields: res.Fields, Sampled: res.Sampled, TookMS: time.Since(start).Milliseconds()}
	if res.Span > 0 {
		out.Span = res.Span.String()
	}
	out.Items = resultItems(res)
	writeJSON(w, http.StatusOK, out)
}

// resultItems renders events as in /events and rows as objects keyed by
// column name.
func resultItems(res hunt.Result) []any {
	items := make([]any, 0, len(res.Events)+len(res.Rows))
	for _, ev := range res.Events {
		items = append(items, toEventJSON(ev))
	}
	for _, row := range res.Rows {
		obj := make(map[string]any, len(row))
		for i, v := range row {
			obj[res.Columns[i]] = v
		}
		items = append(items, obj)
	}
	return items
}

// searchExport writes the results as CSV or JSON for download, and
// records the export in the audit trail: exported data leaves the system.
func (s *Server) searchExport(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	req, in, ok := s.readSearch(w, r, exportMaxLimit)
	if !ok {
		return
	}
	format := strings.ToLower(in.Format)
	if format == "" {
		format = "csv"
	}
	if format != "csv" && format != "json" {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("format must be csv or json, got %q", in.Format))
		return
	}
	res, ok := s.runSearch(w, r, p, req)
	if !ok {
		return
	}
	rows := len(res.Events) + len(res.Rows)
	if !s.audited(w, r, p, "search.export", "search", map[string]any{
		"query": req.Query, "from": req.From, "to": req.To, "format": format, "rows": rows, "total": res.Total,
	}) {
		return
	}
	name := "yagura-search-" + s.deps.Now().Format("20060102T150405Z") + "." + format
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("X-Total-Count", strconv.FormatInt(res.Total, 10))
	if format == "json" {
		writeJSON(w, http.StatusOK, resultItems(res))
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	writeCSV(w, res)
}

// writeCSV writes rows under their columns, or events as @timestamp, id,
// source, every field that occurs (ECS and native names), and the
// original text.
func writeCSV(w http.ResponseWriter, res hunt.Result) {
	cw := csv.NewWriter(w)
	defer cw.Flush()
	if len(res.Events) == 0 && res.Columns != nil {
		cw.Write(res.Columns)
		rec := make([]string, len(res.Columns))
		for _, row := range res.Rows {
			for i, v := range row {
				rec[i] = csvCell(v)
			}
			cw.Write(rec)
		}
		return
	}
	seen := map[string]bool{}
	var fields []string
	for _, ev := range res.Events {
		for _, m := range []event.Fields{ev.ECS, ev.Fields} {
			for k := range m {
				if !seen[k] {
					seen[k] = true
					fields = append(fields, k)
				}
			}
		}
	}
	slices.Sort(fields)
	cw.Write(append(append([]string{"@timestamp", "event.id", "yagura.source"}, fields...), "event.original"))
	for _, ev := range res.Events {
		rec := []string{ev.Timestamp.Format(time.RFC3339Nano), ev.ID, ev.Source}
		for _, f := range fields {
			v, _ := ev.Get(f)
			rec = append(rec, csvCell(v))
		}
		cw.Write(append(rec, csvSafe(ev.Raw)))
	}
}

func csvCell(v any) string {
	switch x := v.(type) {
	case time.Time:
		return x.Format(time.RFC3339Nano)
	case []any:
		parts := make([]string, len(x))
		for i := range x {
			parts[i] = event.String(x[i])
		}
		return csvSafe(strings.Join(parts, "; "))
	}
	return csvSafe(event.String(v))
}

// csvSafe defuses spreadsheet formulas: log text is attacker-controlled,
// and a cell starting with = + - @ runs as a formula when opened.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		if _, err := strconv.ParseFloat(s, 64); err != nil {
			return "'" + s
		}
	}
	return s
}

// pivotResponse is the hunt that a pivot opens.
type pivotResponse struct {
	Query string    `json:"query"`
	From  time.Time `json:"from"`
	To    time.Time `json:"to"`
}

// pivotMargin is how far around an alert's activity a pivot looks.
const pivotMargin = time.Hour

// searchPivot builds the hunt for an alert (?alert=ID: its entities, from
// an hour before its first event to an hour after its last) or for
// entities (?entity=host.name=ws-01, repeatable; the last 24 hours).
func (s *Server) searchPivot(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	q := r.URL.Query()
	now := s.deps.Now()
	entities := map[string]string{}
	out := pivotResponse{From: now.Add(-defaultSearchRange), To: now}
	if id := q.Get("alert"); id != "" {
		a, err := s.deps.State.Scope(p.Tenant).Alerts().Get(r.Context(), id)
		if errors.Is(err, store.ErrNotFound) {
			writeError(w, http.StatusNotFound, "no such alert")
			return
		}
		if err != nil {
			s.deps.Log.Error("pivot", "err", err)
			writeError(w, http.StatusInternalServerError, "reading the alert failed")
			return
		}
		for k, v := range a.Entities {
			entities[k] = v
		}
		out.From, out.To = hunt.PivotRange(a.FirstSeen, a.LastSeen, pivotMargin)
	}
	for _, e := range q["entity"] {
		f, v, ok := strings.Cut(e, "=")
		if !ok || f == "" || v == "" {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("entity %q: write field=value, e.g. entity=host.name=ws-01", e))
			return
		}
		entities[f] = v
	}
	if out.Query = hunt.PivotQuery(entities); out.Query == "" {
		writeError(w, http.StatusBadRequest, "nothing to pivot on: give alert=ID or entity=field=value")
		return
	}
	writeJSON(w, http.StatusOK, out)
}
