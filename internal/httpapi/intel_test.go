package httpapi

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/intel/feed"
	"github.com/yagura-soc/yagura/internal/intel/feed/taxii"
	intelsvc "github.com/yagura-soc/yagura/internal/intel/service"
	"github.com/yagura-soc/yagura/internal/metrics"
	"github.com/yagura-soc/yagura/internal/shareddata"
	"github.com/yagura-soc/yagura/internal/store"
	"github.com/yagura-soc/yagura/internal/store/sqlite"
)

type intelEnv struct {
	srv    *httptest.Server
	state  *sqlite.Store
	tokens map[string]string // role → secret
	ids    map[string]string // role → token id
}

func newIntelEnv(t *testing.T) *intelEnv {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := intelsvc.New(st, nil, intelsvc.Config{})
	srv := httptest.NewServer(New(Deps{State: st, Metrics: metrics.New(), Log: log, Intel: svc}))
	t.Cleanup(func() { srv.Close(); st.Close() })
	e := &intelEnv{srv: srv, state: st, tokens: map[string]string{}, ids: map[string]string{}}
	st.Tenants().Create(ctx, "acme")
	for _, role := range []string{auth.RoleAnalyst, auth.RoleExport, auth.RoleLead} {
		secret, tok, err := auth.CreateToken(ctx, st.Tokens(), store.DefaultTenant, role, "", 0, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[role], e.ids[role] = secret, tok.ID
	}
	secret, _, _ := auth.CreateToken(ctx, st.Tokens(), "acme", auth.RoleExport, "", 0, time.Now())
	e.tokens["acme"] = secret
	return e
}

func (e *intelEnv) call(t *testing.T, method, path, token, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestIntelImportExportAndAudit(t *testing.T) {
	e := newIntelEnv(t)
	apt1, err := os.ReadFile(shareddata.Path(t, "stix", "apt1.json"))
	if err != nil {
		t.Fatal(err)
	}
	code, body := e.call(t, "POST", "/api/v1/intel/import?format=stix&to_block=true&confidence=80&source=mandiant", e.tokens[auth.RoleAnalyst], string(apt1))
	if code != 200 || !strings.Contains(body, `"imported":10`) || !strings.Contains(body, "x509-certificate") {
		t.Fatalf("import: %d %s", code, body)
	}
	code, body = e.call(t, "POST", "/api/v1/intel/import?format=csv", e.tokens[auth.RoleExport], "value\n203.0.113.1\n")
	if code != 403 {
		t.Errorf("export role imported: %d %s", code, body)
	}
	code, body = e.call(t, "GET", "/api/v1/intel/export/edl/ip", e.tokens[auth.RoleExport], "")
	if code != 200 || body != "58.246.0.0/15\n112.64.0.0/15\n139.226.0.0/15\n223.166.0.0/15\n" {
		t.Errorf("edl/ip: %d %q", code, body)
	}
	code, body = e.call(t, "GET", "/api/v1/intel/export/edl/domain", e.tokens[auth.RoleExport], "")
	if code != 200 || body != "arrowservice.net\nhugesoft.org\nmsnhome.org\n" {
		t.Errorf("edl/domain: %d %q", code, body)
	}
	if code, body = e.call(t, "GET", "/api/v1/intel/export/edl/ip", e.tokens["acme"], ""); code != 200 || body != "" {
		t.Errorf("other tenant's edl/ip: %d %q", code, body)
	}
	// The lead raises the firewall's threshold above the feed's confidence.
	code, body = e.call(t, "PUT", "/api/v1/intel/consumers/"+e.ids[auth.RoleExport], e.tokens[auth.RoleLead], `{"min_confidence":90}`)
	if code != 200 {
		t.Fatalf("set consumer: %d %s", code, body)
	}
	if code, body = e.call(t, "GET", "/api/v1/intel/export/edl/ip", e.tokens[auth.RoleExport], ""); code != 200 || body != "" {
		t.Errorf("edl/ip above threshold: %d %q", code, body)
	}
	if code, _ = e.call(t, "PUT", "/api/v1/intel/consumers/nope", e.tokens[auth.RoleLead], `{"min_confidence":90}`); code != 404 {
		t.Errorf("threshold for an unknown token: %d", code)
	}
	// Manual entry, edit, lookup, revoke.
	code, body = e.call(t, "POST", "/api/v1/intel/iocs", e.tokens[auth.RoleAnalyst], `{"value":"c2.evil.example","confidence":95,"to_block":true}`)
	if code != 201 || !strings.Contains(body, `"type":"domain"`) {
		t.Fatalf("create: %d %s", code, body)
	}
	id := body[strings.Index(body, `"id":"`)+6:]
	id = id[:strings.IndexByte(id, '"')]
	if code, body = e.call(t, "GET", "/api/v1/intel/lookup?value=www.c2.evil.example", e.tokens[auth.RoleAnalyst], ""); !strings.Contains(body, `"match":true`) {
		t.Errorf("lookup of a subdomain: %d %s", code, body)
	}
	if code, body = e.call(t, "GET", "/api/v1/intel/export/rpz", e.tokens[auth.RoleExport], ""); !strings.Contains(body, "*.c2.evil.example CNAME .") {
		t.Errorf("rpz after manual entry: %d %s", code, body)
	}
	if code, body = e.call(t, "PATCH", "/api/v1/intel/iocs/"+id, e.tokens[auth.RoleAnalyst], `{"value":"x.example"}`); code != 400 {
		t.Errorf("changing the value: %d %s", code, body)
	}
	if code, body = e.call(t, "PATCH", "/api/v1/intel/iocs/"+id, e.tokens[auth.RoleAnalyst], `{"to_block":false}`); code != 200 || !strings.Contains(body, `"to_block":false`) {
		t.Errorf("patch: %d %s", code, body)
	}
	if code, _ = e.call(t, "DELETE", "/api/v1/intel/iocs/"+id, e.tokens[auth.RoleAnalyst], ""); code != 200 {
		t.Errorf("revoke: %d", code)
	}
	if code, body = e.call(t, "GET", "/api/v1/intel/changes?since=10", e.tokens[auth.RoleExport], ""); code != 200 ||
		!strings.Contains(body, `"action":"remove"`) || !strings.Contains(body, `"next":13`) {
		t.Errorf("changes: %d %s", code, body)
	}
	if code, body = e.call(t, "GET", "/api/v1/intel/iocs?type=cidr", e.tokens[auth.RoleAnalyst], ""); !strings.Contains(body, `"total":4`) {
		t.Errorf("list: %d %s", code, body)
	}
	for _, bad := range []string{"/api/v1/intel/iocs?type=nope", "/api/v1/intel/iocs?to_block=maybe", "/api/v1/intel/lookup"} {
		if code, _ := e.call(t, "GET", bad, e.tokens[auth.RoleAnalyst], ""); code != 400 {
			t.Errorf("%s: %d, want 400", bad, code)
		}
	}
	if code, _ := e.call(t, "POST", "/api/v1/intel/import?format=docx", e.tokens[auth.RoleAnalyst], "x"); code != 400 {
		t.Errorf("unknown format: %d", code)
	}
	// Every distribution request and every change is in the audit trail.
	recs, _, err := e.state.Scope(store.DefaultTenant).Audit().List(context.Background(), store.AuditFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, r := range recs {
		count[r.Action]++
	}
	if count["intel.export"] != 5 || count["intel.import"] != 1 || count["intel.create"] != 1 || count["intel.update"] != 1 ||
		count["intel.revoke"] != 1 || count["intel.consumer"] != 1 {
		t.Errorf("audit actions: %v", count)
	}
}

// Yagura's TAXII client pulls from Yagura's TAXII server: the same
// indicators come back, paged, and an incremental pull from the
// high-water mark gets only what changed.
func TestTAXIIRoundTrip(t *testing.T) {
	e := newIntelEnv(t)
	poison, err := os.ReadFile(shareddata.Path(t, "stix", "poisonivy.json"))
	if err != nil {
		t.Fatal(err)
	}
	if code, body := e.call(t, "POST", "/api/v1/intel/import?format=stix&to_block=true&confidence=70", e.tokens[auth.RoleAnalyst], string(poison)); code != 200 {
		t.Fatalf("import: %d %s", code, body)
	}
	c := &taxii.Client{Discovery: e.srv.URL + "/api/v1/intel/taxii2/", Token: e.tokens[auth.RoleExport], PageSize: 10}
	ctx := context.Background()
	res, high, err := c.Pull(ctx, "", time.Time{}, feed.Options{Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, i := range res.IOCs {
		got = append(got, string(i.Type)+" "+i.Value)
		if i.Confidence != 70 {
			t.Errorf("confidence not carried: %+v", i)
		}
	}
	sort.Strings(got)
	if len(got) != 44 || len(res.Rejected) != 0 {
		t.Errorf("round trip: %d indicators (rejected %v), want 44", len(got), res.Rejected)
	}
	// The server's list equals the EDLs: compare the IP part.
	_, edl := e.call(t, "GET", "/api/v1/intel/export/edl/ip", e.tokens[auth.RoleExport], "")
	for _, ip := range strings.Fields(edl) {
		if i := sort.SearchStrings(got, "ipv4 "+ip); i == len(got) || got[i] != "ipv4 "+ip {
			t.Errorf("%s exported as EDL but not over TAXII", ip)
		}
	}
	time.Sleep(2 * time.Millisecond) // a distinct modification time for the next change
	if code, body := e.call(t, "POST", "/api/v1/intel/iocs", e.tokens[auth.RoleAnalyst], `{"value":"198.51.100.77","confidence":90,"to_block":true}`); code != 201 {
		t.Fatalf("create: %d %s", code, body)
	}
	res, _, err = c.Pull(ctx, "", high, feed.Options{Now: time.Now()})
	if err != nil || len(res.IOCs) != 1 || res.IOCs[0].Value != "198.51.100.77" {
		t.Errorf("incremental pull: %d indicators, %v; want only 198.51.100.77", len(res.IOCs), err)
	}
	// Another tenant's consumer sees an empty collection.
	other := &taxii.Client{Discovery: e.srv.URL + "/api/v1/intel/taxii2/", Token: e.tokens["acme"]}
	if res, _, err := other.Pull(ctx, "", time.Time{}, feed.Options{}); err != nil || len(res.IOCs) != 0 {
		t.Errorf("other tenant: %d indicators, %v", len(res.IOCs), err)
	}
}
