package server

import (
	"context"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/config"
	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/store"
)

// The shipper intakes are mounted beside the API on the HTTP listener and
// the RELP listener opens when configured: records sent through each land
// in the token's (or listener's) tenant, and the API still answers.
func TestIntakesMountedBesideTheAPI(t *testing.T) {
	cfg := config.Default()
	cfg.Data = t.TempDir()
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.Syslog.Addr = "127.0.0.1:0"
	cfg.RELP.Addr = "127.0.0.1:0"
	cfg.RELP.Tenant = "relp-tenant"
	srv, stop := start(t, cfg)
	defer stop()
	ctx := context.Background()
	srv.State.Tenants().Create(ctx, "acme")
	tok, _, err := auth.CreateToken(ctx, srv.State.Tokens(), "acme", auth.RoleIngest, "t", 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + srv.HTTPAddr()
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("beats:"+tok))
	cases := []struct {
		name, method, path, authz, ctype, body string
		status                                 int
		contains                               string
	}{
		{"hec", "POST", "/services/collector/event", "Splunk " + tok, "application/json", `{"event":"via hec"}`, 200, `"code":0`},
		{"bulk", "POST", "/_bulk", basic, "application/x-ndjson", "{\"create\":{}}\n{\"message\":\"via bulk\"}\n", 200, `"status":201`},
		{"otlp", "POST", "/v1/logs", "Bearer " + tok, "application/json",
			`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"via otlp"}}]}]}]}`, 200, "{}"},
		{"es info", "GET", "/", basic, "", "", 200, "You Know, for Search"},
		{"api root without credentials", "GET", "/", "", "", "", 404, "no such endpoint"},
		{"api", "GET", "/healthz", "", "", "", 200, "ok"},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, base+c.path, strings.NewReader(c.body))
		if c.authz != "" {
			req.Header.Set("Authorization", c.authz)
		}
		if c.ctype != "" {
			req.Header.Set("Content-Type", c.ctype)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status || !strings.Contains(string(b), c.contains) {
			t.Errorf("%s: %d %s, want %d with %q", c.name, resp.StatusCode, b, c.status, c.contains)
		}
	}
	c, err := net.Dial("tcp", srv.RELPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	offer := "relp_version=0\nrelp_software=test\ncommands=syslog"
	msg := "<13>via relp"
	io.WriteString(c, "1 open "+itoa(len(offer))+" "+offer+"\n2 syslog "+itoa(len(msg))+" "+msg+"\n3 close 0\n")
	reply, _ := io.ReadAll(c)
	if !strings.Contains(string(reply), "2 rsp 6 200 OK\n") || !strings.Contains(string(reply), "3 rsp 0\n") {
		t.Errorf("relp replies: %q", reply)
	}
	page, err := srv.Events.Search(ctx, store.EventQuery{Tenant: "acme", Limit: 10})
	if err != nil || page.Total != 3 {
		t.Errorf("acme holds %d events (%v), want 3", page.Total, err)
	}
	page, err = srv.Events.Search(ctx, store.EventQuery{Tenant: "relp-tenant", Limit: 10})
	if err != nil || page.Total != 1 {
		t.Errorf("relp-tenant holds %d events (%v), want 1", page.Total, err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// An asset in the inventory raises the criticality of the events that
// touch it: the enrichment step runs between normalize and detect.
func TestAssetEnrichment(t *testing.T) {
	cfg := config.Default()
	cfg.Data = t.TempDir()
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.Syslog.Addr = ""
	srv, stop := start(t, cfg)
	defer stop()
	ctx := context.Background()
	if _, err := srv.State.Scope(store.DefaultTenant).Assets().Upsert(ctx, store.Asset{Kind: "host", Name: "dc01", Criticality: 5}); err != nil {
		t.Fatal(err)
	}
	tok, _, err := auth.CreateToken(ctx, srv.State.Tokens(), store.DefaultTenant, auth.RoleIngest, "t", 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", "http://"+srv.HTTPAddr()+"/services/collector/event",
		strings.NewReader(`{"event":"logon","host":"DC01.corp.example"}{"event":"other","host":"laptop"}`))
	req.Header.Set("Authorization", "Splunk "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	page, err := srv.Events.Search(ctx, store.EventQuery{Tenant: store.DefaultTenant, Limit: 10})
	if err != nil || page.Total != 2 {
		t.Fatalf("stored %d events: %v", page.Total, err)
	}
	for _, ev := range page.Items {
		c, ok := ev.Get("host.criticality")
		switch ev.Raw {
		case "logon":
			if !ok || event.String(c) != "5" {
				t.Errorf("dc01's event: host.criticality = %v, want 5", c)
			}
		case "other":
			if ok {
				t.Errorf("an unknown host got host.criticality %v", c)
			}
		}
	}
}
