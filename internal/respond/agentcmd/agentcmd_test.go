package agentcmd

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/agent/wire"
	"github.com/yagura-soc/yagura/internal/respond"
	"github.com/yagura-soc/yagura/internal/store"
	"github.com/yagura-soc/yagura/internal/store/sqlite"
)

func TestConnectorQueuesSignedCommands(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	agents := st.Scope(store.DefaultTenant).Agents()
	for _, a := range []store.Agent{{ID: "a1", Hostname: "web-1", SecretHash: []byte("h1")}, {ID: "a2", Hostname: "web-2", SecretHash: []byte("h2")}} {
		a.EnrolledAt = now
		if err := agents.Create(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	key, err := Key(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	c := Connector{State: st, Now: func() time.Time { return now }}
	exp := now.Add(time.Hour)
	cases := []struct {
		name    string
		req     respond.Request
		want    map[string]string // agent → action queued
		wantErr string
	}{
		{"isolate one host", respond.Request{ID: "r1", Type: respond.Isolate, Target: "WEB-1"}, map[string]string{"a1": wire.ActionIsolate}, ""},
		{"dry run queues nothing", respond.Request{ID: "r2", Type: respond.Release, Target: "web-1", DryRun: true}, nil, ""},
		{"block on every agent", respond.Request{ID: "r3", Type: respond.Block, Target: "192.0.2.7", ExpiresAt: &exp},
			map[string]string{"a1": wire.ActionBlockIP, "a2": wire.ActionBlockIP}, ""},
		{"same request again is not queued twice", respond.Request{ID: "r3", Type: respond.Block, Target: "192.0.2.7", ExpiresAt: &exp}, nil, ""},
		{"unknown host", respond.Request{ID: "r4", Type: respond.Isolate, Target: "db-9"}, nil, "no Yagura agent"},
		{"a domain cannot be blocked on a host", respond.Request{ID: "r5", Type: respond.Block, Target: "evil.example"}, nil, "not an IP"},
		{"disable is not for agents", respond.Request{ID: "r6", Type: respond.Disable, Target: "bob"}, nil, "cannot disable"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.Tenant = store.DefaultTenant
			before := map[string]int{}
			for _, id := range []string{"a1", "a2"} {
				l, _ := agents.Commands().List(ctx, id)
				before[id] = len(l)
			}
			_, err := c.Execute(ctx, tc.req)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range []string{"a1", "a2"} {
				l, _ := agents.Commands().List(ctx, id)
				added := l[before[id]:]
				want, ok := tc.want[id]
				if !ok {
					if len(added) != 0 {
						t.Errorf("agent %s got %d unexpected commands", id, len(added))
					}
					continue
				}
				if len(added) != 1 || added[0].Action != want {
					t.Fatalf("agent %s: %+v, want one %s", id, added, want)
				}
				var sc wire.SignedCommand
				json.Unmarshal(added[0].Signed, &sc)
				cmd, err := wire.Verify(key.Public().(ed25519.PublicKey), sc, id, now)
				if err != nil {
					t.Fatalf("agent %s would refuse its command: %v", id, err)
				}
				if want == wire.ActionBlockIP && (cmd.TTLSeconds != 3600 || cmd.Targets[0] != "192.0.2.7") {
					t.Errorf("block command: %+v", cmd)
				}
			}
		})
	}
}
