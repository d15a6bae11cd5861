package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/config"
	"github.com/yagura-soc/yagura/internal/detect"
	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/intel"
	"github.com/yagura-soc/yagura/internal/intel/match"
	"github.com/yagura-soc/yagura/internal/shareddata"
	"github.com/yagura-soc/yagura/internal/store"
)

// flatJSON keeps a flat JSON object's keys as ECS fields.
func flatJSON(ev *event.Event, data []byte, _ string) {
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		ev.ParseError = "not JSON"
		return
	}
	ev.ECS = event.Fields(m)
}

// The whole path in a running server: indicators imported through the
// API reach the matcher in the detector chain; an ingested event that
// names one is enriched with threat.indicator.* and raises an alert; the
// firewall's list carries the indicator; a restart loads it again.
func TestIntelEndToEnd(t *testing.T) {
	cfg := config.Default()
	cfg.Data = t.TempDir()
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.Syslog.Addr = ""
	run := func() (*Server, func()) {
		m := match.New(intel.DefaultWarningLists())
		return startWith(t, cfg, Deps{Normalize: flatJSON, Detector: detect.Chain{m}, Intel: m})
	}
	srv, stop := run()
	ctx := context.Background()
	token := func(role string) string {
		secret, _, err := auth.CreateToken(ctx, srv.State.Tokens(), store.DefaultTenant, role, "", 0, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return secret
	}
	analyst, ingest, firewall := token(auth.RoleAnalyst), token(auth.RoleIngest), token(auth.RoleExport)
	call := func(method, path, tok, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL()+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	apt1, err := os.ReadFile(shareddata.Path(t, "stix", "apt1.json"))
	if err != nil {
		t.Fatal(err)
	}
	if code, body := call("POST", "/api/v1/intel/import?format=stix&to_block=true&confidence=90", analyst, string(apt1)); code != 200 {
		t.Fatalf("import: %d %s", code, body)
	}
	// 223.167.4.5 lies in APT1's 223.166.0.0/15; hugesoft.org's subdomain.
	events := `{"host.name":"ws-07","user.name":"bob","destination.ip":"223.167.4.5"}` + "\n" +
		`{"host.name":"ws-08","user.name":"eve","dns.question.name":"update.hugesoft.org"}` + "\n" +
		`{"host.name":"ws-09","user.name":"amy","destination.ip":"192.0.2.10"}`
	if code, body := call("POST", "/api/v1/events", ingest, events); code != http.StatusAccepted {
		t.Fatalf("ingest: %d %s", code, body)
	}
	alerts, _, err := srv.State.Scope(store.DefaultTenant).Alerts().List(ctx, store.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	rules := map[string]string{}
	for _, a := range alerts {
		rules[a.RuleID] = a.Entities["host.name"]
	}
	if len(rules) != 2 || rules["yagura-intel-cidr"] != "ws-07" || rules["yagura-intel-domain"] != "ws-08" {
		t.Errorf("alerts by rule: %v", rules)
	}
	page, err := srv.Events.Search(ctx, store.EventQuery{Tenant: store.DefaultTenant, Terms: []store.Term{{Field: "host.name", Value: "ws-07"}}})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("stored event: %v %v", page, err)
	}
	if v, _ := page.Items[0].GetString("threat.indicator.ip"); v != "223.167.4.5" {
		t.Errorf("stored event not enriched: %v", page.Items[0].ECS)
	}
	if code, body := call("GET", "/api/v1/intel/export/edl/domain", firewall, ""); code != 200 || body != "arrowservice.net\nhugesoft.org\nmsnhome.org\n" {
		t.Errorf("edl/domain: %d %q", code, body)
	}
	stop()

	srv, stop = run()
	defer stop()
	if _, ok := srv.deps.Intel.Lookup(store.DefaultTenant, intel.IPv4, "223.166.0.1"); !ok {
		t.Error("after a restart the matcher lacks the stored indicators")
	}
}
