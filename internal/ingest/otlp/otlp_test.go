package otlp

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	"google.golang.org/protobuf/proto"

	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/ingest/ingesttest"
)

func serve(t *testing.T, env *ingesttest.Env) *httptest.Server {
	t.Helper()
	return ingesttest.Serve(t, New(Config{HTTPDeps: env.HTTPDeps()}).Routes())
}

func post(t *testing.T, url, ctype, authz, encoding string, body []byte) (int, string, []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	req.Header.Set("Content-Type", ctype)
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	if encoding != "" {
		req.Header.Set("Content-Encoding", encoding)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), b
}

func str(s string) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: s}}
}

// The specification's JSON example form: hex ids, string int64s, enum
// numbers. Fields land where the ECS mapping puts them.
const jsonRequest = `{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"checkout"}},{"key":"host.name","value":{"stringValue":"web-7"}}]},
"scopeLogs":[{"scope":{"name":"app.logger"},"logRecords":[
 {"timeUnixNano":"1700000000123456789","severityNumber":17,"severityText":"ERROR","traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",
  "body":{"stringValue":"payment failed for order 42"},"attributes":[{"key":"order.id","value":{"intValue":"42"}}]},
 {"observedTimeUnixNano":"1700000001000000000","body":{"kvlistValue":{"values":[{"key":"msg","value":{"stringValue":"structured"}},{"key":"n","value":{"doubleValue":1.5}}]}}}
]}]}]}`

func TestJSONAndProtobuf(t *testing.T) {
	env := ingesttest.New(t, ingesttest.Options{})
	srv := serve(t, env)
	authz := "Bearer " + env.Token(t, "acme", auth.RoleIngest)

	status, ctype, b := post(t, srv.URL+"/v1/logs", "application/json", authz, "", []byte(jsonRequest))
	if status != 200 || ctype != "application/json" || string(b) != "{}" {
		t.Fatalf("json: %d %s %s", status, ctype, b)
	}
	req := &logspb.LogsData{ResourceLogs: []*logspb.ResourceLogs{{
		Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{{Key: "service.name", Value: str("billing")}}},
		ScopeLogs: []*logspb.ScopeLogs{{LogRecords: []*logspb.LogRecord{
			{TimeUnixNano: uint64(time.Unix(1700000002, 0).UnixNano()), Body: str("proto line one"), TraceId: []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}},
			{Body: str("proto line two")},
		}}},
	}}}
	pb, _ := proto.Marshal(req)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(pb)
	zw.Close()
	status, ctype, b = post(t, srv.URL+"/v1/logs", "application/x-protobuf", authz, "gzip", gz.Bytes())
	if status != 200 || ctype != "application/x-protobuf" || len(b) != 0 {
		t.Fatalf("protobuf: %d %s %q", status, ctype, b)
	}

	byRaw := map[string]*event.Event{}
	for _, ev := range env.StoredEvents(t, "acme") {
		byRaw[ev.Raw] = ev
	}
	if len(byRaw) != 4 {
		t.Fatalf("stored %d events, want 4: %v", len(byRaw), byRaw)
	}
	checks := []struct {
		raw, field string
		want       any
	}{
		{"payment failed for order 42", "service.name", "checkout"},
		{"payment failed for order 42", "host.name", "web-7"},
		{"payment failed for order 42", "log.level", "ERROR"},
		{"payment failed for order 42", "trace.id", "5b8efff798038103d269b633813fc60c"},
		{"payment failed for order 42", "span.id", "eee19b7ec3c1b174"},
		{"payment failed for order 42", "order.id", "42"},
		{"payment failed for order 42", "log.logger", "app.logger"},
		{`{"msg":"structured","n":1.5}`, "service.name", "checkout"},
		{"proto line one", "service.name", "billing"},
		{"proto line one", "trace.id", "0102030405060708090a0b0c0d0e0f10"},
		{"proto line two", "service.name", "billing"},
	}
	for _, c := range checks {
		ev := byRaw[c.raw]
		if ev == nil {
			t.Errorf("no event %q", c.raw)
			continue
		}
		if got, _ := ev.GetString(c.field); got != c.want {
			t.Errorf("%q: %s = %q, want %q", c.raw, c.field, got, c.want)
		}
	}
	times := map[string]time.Time{
		"payment failed for order 42":  time.Unix(1700000000, 123456789),
		`{"msg":"structured","n":1.5}`: time.Unix(1700000001, 0),
		"proto line one":               time.Unix(1700000002, 0),
	}
	for raw, want := range times {
		// The event store keeps microseconds.
		if ev := byRaw[raw]; ev != nil && !ev.Timestamp.Equal(want.Truncate(time.Microsecond)) {
			t.Errorf("%q: @timestamp %v, want %v", raw, ev.Timestamp, want)
		}
	}
}

// Errors are google.rpc.Status bodies with the status codes exporters act
// on; nothing is stored.
func TestErrors(t *testing.T) {
	env := ingesttest.New(t, ingesttest.Options{})
	srv := serve(t, env)
	ok := "Bearer " + env.Token(t, "acme", auth.RoleIngest)
	analyst := "Bearer " + env.Token(t, "acme", auth.RoleAnalyst)
	cases := []struct {
		name, ctype, authz, body string
		status                   int
		contains                 string
	}{
		{"no token", "application/json", "", "{}", 401, `"code":16`},
		{"bad token", "application/json", "Bearer ygr_x", "{}", 401, `"code":16`},
		{"analyst", "application/json", analyst, "{}", 403, `"code":7`},
		{"bad json", "application/json", ok, "{not json", 400, `"code":3`},
		{"bad protobuf", "application/x-protobuf", ok, "\xff\xff\xff", 400, "OTLP"},
		{"text", "text/plain", ok, "hello", 415, `"code":3`},
	}
	for _, c := range cases {
		status, _, b := post(t, srv.URL+"/v1/logs", c.ctype, c.authz, "", []byte(c.body))
		if status != c.status || !strings.Contains(string(b), c.contains) {
			t.Errorf("%s: %d %q, want %d containing %q", c.name, status, b, c.status, c.contains)
		}
	}
	if n := env.Count(t, "acme"); n != 0 {
		t.Errorf("%d events stored from rejected requests", n)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(jsonRequest), true)
	f.Add([]byte{0x0a, 0x02, 0x12, 0x00}, false)
	s := New(Config{})
	f.Fuzz(func(t *testing.T, b []byte, isJSON bool) {
		var req logspb.LogsData
		var err error
		if isJSON {
			err = jsonUnmarshal(b, &req)
		} else {
			err = proto.Unmarshal(b, &req)
		}
		if err == nil {
			s.items(&req, isJSON)
		}
	})
}
