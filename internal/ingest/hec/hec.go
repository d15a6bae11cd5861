// Package hec is Yagura's Splunk HTTP Event Collector-compatible intake:
// /services/collector/event (JSON envelopes), /services/collector/raw
// (lines) and /services/collector/health, authenticated with
// "Authorization: Splunk <token>" where the token is a Yagura API token
// with role ingest or admin. Responses use HEC's bodies and codes so that
// shippers written for Splunk (syslog-ng's http(), Fluent Bit's splunk
// output, Vector's splunk_hec sink, OTel's splunkhec exporter) understand
// them.
//
// A request is answered 200 only once its events are durable; there is
// no separate indexer acknowledgement to poll. Like every source it never
// parses records and never trusts a tenant named by the client: the
// token's tenant is the tenant.
package hec

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/ingest"
	"github.com/yagura-soc/yagura/internal/pipeline"
)

// sourceName labels events and metrics.
const sourceName = "hec"

// Source serves the HEC endpoints.
type Source struct {
	d ingest.HTTPDeps
	// acks numbers the acknowledgements of requests sent on a channel.
	// Ids need only be unique, so one counter serves every channel and
	// nothing per channel is kept.
	acks atomic.Uint64
}

// New builds the endpoints.
func New(cfg Config) *Source { return &Source{d: cfg.HTTPDeps.WithDefaults()} }

// Routes are the endpoints to mount, with Splunk's versioned aliases.
func (s *Source) Routes() []ingest.Route {
	return []ingest.Route{
		{Method: "POST", Path: "/services/collector", Handler: s.event},
		{Method: "POST", Path: "/services/collector/event", Handler: s.event},
		{Method: "POST", Path: "/services/collector/event/1.0", Handler: s.event},
		{Method: "POST", Path: "/services/collector/raw", Handler: s.raw},
		{Method: "POST", Path: "/services/collector/raw/1.0", Handler: s.raw},
		{Method: "POST", Path: "/services/collector/ack", Handler: s.ack},
		{Method: "GET", Path: "/services/collector/health", Handler: s.health},
		{Method: "GET", Path: "/services/collector/health/1.0", Handler: s.health},
	}
}

// reply is HEC's response body.
type reply struct {
	Text         string  `json:"text"`
	Code         int     `json:"code"`
	InvalidEvent *int    `json:"invalid-event-number,omitempty"`
	AckID        *uint64 `json:"ackId,omitempty"`
}

// HEC's status codes and texts, as Splunk documents them.
var (
	replySuccess      = reply{Text: "Success", Code: 0}
	replyNoToken      = reply{Text: "Token is required", Code: 2}
	replyBadAuth      = reply{Text: "Invalid authorization", Code: 3}
	replyBadToken     = reply{Text: "Invalid token", Code: 4}
	replyNoData       = reply{Text: "No data", Code: 5}
	replyBadFormat    = reply{Text: "Invalid data format", Code: 6}
	replyInternal     = reply{Text: "Internal server error", Code: 8}
	replyBusy         = reply{Text: "Server is busy", Code: 9}
	replyNoChannel    = reply{Text: "Data channel is missing", Code: 10}
	replyNoEvent      = reply{Text: "Event field is required", Code: 12}
	replyBlankEvent   = reply{Text: "Event field cannot be blank", Code: 13}
	replyQueryToken   = reply{Text: "Query string authorization is not enabled", Code: 16}
	replyHealthy      = reply{Text: "HEC is healthy", Code: 17}
	replyUnhealthy    = reply{Text: "HEC is unhealthy, queues are full", Code: 18}
	replyBodyTooLarge = reply{Text: "Content length is too large", Code: 27}
)

func write(w http.ResponseWriter, status int, r reply) {
	ingest.SecurityHeaders(w)
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(r)
}

func invalidAt(r reply, i int) reply {
	r.InvalidEvent = &i
	return r
}

// authenticate reads the HEC credential: "Splunk <token>" (also accepted:
// "Bearer <token>" and Basic with the token as password, which Splunk
// allows too). It writes the error response itself.
func (s *Source) authenticate(w http.ResponseWriter, r *http.Request) (auth.Principal, bool) {
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	if h == "" {
		if r.URL.Query().Has("token") {
			write(w, http.StatusBadRequest, replyQueryToken)
			return auth.Principal{}, false
		}
		write(w, http.StatusUnauthorized, replyNoToken)
		return auth.Principal{}, false
	}
	scheme, cred, _ := strings.Cut(h, " ")
	cred = strings.TrimSpace(cred)
	switch strings.ToLower(scheme) {
	case "splunk", "bearer":
	case "basic":
		raw, err := base64.StdEncoding.DecodeString(cred)
		if err != nil {
			write(w, http.StatusUnauthorized, replyBadAuth)
			return auth.Principal{}, false
		}
		_, cred, _ = strings.Cut(string(raw), ":")
	default:
		write(w, http.StatusUnauthorized, replyBadAuth)
		return auth.Principal{}, false
	}
	if cred == "" {
		write(w, http.StatusUnauthorized, replyBadAuth)
		return auth.Principal{}, false
	}
	p, err := ingest.AuthenticateIngest(r.Context(), s.d.Tokens, cred, s.d.Now())
	switch {
	case err == nil:
		return p, true
	case errors.Is(err, auth.ErrUnauthenticated), errors.Is(err, ingest.ErrForbidden):
		write(w, http.StatusForbidden, replyBadToken)
	default:
		s.d.Log.Error("hec: token lookup failed", "err", err)
		write(w, http.StatusInternalServerError, replyInternal)
	}
	return auth.Principal{}, false
}

func (s *Source) body(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	b, err := ingest.ReadBody(w, r, s.d.MaxBodyBytes)
	if errors.Is(err, ingest.ErrBodyTooLarge) {
		write(w, http.StatusRequestEntityTooLarge, replyBodyTooLarge)
		return nil, false
	}
	if err != nil {
		write(w, http.StatusBadRequest, replyBadFormat)
		return nil, false
	}
	return b, true
}

// envelope is one HEC event.
type envelope struct {
	Time       json.RawMessage `json:"time"`
	Host       any             `json:"host"`
	Source     any             `json:"source"`
	Sourcetype any             `json:"sourcetype"`
	Index      any             `json:"index"`
	Event      json.RawMessage `json:"event"`
	Fields     map[string]any  `json:"fields"`
}

// event accepts one or more JSON envelopes, concatenated or one per line.
// Any bad envelope rejects the request (HEC's all-or-nothing rule) and the
// reply names its 0-based number.
func (s *Source) event(w http.ResponseWriter, r *http.Request) {
	p, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	body, ok := s.body(w, r)
	if !ok {
		return
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var items []pipeline.Item
	for i := 0; ; i++ {
		var env envelope
		err := dec.Decode(&env)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			write(w, http.StatusBadRequest, invalidAt(replyBadFormat, i))
			return
		}
		data, ok := eventData(env.Event)
		switch {
		case env.Event == nil:
			write(w, http.StatusBadRequest, invalidAt(replyNoEvent, i))
			return
		case !ok:
			write(w, http.StatusBadRequest, invalidAt(replyBlankEvent, i))
			return
		}
		it := ingest.Record(data, s.d.MaxRecordBytes, false)
		it.Meta = meta(env.Host, env.Source, env.Sourcetype, env.Index, env.Fields)
		it.Time = epoch(env.Time)
		items = append(items, it)
	}
	if len(items) == 0 {
		write(w, http.StatusBadRequest, replyNoData)
		return
	}
	s.submit(w, r, p, items)
}

// eventData is the record an envelope's event carries: a string is a log
// line, anything else is kept as its JSON text. ok is false for blanks.
func eventData(raw json.RawMessage) ([]byte, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, false
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil || strings.TrimSpace(s) == "" {
			return nil, false
		}
		return []byte(s), true
	}
	if string(raw) == "{}" || string(raw) == "[]" {
		return nil, false
	}
	return raw, true
}

// meta maps the envelope's metadata to ECS: host to host.name, the rest to
// labels so nothing the shipper said is lost.
func meta(host, source, sourcetype, index any, fields map[string]any) event.Fields {
	m := event.Fields{}
	set := func(k string, v any) {
		if s := scalar(v); s != "" {
			m[k] = s
		}
	}
	set("host.name", host)
	set("labels.hec_source", source)
	set("labels.hec_sourcetype", sourcetype)
	set("labels.hec_index", index)
	for k, v := range fields {
		set("labels."+k, v)
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

// epoch reads HEC's time: seconds since 1970 as a number or a string,
// with an optional fraction. Anything else means "unknown" (zero).
func epoch(raw json.RawMessage) time.Time {
	v := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	if v == "" || v == "null" {
		return time.Time{}
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f <= 0 || f > 1e11 {
		return time.Time{}
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(math.Round(frac*1e6))*1e3).UTC()
}

// raw accepts newline-separated log lines; metadata comes from the query
// string (host, source, sourcetype, index), as in Splunk.
func (s *Source) raw(w http.ResponseWriter, r *http.Request) {
	p, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	body, ok := s.body(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	m := meta(q.Get("host"), q.Get("source"), q.Get("sourcetype"), q.Get("index"), nil)
	var items []pipeline.Item
	for line := range bytes.SplitSeq(body, []byte("\n")) {
		line = bytes.TrimRight(line, "\r")
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		it := ingest.Record(line, s.d.MaxRecordBytes, false)
		it.Meta = m
		items = append(items, it)
	}
	if len(items) == 0 {
		write(w, http.StatusBadRequest, replyNoData)
		return
	}
	s.submit(w, r, p, items)
}

func (s *Source) submit(w http.ResponseWriter, r *http.Request, p auth.Principal, items []pipeline.Item) {
	_, err := ingest.Submit(r.Context(), s.d.Sink, pipeline.Batch{
		Tenant: p.Tenant, Source: sourceName, Received: s.d.Now(), Items: items,
	})
	switch {
	case err == nil:
		ok := replySuccess
		if channel(r) != "" {
			// Shippers with indexer acknowledgement on (Vector's default,
			// the Splunk forwarders) poll this id; it is durable already.
			id := s.acks.Add(1)
			ok.AckID = &id
		}
		write(w, http.StatusOK, ok)
	case errors.Is(err, pipeline.ErrClosed):
		write(w, http.StatusServiceUnavailable, replyBusy)
	default:
		if r.Context().Err() == nil {
			s.d.Log.Error("hec: batch not stored; the client should retry", "tenant", p.Tenant, "err", err)
		}
		write(w, http.StatusInternalServerError, replyInternal)
	}
}

// channel is the request's HEC channel (header or query string).
func channel(r *http.Request) string {
	if c := r.Header.Get("X-Splunk-Request-Channel"); c != "" {
		return c
	}
	return r.URL.Query().Get("channel")
}

// ack answers indexer-acknowledgement polls. Every request this intake
// answered with an ackId was durable before the answer, so each id asked
// about is acknowledged.
func (s *Source) ack(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authenticate(w, r); !ok {
		return
	}
	if channel(r) == "" {
		write(w, http.StatusBadRequest, replyNoChannel)
		return
	}
	body, ok := s.body(w, r)
	if !ok {
		return
	}
	var req struct {
		Acks []uint64 `json:"acks"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		write(w, http.StatusBadRequest, replyBadFormat)
		return
	}
	out := make(map[string]bool, len(req.Acks))
	for _, id := range req.Acks {
		out[strconv.FormatUint(id, 10)] = id > 0 && id <= s.acks.Load()
	}
	ingest.SecurityHeaders(w)
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	json.NewEncoder(w).Encode(map[string]any{"acks": out})
}

// health needs no token, as in Splunk.
func (s *Source) health(w http.ResponseWriter, r *http.Request) {
	if s.d.Ready != nil {
		if err := s.d.Ready(); err != nil {
			write(w, http.StatusServiceUnavailable, replyUnhealthy)
			return
		}
	}
	write(w, http.StatusOK, replyHealthy)
}
