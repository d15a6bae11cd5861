package httpapi

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/parse/jsonlog"
	"github.com/yagura-soc/yagura/internal/pipeline"
	"github.com/yagura-soc/yagura/internal/store"
)

func eventRoutes() []route {
	return []route{
		{"POST", "/api/v1/events", auth.PermEventsWrite, (*Server).postEvents},
		{"GET", "/api/v1/events", auth.PermEventsRead, (*Server).getEvents},
	}
}

// maxItemsPerRequest keeps one request from monopolising the pipeline;
// shippers batch far below it.
const maxItemsPerRequest = 100000

type ingestResponse struct {
	Accepted int                  `json:"accepted"`
	Errors   []pipeline.ItemError `json:"errors"`
}

// postEvents accepts NDJSON or a JSON array. Each item is a raw log line
// (a JSON string) or an object; objects are kept as their JSON text and
// parsed like any other record. It answers 202 only once the batch is
// durable.
func (s *Server) postEvents(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.deps.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf(
				"request body is over the %d-byte limit: split it into smaller batches (or raise http.max_body_bytes)", tooBig.Limit))
			return
		}
		writeError(w, http.StatusBadRequest, "reading the request body failed: "+err.Error())
		return
	}
	items, err := decodeItems(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if len(items) == 0 {
		writeError(w, http.StatusBadRequest, "no events in the body: send NDJSON (one JSON value per line) or a JSON array")
		return
	}
	if len(items) > maxItemsPerRequest {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("%d items in one request; send at most %d", len(items), maxItemsPerRequest))
		return
	}
	res, err := s.deps.Pipeline.Submit(r.Context(), pipeline.Batch{
		Tenant: p.Tenant, Source: "http", Received: s.deps.Now(), Items: items,
	})
	if err != nil {
		if errors.Is(err, pipeline.ErrClosed) {
			writeError(w, http.StatusServiceUnavailable, "the server is shutting down; retry against another instance or later")
			return
		}
		writeError(w, http.StatusServiceUnavailable, "events were not stored, retry: "+err.Error())
		return
	}
	if res.Errors == nil {
		res.Errors = []pipeline.ItemError{}
	}
	writeJSON(w, http.StatusAccepted, ingestResponse{Accepted: res.Accepted, Errors: res.Errors})
}

// decodeItems splits a body into items. A JSON array must be valid as a
// whole (else nothing was accepted and the error says where it broke); in
// NDJSON each line stands alone, and a line that is not JSON is kept as a
// raw record and reported, never dropped.
func decodeItems(body []byte) ([]pipeline.Item, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var raw []json.RawMessage
		if err := json.Unmarshal(trimmed, &raw); err != nil {
			return nil, fmt.Errorf("the body starts like a JSON array but is not valid JSON: %s", describeJSONError(trimmed, err))
		}
		items := make([]pipeline.Item, 0, len(raw))
		for i, v := range raw {
			items = append(items, itemFrom(v, place{"item", i}))
		}
		return items, nil
	}
	var items []pipeline.Item
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 64<<10), len(body)+1)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		if b[0] == '"' {
			// A log line: one pass decodes and checks it.
			items = append(items, lineItem(b, place{"line", line}))
			continue
		}
		if !json.Valid(b) {
			items = append(items, pipeline.Item{Data: bytes.Clone(b),
				Invalid: fmt.Sprintf("line %d is not valid JSON; stored as raw text", line)})
			continue
		}
		items = append(items, itemFrom(bytes.Clone(b), place{"line", line}))
	}
	return items, sc.Err()
}

// place says where in a body an item was ("line 3", "item 0"); it is
// formatted only for an item that is reported, not for every item.
type place struct {
	kind string
	n    int
}

func (p place) String() string { return p.kind + " " + strconv.Itoa(p.n) }

// itemFrom turns one JSON value into an item: strings are raw log lines,
// objects are records; other values are kept raw and reported.
func itemFrom(v json.RawMessage, where place) pipeline.Item {
	switch v[0] {
	case '"':
		return lineItem(v, where)
	case '{':
		return pipeline.Item{Data: v}
	}
	return pipeline.Item{Data: v, Invalid: where.String() + " is neither a string nor an object; stored as raw text"}
}

// lineItem decodes a JSON string holding a raw log line; one that does not
// decode is kept raw and reported.
func lineItem(v []byte, where place) pipeline.Item {
	line, err := jsonlog.Unquote(v)
	if err != nil {
		return pipeline.Item{Data: bytes.Clone(v), Invalid: where.String() + " is not a valid JSON string (" + err.Error() + "); stored as raw text"}
	}
	return pipeline.Item{Data: []byte(line)}
}

func describeJSONError(body []byte, err error) string {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		line := 1 + bytes.Count(body[:min(int(syn.Offset), len(body))], []byte("\n"))
		return fmt.Sprintf("%v at byte %d (line %d)", syn, syn.Offset, line)
	}
	return err.Error()
}

// eventJSON is how an event looks in the API.
type eventJSON struct {
	ID         string       `json:"id"`
	Tenant     string       `json:"tenant"`
	Timestamp  time.Time    `json:"@timestamp"`
	Ingested   time.Time    `json:"event.ingested"`
	Source     string       `json:"source"`
	ECS        event.Fields `json:"ecs"`
	Fields     event.Fields `json:"fields"`
	Raw        string       `json:"event.original"`
	ParseError string       `json:"event.parse_error,omitempty"`
}

func toEventJSON(ev *event.Event) eventJSON {
	return eventJSON{ID: ev.ID, Tenant: ev.Tenant, Timestamp: ev.Timestamp, Ingested: ev.Ingested,
		Source: ev.Source, ECS: nonNil(ev.ECS), Fields: nonNil(ev.Fields), Raw: ev.Raw, ParseError: ev.ParseError}
}

func nonNil(f event.Fields) event.Fields {
	if f == nil {
		return event.Fields{}
	}
	return f
}

// getEvents searches the caller's tenant, newest first.
func (s *Server) getEvents(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	q := r.URL.Query()
	terms, err := parseTerms(q.Get("q"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	now := s.deps.Now()
	from, err := parseTime(q.Get("from"), now)
	if err != nil {
		writeError(w, http.StatusBadRequest, "from: "+err.Error())
		return
	}
	to, err := parseTime(q.Get("to"), now)
	if err != nil {
		writeError(w, http.StatusBadRequest, "to: "+err.Error())
		return
	}
	limit, err := parseLimit(q.Get("limit"), 100, 10000)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	page, err := s.deps.Events.Search(r.Context(), store.EventQuery{Tenant: p.Tenant, From: from, To: to, Terms: terms, Limit: limit})
	if err != nil {
		s.deps.Log.Error("event search failed", "err", err)
		writeError(w, http.StatusInternalServerError, "search failed")
		return
	}
	out := list[eventJSON]{Items: make([]eventJSON, 0, len(page.Items)), Total: page.Total}
	for _, ev := range page.Items {
		out.Items = append(out.Items, toEventJSON(ev))
	}
	writeJSON(w, http.StatusOK, out)
}

// parseTerms reads `field:value` terms and bare words, ANDed; values may be
// double-quoted to hold spaces.
func parseTerms(q string) ([]store.Term, error) {
	var terms []store.Term
	i := 0
	for i < len(q) {
		for i < len(q) && q[i] == ' ' {
			i++
		}
		if i >= len(q) {
			break
		}
		start := i
		field := ""
		for i < len(q) && q[i] != ' ' && q[i] != ':' && q[i] != '"' {
			i++
		}
		if i < len(q) && q[i] == ':' {
			field = q[start:i]
			i++
			if field == "" {
				return nil, fmt.Errorf("q: empty field name at column %d", start+1)
			}
		} else {
			i = start
		}
		var value string
		if i < len(q) && q[i] == '"' {
			end := strings.IndexByte(q[i+1:], '"')
			if end < 0 {
				return nil, fmt.Errorf("q: unterminated quote at column %d", i+1)
			}
			value = q[i+1 : i+1+end]
			i += end + 2
		} else {
			vs := i
			for i < len(q) && q[i] != ' ' {
				i++
			}
			value = q[vs:i]
		}
		if value == "" {
			return nil, fmt.Errorf("q: %q has no value at column %d", field, start+1)
		}
		terms = append(terms, store.Term{Field: field, Value: value})
	}
	return terms, nil
}

// parseTime reads RFC 3339 or a relative time like -24h, -15m, -7d.
func parseTime(v string, now time.Time) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC(), nil
	}
	if strings.HasPrefix(v, "-") || strings.HasPrefix(v, "now-") {
		rel := strings.TrimPrefix(strings.TrimPrefix(v, "now"), "-")
		mult := time.Duration(1)
		if strings.HasSuffix(rel, "d") {
			rel, mult = strings.TrimSuffix(rel, "d")+"h", 24
		}
		if d, err := time.ParseDuration(rel); err == nil && d >= 0 {
			return now.Add(-d * mult), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time: use RFC 3339 (2026-01-02T15:04:05Z) or a relative time (-24h, -7d)", v)
}

// parsePage reads the limit and offset of a list request.
func parsePage(q url.Values, def, max int) (limit, offset int, err error) {
	if limit, err = parseLimit(q.Get("limit"), def, max); err != nil {
		return 0, 0, err
	}
	if v := q.Get("offset"); v != "" {
		if offset, err = strconv.Atoi(v); err != nil || offset < 0 {
			return 0, 0, fmt.Errorf("offset must be a non-negative number, got %q", v)
		}
	}
	return limit, offset, nil
}

func parseLimit(v string, def, max int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		return 0, fmt.Errorf("limit must be a number from 1 to %d, got %q", max, v)
	}
	return n, nil
}
