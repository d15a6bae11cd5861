// Package otlp is Yagura's OpenTelemetry intake: OTLP/HTTP logs at
// POST /v1/logs, in both encodings the specification allows (binary
// protobuf and JSON, optionally gzipped), so an OpenTelemetry Collector's
// otlphttp exporter (or any SDK) can send logs with a Yagura API token as
// its bearer token. Each log record becomes one event: its body is the
// record, its resource and record attributes, severity, trace context and
// timestamp travel as envelope metadata.
//
// The reply is sent only once the records are durable; like every source
// it never parses bodies and takes the tenant from the token alone.
package otlp

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/ingest"
	"github.com/yagura-soc/yagura/internal/pipeline"
)

// sourceName labels events and metrics.
const sourceName = "otlp"

// Source serves POST /v1/logs.
type Source struct {
	d ingest.HTTPDeps
}

// New builds the endpoint.
func New(cfg Config) *Source { return &Source{d: cfg.HTTPDeps.WithDefaults()} }

// Routes are the endpoints to mount.
func (s *Source) Routes() []ingest.Route {
	return []ingest.Route{{Method: "POST", Path: "/v1/logs", Handler: s.logs}}
}

// gRPC status codes used in google.rpc.Status replies.
const (
	codeInvalidArgument  = 3
	codePermissionDenied = 7
	codeUnavailable      = 14
	codeUnauthenticated  = 16
	codeInternal         = 13
)

// encoding is the request's (and so the reply's) encoding.
type encoding int

const (
	encProto encoding = iota
	encJSON
)

func (s *Source) logs(w http.ResponseWriter, r *http.Request) {
	enc, ok := requestEncoding(r.Header.Get("Content-Type"))
	if !ok {
		// The specification's answer to an unknown content type.
		writeStatus(w, encJSON, http.StatusUnsupportedMediaType, codeInvalidArgument,
			"Content-Type must be application/x-protobuf or application/json")
		return
	}
	secret, ok := credential(r.Header.Get("Authorization"))
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="yagura"`)
		writeStatus(w, enc, http.StatusUnauthorized, codeUnauthenticated,
			"missing credentials: send a Yagura API token (role ingest) as \"Authorization: Bearer <token>\"")
		return
	}
	p, err := ingest.AuthenticateIngest(r.Context(), s.d.Tokens, secret, s.d.Now())
	switch {
	case errors.Is(err, auth.ErrUnauthenticated):
		writeStatus(w, enc, http.StatusUnauthorized, codeUnauthenticated, err.Error())
		return
	case errors.Is(err, ingest.ErrForbidden):
		writeStatus(w, enc, http.StatusForbidden, codePermissionDenied, err.Error())
		return
	case err != nil:
		s.d.Log.Error("otlp: token lookup failed", "err", err)
		writeStatus(w, enc, http.StatusInternalServerError, codeInternal, "credential check failed; retry")
		return
	}
	body, err := ingest.ReadBody(w, r, s.d.MaxBodyBytes)
	if errors.Is(err, ingest.ErrBodyTooLarge) {
		writeStatus(w, enc, http.StatusRequestEntityTooLarge, codeInvalidArgument, err.Error())
		return
	}
	if err != nil {
		writeStatus(w, enc, http.StatusBadRequest, codeInvalidArgument, err.Error())
		return
	}
	// LogsData has the same wire form as ExportLogsServiceRequest (field 1,
	// repeated ResourceLogs), without pulling in the gRPC service code.
	var req logspb.LogsData
	if enc == encJSON {
		err = jsonUnmarshal(body, &req)
	} else {
		err = proto.Unmarshal(body, &req)
	}
	if err != nil {
		writeStatus(w, enc, http.StatusBadRequest, codeInvalidArgument, "the body is not an OTLP logs export request: "+err.Error())
		return
	}
	items := s.items(&req, enc == encJSON)
	if len(items) > 0 {
		_, err := ingest.Submit(r.Context(), s.d.Sink, pipeline.Batch{Tenant: p.Tenant, Source: sourceName, Received: s.d.Now(), Items: items})
		if err != nil {
			if r.Context().Err() == nil && !errors.Is(err, pipeline.ErrClosed) {
				s.d.Log.Error("otlp: batch not stored; the client should retry", "tenant", p.Tenant, "err", err)
			}
			// 503 is retryable for OTLP exporters.
			w.Header().Set("Retry-After", "5")
			writeStatus(w, enc, http.StatusServiceUnavailable, codeUnavailable, "records were not stored, retry: "+err.Error())
			return
		}
	}
	// ExportLogsServiceResponse without partial_success: all accepted.
	if enc == encJSON {
		writeBody(w, enc, http.StatusOK, []byte("{}"))
		return
	}
	writeBody(w, enc, http.StatusOK, nil)
}

func jsonUnmarshal(b []byte, req *logspb.LogsData) error {
	return protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(b, req)
}

func requestEncoding(ct string) (encoding, bool) {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return 0, false
	}
	switch mt {
	case "application/x-protobuf", "application/protobuf":
		return encProto, true
	case "application/json":
		return encJSON, true
	}
	return 0, false
}

func credential(h string) (string, bool) {
	scheme, cred, _ := strings.Cut(strings.TrimSpace(h), " ")
	cred = strings.TrimSpace(cred)
	switch strings.ToLower(scheme) {
	case "bearer":
		return cred, cred != ""
	case "basic":
		raw, err := base64.StdEncoding.DecodeString(cred)
		if err != nil {
			return "", false
		}
		_, pw, ok := strings.Cut(string(raw), ":")
		return pw, ok && pw != ""
	}
	return "", false
}

func writeBody(w http.ResponseWriter, enc encoding, status int, b []byte) {
	ingest.SecurityHeaders(w)
	if enc == encJSON {
		w.Header().Set("Content-Type", "application/json")
	} else {
		w.Header().Set("Content-Type", "application/x-protobuf")
	}
	w.WriteHeader(status)
	w.Write(b)
}

// writeStatus answers with a google.rpc.Status, as OTLP/HTTP requires.
func writeStatus(w http.ResponseWriter, enc encoding, status, code int, msg string) {
	if enc == encJSON {
		b, _ := json.Marshal(map[string]any{"code": code, "message": msg})
		writeBody(w, enc, status, b)
		return
	}
	var b []byte
	b = protowire.AppendTag(b, 1, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(code))
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	b = protowire.AppendString(b, msg)
	writeBody(w, enc, status, b)
}

// items turns every log record into a pipeline item.
func (s *Source) items(req *logspb.LogsData, fromJSON bool) []pipeline.Item {
	var out []pipeline.Item
	for _, rl := range req.GetResourceLogs() {
		resource := event.Fields{}
		addAttributes(resource, rl.GetResource().GetAttributes())
		for _, sl := range rl.GetScopeLogs() {
			scope := sl.GetScope().GetName()
			for _, lr := range sl.GetLogRecords() {
				it := ingest.Record(bodyBytes(lr), s.d.MaxRecordBytes, false)
				m := make(event.Fields, len(resource)+8)
				for k, v := range resource {
					m[k] = v
				}
				addAttributes(m, lr.GetAttributes())
				if scope != "" {
					m["log.logger"] = scope
				}
				if t := lr.GetSeverityText(); t != "" {
					m["log.level"] = t
				}
				if n := lr.GetSeverityNumber(); n != 0 {
					m["event.severity"] = int64(n)
				}
				if id := idString(lr.GetTraceId(), fromJSON); id != "" {
					m["trace.id"] = id
				}
				if id := idString(lr.GetSpanId(), fromJSON); id != "" {
					m["span.id"] = id
				}
				it.Meta = m
				it.Time = unixNano(lr.GetTimeUnixNano())
				if it.Time.IsZero() {
					it.Time = unixNano(lr.GetObservedTimeUnixNano())
				}
				out = append(out, it)
			}
		}
	}
	return out
}

// bodyBytes is the record: a string body as is, any other body as JSON,
// and a record without body as the JSON of its attributes.
func bodyBytes(lr *logspb.LogRecord) []byte {
	if b := lr.GetBody(); b != nil {
		if sv, ok := b.GetValue().(*commonpb.AnyValue_StringValue); ok {
			return []byte(sv.StringValue)
		}
		if v := value(b); v != nil {
			out, _ := json.Marshal(v)
			return out
		}
	}
	attrs := map[string]any{}
	for _, kv := range lr.GetAttributes() {
		attrs[kv.GetKey()] = value(kv.GetValue())
	}
	out, _ := json.Marshal(attrs)
	return out
}

// value converts an AnyValue to plain Go values for JSON.
func value(v *commonpb.AnyValue) any {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_BoolValue:
		return x.BoolValue
	case *commonpb.AnyValue_IntValue:
		return x.IntValue
	case *commonpb.AnyValue_DoubleValue:
		if math.IsNaN(x.DoubleValue) || math.IsInf(x.DoubleValue, 0) {
			return strconv.FormatFloat(x.DoubleValue, 'g', -1, 64)
		}
		return x.DoubleValue
	case *commonpb.AnyValue_BytesValue:
		return base64.StdEncoding.EncodeToString(x.BytesValue)
	case *commonpb.AnyValue_ArrayValue:
		out := make([]any, 0, len(x.ArrayValue.GetValues()))
		for _, e := range x.ArrayValue.GetValues() {
			out = append(out, value(e))
		}
		return out
	case *commonpb.AnyValue_KvlistValue:
		out := make(map[string]any, len(x.KvlistValue.GetValues()))
		for _, kv := range x.KvlistValue.GetValues() {
			out[kv.GetKey()] = value(kv.GetValue())
		}
		return out
	}
	return nil
}

// addAttributes copies scalar attributes under their own names: OTel's
// semantic conventions (host.name, service.name, log.file.path) are
// aligned with ECS. Structured values are kept as JSON text.
func addAttributes(m event.Fields, attrs []*commonpb.KeyValue) {
	for _, kv := range attrs {
		if kv.GetKey() == "" {
			continue
		}
		switch v := value(kv.GetValue()).(type) {
		case nil:
		case string, bool, int64, float64:
			m[kv.GetKey()] = v
		default:
			b, _ := json.Marshal(v)
			m[kv.GetKey()] = string(b)
		}
	}
}

// idString renders a trace or span id as lowercase hex. OTLP/JSON writes
// ids as hex strings where protobuf JSON expects base64; decoding hex as
// base64 is lossless, so re-encoding the bytes as base64 gives the hex back.
func idString(b []byte, fromJSON bool) string {
	if len(b) == 0 {
		return ""
	}
	if fromJSON {
		s := base64.StdEncoding.EncodeToString(b)
		if _, err := hex.DecodeString(s); err == nil {
			return strings.ToLower(s)
		}
	}
	return hex.EncodeToString(b)
}

func unixNano(n uint64) time.Time {
	if n == 0 || n > math.MaxInt64 {
		return time.Time{}
	}
	return time.Unix(0, int64(n)).UTC()
}
