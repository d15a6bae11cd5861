package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/intel"
	"github.com/yagura-soc/yagura/internal/intel/export"
	"github.com/yagura-soc/yagura/internal/intel/feed"
	intelsvc "github.com/yagura-soc/yagura/internal/intel/service"
	"github.com/yagura-soc/yagura/internal/store"
)

// maxIntelImportBytes bounds one import body: a million-line CSV fits.
const maxIntelImportBytes = 512 << 20

func intelRoutes() []route {
	rs := []route{
		{"POST", "/api/v1/intel/import", auth.PermIntelWrite, (*Server).intelImport},
		{"GET", "/api/v1/intel/iocs", auth.PermIntelRead, (*Server).intelList},
		{"POST", "/api/v1/intel/iocs", auth.PermIntelWrite, (*Server).intelCreate},
		{"GET", "/api/v1/intel/iocs/{id}", auth.PermIntelRead, (*Server).intelGet},
		{"PATCH", "/api/v1/intel/iocs/{id}", auth.PermIntelWrite, (*Server).intelUpdate},
		{"DELETE", "/api/v1/intel/iocs/{id}", auth.PermIntelWrite, (*Server).intelRevoke},
		{"GET", "/api/v1/intel/lookup", auth.PermIntelRead, (*Server).intelLookup},
		{"GET", "/api/v1/intel/changes", auth.PermIntelExport, (*Server).intelChanges},
		{"PUT", "/api/v1/intel/consumers/{token}", auth.PermIntelConsumers, (*Server).intelSetConsumer},
		// TAXII 2.1 server; TAXII URLs end with a slash.
		{"GET", "/api/v1/intel/taxii2/", auth.PermIntelExport, (*Server).taxiiDiscovery},
		{"GET", "/api/v1/intel/taxii2/root/", auth.PermIntelExport, (*Server).taxiiRoot},
		{"GET", "/api/v1/intel/taxii2/root/collections/", auth.PermIntelExport, (*Server).taxiiCollections},
		{"GET", "/api/v1/intel/taxii2/root/collections/{id}/", auth.PermIntelExport, (*Server).taxiiCollection},
		{"GET", "/api/v1/intel/taxii2/root/collections/{id}/objects/", auth.PermIntelExport, (*Server).taxiiObjects},
	}
	for _, name := range export.Names() {
		rs = append(rs, route{"GET", "/api/v1/intel/export/" + name, auth.PermIntelExport, exportHandler(name)})
	}
	return rs
}

// intel returns the service or answers 503.
func (s *Server) intel(w http.ResponseWriter) *intelsvc.Service {
	if s.deps.Intel == nil {
		writeError(w, http.StatusServiceUnavailable, "threat intelligence is not enabled on this server")
	}
	return s.deps.Intel
}

// intelError answers an error of the intel service.
func (s *Server) intelError(w http.ResponseWriter, what string, err error) {
	switch {
	case errors.Is(err, intelsvc.ErrInvalid):
		writeError(w, http.StatusBadRequest, strings.TrimPrefix(err.Error(), intelsvc.ErrInvalid.Error()+": "))
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "no such indicator")
	default:
		s.deps.Log.Error(what+" failed", "err", err)
		writeError(w, http.StatusInternalServerError, what+" failed")
	}
}

func (s *Server) intelImport(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	svc := s.intel(w)
	if svc == nil {
		return
	}
	q := r.URL.Query()
	o := intelsvc.ImportOptions{Format: q.Get("format"), Mapping: q.Get("mapping"),
		Feed: feed.Options{Source: q.Get("source"), TLP: q.Get("tlp"), ToBlock: q.Get("to_block") == "true"}}
	if o.Format == "" {
		writeError(w, http.StatusBadRequest, "format is required: "+strings.Join(intelsvc.Formats, ", "))
		return
	}
	if o.Feed.Source == "" {
		o.Feed.Source = "api:" + p.Actor()
	}
	var err error
	if v := q.Get("confidence"); v != "" {
		if o.Feed.Confidence, err = strconv.Atoi(v); err != nil || o.Feed.Confidence < 1 || o.Feed.Confidence > 100 {
			writeError(w, http.StatusBadRequest, "confidence must be a number from 1 to 100")
			return
		}
	}
	if v := q.Get("ttl"); v != "" {
		if o.Feed.TTL, err = time.ParseDuration(v); err != nil || o.Feed.TTL < 0 {
			writeError(w, http.StatusBadRequest, "ttl must be a duration such as 720h")
			return
		}
	}
	if v := q.Get("type"); v != "" {
		if o.Type, err = intel.ParseType(v); err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
	}
	res, err := svc.Import(r.Context(), p.Tenant, http.MaxBytesReader(w, r.Body, maxIntelImportBytes), o)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the feed document is larger than %d bytes; split it", maxIntelImportBytes))
		return
	}
	if err != nil {
		s.intelError(w, "import", err)
		return
	}
	if !s.audited(w, r, p, "intel.import", "", map[string]any{"format": o.Format, "source": o.Feed.Source,
		"imported": res.Imported, "created": res.Created, "updated": res.Updated, "rejected": len(res.Rejected)}) {
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) intelList(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	q := r.URL.Query()
	f := store.IOCFilter{Search: q.Get("q"), Source: q.Get("source"), Revoked: q.Get("revoked") == "true"}
	var err error
	if v := q.Get("type"); v != "" {
		if f.Type, err = intel.ParseType(v); err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
	}
	if v := q.Get("value"); v != "" {
		t := f.Type
		if t == "" {
			t = intel.Guess(v)
		}
		if f.Type, f.Value, err = intel.Canonical(t, v); err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
	}
	if v := q.Get("to_block"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			writeError(w, http.StatusBadRequest, "to_block must be true or false")
			return
		}
		f.ToBlock = &b
	}
	if f.Limit, f.Offset, err = parsePage(q, 100, 1000); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	items, total, err := s.deps.State.Scope(p.Tenant).IOCs().List(r.Context(), f)
	if err != nil {
		s.intelError(w, "listing indicators", err)
		return
	}
	writeJSON(w, http.StatusOK, list[intel.IOC]{Items: items, Total: total})
}

// iocInput is the body of create and update.
type iocInput struct {
	Type        intel.Type `json:"type"`
	Value       string     `json:"value"`
	Confidence  *int       `json:"confidence"`
	TLP         *string    `json:"tlp"`
	Tags        []string   `json:"tags"`
	Description *string    `json:"description"`
	Expires     *time.Time `json:"expires"`
	ToBlock     *bool      `json:"to_block"`
	Source      string     `json:"source"`
}

func decodeIOC(w http.ResponseWriter, r *http.Request) (iocInput, bool) {
	var in iocInput
	ok := decodeJSON(w, r, &in, 1<<20, "body must be a JSON indicator")
	return in, ok
}

func (s *Server) intelCreate(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	svc := s.intel(w)
	if svc == nil {
		return
	}
	in, ok := decodeIOC(w, r)
	if !ok {
		return
	}
	if in.Type == "" {
		in.Type = intel.Guess(in.Value)
	}
	t, err := intel.ParseType(string(in.Type))
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	i := intel.IOC{Type: t, Value: in.Value, Confidence: 50, Tags: in.Tags, Expires: in.Expires,
		Sources: []intel.Source{{Name: "manual:" + p.Actor()}}}
	if in.Source != "" {
		i.Sources[0].Name = in.Source
	}
	applyInput(&i, in)
	stored, _, err := svc.Add(r.Context(), p.Tenant, i)
	if err != nil {
		s.intelError(w, "adding the indicator", err)
		return
	}
	if !s.audited(w, r, p, "intel.create", "ioc/"+stored.ID, map[string]any{"type": stored.Type, "value": stored.Value,
		"to_block": stored.ToBlock, "confidence": stored.Confidence}) {
		return
	}
	writeJSON(w, http.StatusCreated, stored)
}

func applyInput(i *intel.IOC, in iocInput) {
	if in.Confidence != nil {
		i.Confidence = *in.Confidence
	}
	if in.TLP != nil {
		i.TLP = *in.TLP
	}
	if in.Tags != nil {
		i.Tags = in.Tags
	}
	if in.Description != nil {
		i.Description = *in.Description
	}
	if in.Expires != nil {
		i.Expires = in.Expires
	}
	if in.ToBlock != nil {
		i.ToBlock = *in.ToBlock
	}
}

func (s *Server) intelGet(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	i, err := s.deps.State.Scope(p.Tenant).IOCs().Get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.intelError(w, "reading the indicator", err)
		return
	}
	writeJSON(w, http.StatusOK, i)
}

func (s *Server) intelUpdate(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	svc := s.intel(w)
	if svc == nil {
		return
	}
	in, ok := decodeIOC(w, r)
	if !ok {
		return
	}
	if in.Value != "" || in.Type != "" || in.Source != "" {
		writeError(w, http.StatusBadRequest, "type, value and source cannot change; revoke the indicator and add a new one")
		return
	}
	i, err := s.deps.State.Scope(p.Tenant).IOCs().Get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.intelError(w, "reading the indicator", err)
		return
	}
	before := map[string]any{"confidence": i.Confidence, "tlp": i.TLP, "to_block": i.ToBlock}
	applyInput(&i, in)
	out, err := svc.Update(r.Context(), p.Tenant, i)
	if err != nil {
		s.intelError(w, "updating the indicator", err)
		return
	}
	if !s.audited(w, r, p, "intel.update", "ioc/"+out.ID, map[string]any{"before": before,
		"after": map[string]any{"confidence": out.Confidence, "tlp": out.TLP, "to_block": out.ToBlock}}) {
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) intelRevoke(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	svc := s.intel(w)
	if svc == nil {
		return
	}
	out, err := svc.Revoke(r.Context(), p.Tenant, r.PathValue("id"))
	if err != nil {
		s.intelError(w, "revoking the indicator", err)
		return
	}
	if !s.audited(w, r, p, "intel.revoke", "ioc/"+out.ID, map[string]any{"type": out.Type, "value": out.Value}) {
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// intelLookup answers whether a value is a known, unexpired indicator,
// as the matcher sees it (parent domains and networks included).
func (s *Server) intelLookup(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	svc := s.intel(w)
	if svc == nil {
		return
	}
	v := r.URL.Query().Get("value")
	if v == "" {
		writeError(w, http.StatusBadRequest, "value is required")
		return
	}
	t := intel.Guess(v)
	if tv := r.URL.Query().Get("type"); tv != "" {
		var err error
		if t, err = intel.ParseType(tv); err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
	}
	e, ok := svc.Matcher().Lookup(p.Tenant, t, v)
	if !ok {
		writeJSON(w, http.StatusOK, map[string]any{"match": false})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"match": true, "id": e.ID, "type": e.Type, "value": e.Value,
		"confidence": e.Confidence, "source": e.Source})
}

// consumerPolicy is the distribution policy of the caller; the request
// is recorded in the audit trail, as every distribution is.
func (s *Server) consumerPolicy(w http.ResponseWriter, r *http.Request, p auth.Principal, what string) (*intelsvc.Service, intel.Policy, bool) {
	svc := s.intel(w)
	if svc == nil {
		return nil, intel.Policy{}, false
	}
	min := 0
	if v := r.URL.Query().Get("min_confidence"); v != "" {
		var err error
		if min, err = strconv.Atoi(v); err != nil || min < 0 || min > 100 {
			writeError(w, http.StatusBadRequest, "min_confidence must be a number from 0 to 100")
			return nil, intel.Policy{}, false
		}
	}
	pol, err := svc.Policy(r.Context(), p.Tenant, p.TokenID, min)
	if err != nil {
		s.intelError(w, "reading the consumer's threshold", err)
		return nil, pol, false
	}
	if !s.audited(w, r, p, "intel.export", what, map[string]any{"min_confidence": pol.MinConfidence, "query": r.URL.RawQuery}) {
		return nil, pol, false
	}
	return svc, pol, true
}

func exportHandler(name string) func(*Server, http.ResponseWriter, *http.Request, auth.Principal) {
	return func(s *Server, w http.ResponseWriter, r *http.Request, p auth.Principal) {
		svc, pol, ok := s.consumerPolicy(w, r, p, "export/"+name)
		if !ok {
			return
		}
		body, f, err := svc.Export(r.Context(), p.Tenant, name, pol)
		if err != nil {
			s.intelError(w, "export", err)
			return
		}
		// An ETag lets pollers skip unchanged lists (If-None-Match); the
		// service names each render once, rather than this handler hashing
		// a Suricata list of 140 MB per request.
		w.Header().Set("ETag", body.ETag)
		if r.Header.Get("If-None-Match") == body.ETag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", f.ContentType)
		w.Header().Set("Content-Length", strconv.Itoa(body.Len()))
		w.WriteHeader(http.StatusOK)
		body.WriteTo(w)
	}
}

func (s *Server) intelChanges(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	q := r.URL.Query()
	since, err := strconv.ParseInt(q.Get("since"), 10, 64)
	if q.Get("since") == "" {
		since, err = 0, nil
	}
	if err != nil || since < 0 {
		writeError(w, http.StatusBadRequest, "since must be the 'next' number of the previous answer (0 for everything)")
		return
	}
	limit, err := parseLimit(q.Get("limit"), 1000, 10000)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	svc, pol, ok := s.consumerPolicy(w, r, p, "changes")
	if !ok {
		return
	}
	changes, next, err := svc.Changes(r.Context(), p.Tenant, since, limit, pol)
	if err != nil {
		s.intelError(w, "reading the change feed", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"changes": changes, "next": next, "more": len(changes) == limit})
}

func (s *Server) intelSetConsumer(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var in struct {
		MinConfidence *int `json:"min_confidence"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&in); err != nil || in.MinConfidence == nil ||
		*in.MinConfidence < 0 || *in.MinConfidence > 100 {
		writeError(w, http.StatusBadRequest, `body must be {"min_confidence": 0-100}`)
		return
	}
	id := r.PathValue("token")
	toks, err := s.deps.State.Tokens().List(r.Context(), p.Tenant)
	if err != nil {
		s.intelError(w, "listing tokens", err)
		return
	}
	found := false
	for _, t := range toks {
		found = found || t.ID == id
	}
	if !found {
		writeError(w, http.StatusNotFound, "no token "+id+" in this tenant")
		return
	}
	if err := s.deps.State.Scope(p.Tenant).IOCs().SetConsumerMinConfidence(r.Context(), id, *in.MinConfidence); err != nil {
		s.intelError(w, "setting the threshold", err)
		return
	}
	if !s.audited(w, r, p, "intel.consumer", "token/"+id, map[string]any{"min_confidence": *in.MinConfidence}) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"token": id, "min_confidence": *in.MinConfidence})
}

// TAXII 2.1 server: one API root ("root") per tenant view, holding one
// collection with the indicators distributable to the caller.

const taxiiRootPath = "/api/v1/intel/taxii2/root/"

// taxiiCollectionID is the tenant's collection id (a name-based UUID).
func taxiiCollectionID(tenant string) string {
	id := intel.STIXID(tenant, "taxii-collection", "to-block")
	return strings.TrimPrefix(id, "indicator--")
}

func writeTAXII(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", export.TAXIIMediaType)
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// taxiiAccepts: TAXII clients send the TAXII media type; plain JSON and
// anything are accepted too, other types are not.
func taxiiAccepts(w http.ResponseWriter, r *http.Request) bool {
	a := r.Header.Get("Accept")
	if a == "" || strings.Contains(a, "application/taxii+json") || strings.Contains(a, "application/json") || strings.Contains(a, "*/*") {
		return true
	}
	writeError(w, http.StatusNotAcceptable, "accept "+export.TAXIIMediaType)
	return false
}

func (s *Server) taxiiDiscovery(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if r.URL.Path != "/api/v1/intel/taxii2/" {
		writeError(w, http.StatusNotFound, "no such TAXII endpoint: "+r.URL.Path)
		return
	}
	if !taxiiAccepts(w, r) || s.intel(w) == nil {
		return
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	root := scheme + "://" + r.Host + taxiiRootPath
	writeTAXII(w, http.StatusOK, map[string]any{"title": "Yagura threat intelligence",
		"description": "Indicators Yagura distributes to blocking devices", "default": root, "api_roots": []string{root}})
}

func (s *Server) taxiiRoot(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if r.URL.Path != taxiiRootPath {
		writeError(w, http.StatusNotFound, "no such TAXII endpoint: "+r.URL.Path)
		return
	}
	if !taxiiAccepts(w, r) || s.intel(w) == nil {
		return
	}
	writeTAXII(w, http.StatusOK, map[string]any{"title": "Yagura tenant " + p.Tenant,
		"versions": []string{export.TAXIIMediaType}, "max_content_length": maxIntelImportBytes})
}

func (s *Server) taxiiCollectionInfo(tenant string) map[string]any {
	return map[string]any{"id": taxiiCollectionID(tenant), "title": "Indicators to block",
		"description": "to_block, unexpired indicators above the consumer's confidence threshold, on no warning list",
		"can_read":    true, "can_write": false, "media_types": []string{export.STIXMediaType}}
}

func (s *Server) taxiiCollections(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if r.URL.Path != taxiiRootPath+"collections/" {
		writeError(w, http.StatusNotFound, "no such TAXII endpoint: "+r.URL.Path)
		return
	}
	if !taxiiAccepts(w, r) || s.intel(w) == nil {
		return
	}
	writeTAXII(w, http.StatusOK, map[string]any{"collections": []any{s.taxiiCollectionInfo(p.Tenant)}})
}

func (s *Server) taxiiCollection(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if !taxiiAccepts(w, r) || s.intel(w) == nil {
		return
	}
	if r.PathValue("id") != taxiiCollectionID(p.Tenant) || !strings.HasSuffix(r.URL.Path, r.PathValue("id")+"/") {
		writeError(w, http.StatusNotFound, "no such collection")
		return
	}
	writeTAXII(w, http.StatusOK, s.taxiiCollectionInfo(p.Tenant))
}

func (s *Server) taxiiObjects(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if !taxiiAccepts(w, r) || s.intel(w) == nil {
		return
	}
	if r.PathValue("id") != taxiiCollectionID(p.Tenant) || !strings.HasSuffix(r.URL.Path, "/objects/") {
		writeError(w, http.StatusNotFound, "no such collection")
		return
	}
	q := r.URL.Query()
	var after time.Time
	if v := q.Get("added_after"); v != "" {
		var err error
		if after, err = time.Parse(time.RFC3339Nano, v); err != nil {
			writeError(w, http.StatusBadRequest, "added_after must be an RFC 3339 timestamp")
			return
		}
	}
	limit, err := parseLimit(q.Get("limit"), 1000, 10000)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	var next int64
	if v := q.Get("next"); v != "" {
		if next, err = strconv.ParseInt(v, 10, 64); err != nil || next < 0 {
			writeError(w, http.StatusBadRequest, "next must be the value of a previous answer's next")
			return
		}
	}
	svc, pol, ok := s.consumerPolicy(w, r, p, "taxii/objects")
	if !ok {
		return
	}
	l, err := svc.List(r.Context(), p.Tenant, pol)
	if err != nil {
		s.intelError(w, "TAXII objects", err)
		return
	}
	env, first, last := export.Page(l, after, next, limit)
	if !first.IsZero() {
		w.Header().Set("X-TAXII-Date-Added-First", first.UTC().Format("2006-01-02T15:04:05.000000Z"))
		w.Header().Set("X-TAXII-Date-Added-Last", last.UTC().Format("2006-01-02T15:04:05.000000Z"))
	}
	writeTAXII(w, http.StatusOK, env)
}
