// Package bulk is Yagura's Elasticsearch-compatible intake: the _bulk API
// (/_bulk and /{index}/_bulk) with per-item results in Elasticsearch's
// format, plus the few endpoints shippers probe at start-up (GET /,
// /_license, /_xpack, /_cluster/health, index template and ILM policy
// look-ups), answered so that Filebeat, Logstash, Fluent Bit and Vector
// proceed unchanged. Credentials are Yagura API tokens (role ingest or
// admin): Basic auth with any user name and the token as password,
// "ApiKey <base64(id:token)>" or "Bearer <token>".
//
// It is an intake, not a search engine: documents become events of the
// token's tenant, update and delete actions are refused per item, and it
// never parses documents (the pipeline does). A response is sent only once
// the documents are durable.
package bulk

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/ingest"
	"github.com/yagura-soc/yagura/internal/pipeline"
)

// sourceName labels events and metrics.
const sourceName = "bulk"

// Source serves the Elasticsearch-compatible endpoints.
type Source struct {
	d       ingest.HTTPDeps
	version string
}

// New builds the endpoints.
func New(cfg Config) *Source {
	if cfg.Version == "" {
		cfg.Version = DefaultVersion
	}
	return &Source{d: cfg.HTTPDeps.WithDefaults(), version: cfg.Version}
}

// Routes are the endpoints to mount.
func (s *Source) Routes() []ingest.Route {
	a := s.authed
	return []ingest.Route{
		{Method: "POST", Path: "/_bulk", Handler: a(s.bulk)},
		{Method: "PUT", Path: "/_bulk", Handler: a(s.bulk)},
		{Method: "POST", Path: "/{index}/_bulk", Handler: a(s.bulk)},
		{Method: "GET", Path: "/", Handler: a(s.info)},
		{Method: "HEAD", Path: "/", Handler: a(s.head)},
		{Method: "GET", Path: "/_license", Handler: a(s.license)},
		{Method: "GET", Path: "/_xpack", Handler: a(s.xpack)},
		{Method: "GET", Path: "/_cluster/health", Handler: a(s.clusterHealth)},
		{Method: "GET", Path: "/_index_template/{name}", Handler: a(s.template)},
		{Method: "HEAD", Path: "/_index_template/{name}", Handler: a(s.head)},
		{Method: "PUT", Path: "/_index_template/{name}", Handler: a(s.acknowledged)},
		{Method: "GET", Path: "/_template/{name}", Handler: a(s.template)},
		{Method: "HEAD", Path: "/_template/{name}", Handler: a(s.head)},
		{Method: "PUT", Path: "/_template/{name}", Handler: a(s.acknowledged)},
		{Method: "GET", Path: "/_ilm/policy/{name}", Handler: a(s.policy)},
		{Method: "PUT", Path: "/_ilm/policy/{name}", Handler: a(s.acknowledged)},
	}
}

type handler func(w http.ResponseWriter, r *http.Request, p auth.Principal)

// authed checks the credential before h runs; every endpoint needs one,
// as on an Elasticsearch cluster with security on.
func (s *Source) authed(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		secret, ok := credential(r.Header.Get("Authorization"))
		if !ok {
			w.Header().Set("WWW-Authenticate", `Basic realm="security", charset="UTF-8"`)
			w.Header().Add("WWW-Authenticate", `ApiKey`)
			writeError(w, http.StatusUnauthorized, "security_exception",
				"missing authentication credentials for REST request ["+r.URL.Path+"]: send a Yagura API token (role ingest) as the Basic auth password")
			return
		}
		p, err := ingest.AuthenticateIngest(r.Context(), s.d.Tokens, secret, s.d.Now())
		switch {
		case err == nil:
			h(w, r, p)
		case errors.Is(err, auth.ErrUnauthenticated):
			w.Header().Set("WWW-Authenticate", `Basic realm="security", charset="UTF-8"`)
			writeError(w, http.StatusUnauthorized, "security_exception", "unable to authenticate with provided credentials")
		case errors.Is(err, ingest.ErrForbidden):
			writeError(w, http.StatusForbidden, "security_exception", err.Error())
		default:
			s.d.Log.Error("bulk: token lookup failed", "err", err)
			writeError(w, http.StatusInternalServerError, "exception", "credential check failed; retry")
		}
	}
}

// credential extracts the token from Basic (password), ApiKey
// (base64 "id:key", the key being the token, or the token itself) or
// Bearer.
func credential(h string) (string, bool) {
	scheme, cred, _ := strings.Cut(strings.TrimSpace(h), " ")
	cred = strings.TrimSpace(cred)
	switch strings.ToLower(scheme) {
	case "basic":
		raw, err := base64.StdEncoding.DecodeString(cred)
		if err != nil {
			return "", false
		}
		_, pw, ok := strings.Cut(string(raw), ":")
		return pw, ok && pw != ""
	case "apikey":
		if raw, err := base64.StdEncoding.DecodeString(cred); err == nil {
			if _, key, ok := strings.Cut(string(raw), ":"); ok && key != "" {
				return key, true
			}
		}
		return cred, cred != ""
	case "bearer":
		return cred, cred != ""
	}
	return "", false
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	ingest.SecurityHeaders(w)
	w.Header().Set("X-Elastic-Product", "Elasticsearch")
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// esError is Elasticsearch's error body.
type esError struct {
	Error struct {
		RootCause []errorCause `json:"root_cause"`
		errorCause
	} `json:"error"`
	Status int `json:"status"`
}

type errorCause struct {
	Type   string `json:"type"`
	Reason string `json:"reason"`
}

func writeError(w http.ResponseWriter, status int, typ, reason string) {
	var e esError
	e.Error.errorCause = errorCause{Type: typ, Reason: reason}
	e.Error.RootCause = []errorCause{e.Error.errorCause}
	e.Status = status
	writeJSON(w, status, e)
}

// action is one bulk action line's verb and metadata.
type action struct {
	verb  string
	index string
	id    string
}

// item is one entry of the response's items.
type item map[string]itemResult

type itemResult struct {
	Index       string      `json:"_index"`
	ID          string      `json:"_id"`
	Version     int         `json:"_version,omitempty"`
	Result      string      `json:"result,omitempty"`
	Shards      *shards     `json:"_shards,omitempty"`
	SeqNo       *int        `json:"_seq_no,omitempty"`
	PrimaryTerm int         `json:"_primary_term,omitempty"`
	Status      int         `json:"status"`
	Error       *errorCause `json:"error,omitempty"`
}

type shards struct {
	Total      int `json:"total"`
	Successful int `json:"successful"`
	Failed     int `json:"failed"`
}

type bulkResponse struct {
	Took   int64  `json:"took"`
	Errors bool   `json:"errors"`
	Items  []item `json:"items"`
}

// bulk stores the documents of index and create actions and answers with
// one result per action, in order.
func (s *Source) bulk(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	start := time.Now()
	body, err := ingest.ReadBody(w, r, s.d.MaxBodyBytes)
	if errors.Is(err, ingest.ErrBodyTooLarge) {
		writeError(w, http.StatusRequestEntityTooLarge, "content_too_long_exception", err.Error())
		return
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "parse_exception", err.Error())
		return
	}
	defIndex := r.PathValue("index")
	var (
		items   []pipeline.Item
		results []item
		slots   []int // results index of each stored item
	)
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 64<<10), len(body)+1)
	line := 0
	next := func() ([]byte, bool) {
		for sc.Scan() {
			line++
			if b := bytes.TrimSpace(sc.Bytes()); len(b) > 0 {
				return b, true
			}
		}
		return nil, false
	}
	for {
		head, ok := next()
		if !ok {
			break
		}
		a, err := parseAction(head, defIndex)
		if err != nil {
			writeError(w, http.StatusBadRequest, "illegal_argument_exception", fmt.Sprintf("Malformed action/metadata line [%d]: %v", line, err))
			return
		}
		if a.verb == "delete" {
			results = append(results, refused(a, "delete"))
			continue
		}
		doc, ok := next()
		if !ok {
			writeError(w, http.StatusBadRequest, "illegal_argument_exception",
				fmt.Sprintf("The bulk request must be terminated by a newline [\\n]; action line [%d] has no document", line))
			return
		}
		if a.verb == "update" {
			results = append(results, refused(a, "update"))
			continue
		}
		if a.id == "" {
			a.id = newID()
		}
		it := ingest.Record(doc, s.d.MaxRecordBytes, false)
		if !json.Valid(doc) {
			it.Invalid = fmt.Sprintf("bulk line %d is not a JSON document; stored as raw text", line)
		}
		it.Meta = event.Fields{"labels.es_index": a.index}
		if a.index == "" {
			it.Meta = nil
		}
		items = append(items, it)
		slots = append(slots, len(results))
		results = append(results, item{a.verb: itemResult{Index: a.index, ID: a.id, Status: http.StatusCreated}})
	}
	if err := sc.Err(); err != nil {
		writeError(w, http.StatusBadRequest, "parse_exception", "reading the bulk body: "+err.Error())
		return
	}
	if len(results) == 0 {
		writeError(w, http.StatusBadRequest, "action_request_validation_exception", "Validation Failed: 1: no requests added;")
		return
	}
	if len(items) > 0 {
		_, err := ingest.Submit(r.Context(), s.d.Sink, pipeline.Batch{Tenant: p.Tenant, Source: sourceName, Received: s.d.Now(), Items: items})
		if err != nil {
			if errors.Is(err, pipeline.ErrClosed) {
				writeError(w, http.StatusServiceUnavailable, "node_closed_exception", "the server is shutting down; retry")
				return
			}
			if r.Context().Err() == nil {
				s.d.Log.Error("bulk: batch not stored; the client should retry", "tenant", p.Tenant, "err", err)
			}
			// 429 makes every shipper back off and retry the whole request.
			writeError(w, http.StatusTooManyRequests, "es_rejected_execution_exception", "documents were not stored, retry: "+err.Error())
			return
		}
		for n, slot := range slots {
			for verb, res := range results[slot] {
				seq := n
				res.Version, res.Result, res.PrimaryTerm = 1, "created", 1
				res.Shards, res.SeqNo = &shards{Total: 1, Successful: 1}, &seq
				results[slot][verb] = res
			}
		}
	}
	resp := bulkResponse{Took: time.Since(start).Milliseconds(), Items: results}
	for _, it := range results {
		for _, res := range it {
			resp.Errors = resp.Errors || res.Status >= 300
		}
	}
	writeJSON(w, http.StatusOK, resp)
}

func refused(a action, verb string) item {
	return item{a.verb: itemResult{Index: a.index, ID: a.id, Status: http.StatusBadRequest,
		Error: &errorCause{Type: "action_request_validation_exception",
			Reason: "Yagura stores events append-only: " + verb + " is not supported; send index or create"}}}
}

// parseAction reads {"index":{"_index":"x","_id":"y"}} and its siblings.
func parseAction(b []byte, defIndex string) (action, error) {
	var m map[string]struct {
		Index string `json:"_index"`
		ID    string `json:"_id"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return action{}, fmt.Errorf("expected an action object like {\"create\":{}}: %v", err)
	}
	if len(m) != 1 {
		return action{}, fmt.Errorf("expected exactly one action, found %d", len(m))
	}
	for verb, meta := range m {
		switch verb {
		case "index", "create", "update", "delete":
		default:
			return action{}, fmt.Errorf("unknown action [%s] (expected index, create, update or delete)", verb)
		}
		a := action{verb: verb, index: meta.Index, id: meta.ID}
		if a.index == "" {
			a.index = defIndex
		}
		return a, nil
	}
	return action{}, nil
}

func newID() string {
	var b [15]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// info is GET /: shippers read version.number and the product header.
func (s *Source) info(w http.ResponseWriter, _ *http.Request, _ auth.Principal) {
	writeJSON(w, http.StatusOK, map[string]any{
		"name": "yagura", "cluster_name": "yagura", "cluster_uuid": "yagura-intake-0000000000",
		"version": map[string]any{
			"number": s.version, "build_flavor": "default", "build_type": "tar",
			"build_hash": "yagura", "build_date": "2024-12-11T12:08:05.663969764Z", "build_snapshot": false,
			"lucene_version": "9.12.0", "minimum_wire_compatibility_version": "7.17.0",
			"minimum_index_compatibility_version": "7.0.0",
		},
		"tagline": "You Know, for Search",
	})
}

func (s *Source) head(w http.ResponseWriter, _ *http.Request, _ auth.Principal) {
	w.Header().Set("X-Elastic-Product", "Elasticsearch")
	w.WriteHeader(http.StatusOK)
}

func (s *Source) license(w http.ResponseWriter, _ *http.Request, _ auth.Principal) {
	writeJSON(w, http.StatusOK, map[string]any{"license": map[string]any{
		"status": "active", "uid": "yagura", "type": "basic", "issue_date": "2024-01-01T00:00:00.000Z",
		"issue_date_in_millis": 1704067200000, "max_nodes": 1000, "issued_to": "yagura", "issuer": "yagura",
		"start_date_in_millis": -1,
	}})
}

func (s *Source) xpack(w http.ResponseWriter, _ *http.Request, _ auth.Principal) {
	writeJSON(w, http.StatusOK, map[string]any{
		"build":    map[string]any{"hash": "yagura", "date": "2024-12-11T12:08:05.663969764Z"},
		"license":  map[string]any{"uid": "yagura", "type": "basic", "mode": "basic", "status": "active"},
		"features": map[string]any{},
		"tagline":  "You know, for X",
	})
}

func (s *Source) clusterHealth(w http.ResponseWriter, _ *http.Request, _ auth.Principal) {
	status := "green"
	if s.d.Ready != nil && s.d.Ready() != nil {
		status = "red"
	}
	writeJSON(w, http.StatusOK, map[string]any{"cluster_name": "yagura", "status": status, "timed_out": false,
		"number_of_nodes": 1, "number_of_data_nodes": 1, "active_primary_shards": 1, "active_shards": 1,
		"relocating_shards": 0, "initializing_shards": 0, "unassigned_shards": 0})
}

// template answers that the template exists, so shippers do not try to
// install theirs (Yagura has no mappings to install).
func (s *Source) template(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	name := r.PathValue("name")
	if strings.HasPrefix(r.URL.Path, "/_index_template/") {
		writeJSON(w, http.StatusOK, map[string]any{"index_templates": []any{map[string]any{
			"name": name, "index_template": map[string]any{"index_patterns": []string{name + "*"}, "composed_of": []string{}},
		}}})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{name: map[string]any{"order": 0, "index_patterns": []string{name + "*"},
		"settings": map[string]any{}, "mappings": map[string]any{}, "aliases": map[string]any{}}})
}

func (s *Source) policy(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	name := r.PathValue("name")
	writeJSON(w, http.StatusOK, map[string]any{name: map[string]any{"version": 1,
		"modified_date": "2024-01-01T00:00:00.000Z", "policy": map[string]any{"phases": map[string]any{}}}})
}

func (s *Source) acknowledged(w http.ResponseWriter, _ *http.Request, _ auth.Principal) {
	writeJSON(w, http.StatusOK, map[string]bool{"acknowledged": true})
}
