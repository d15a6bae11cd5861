package enrich

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/store"
	"github.com/yagura-soc/yagura/internal/store/sqlite"
)

func TestAssetCriticality(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.Tenants().Create(ctx, "acme")
	acme := st.Scope("acme").Assets()
	for _, a := range []store.Asset{
		{Kind: "host", Name: "dc01.corp.example", Criticality: 5, Networks: []string{"10.1.0.10"}},
		{Kind: "host", Name: "web1", Criticality: 2, Networks: []string{"10.2.0.0/16"}},
		{Kind: "host", Name: "payments-net", Criticality: 4, Networks: []string{"10.2.9.0/24"}},
		{Kind: "user", Name: "alice", Criticality: 3},
	} {
		if _, err := acme.Upsert(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	// The default tenant has a namesake that must not leak into acme.
	st.Scope(store.DefaultTenant).Assets().Upsert(ctx, store.Asset{Kind: "user", Name: "bob", Criticality: 5})

	en := NewAssets(st, time.Minute, nil)
	clock := time.Now()
	en.now = func() time.Time { return clock }
	cases := []struct {
		name       string
		ecs        event.Fields
		host, user any
	}{
		{"full host name", event.Fields{"host.name": "DC01.corp.example"}, int64(5), nil},
		{"short host name", event.Fields{"host.name": "dc01"}, int64(5), nil},
		{"fqdn of a short asset", event.Fields{"host.name": "web1.corp.example"}, int64(2), nil},
		{"address in a single-host network", event.Fields{"host.ip": "10.1.0.10"}, int64(5), nil},
		{"most specific network wins", event.Fields{"host.ip": []any{"10.2.9.7"}}, int64(4), nil},
		{"wider network", event.Fields{"host.ip": "10.2.1.1"}, int64(2), nil},
		{"user", event.Fields{"user.name": "Alice"}, nil, int64(3)},
		{"other tenant's user", event.Fields{"user.name": "bob"}, nil, nil},
		{"unknown", event.Fields{"host.name": "laptop-9", "host.ip": "192.0.2.1"}, nil, nil},
	}
	for _, c := range cases {
		ev := &event.Event{Tenant: "acme", ECS: c.ecs}
		en.Enrich("acme", []*event.Event{ev})
		if got := ev.ECS[FieldHostCriticality]; got != c.host {
			t.Errorf("%s: host.criticality = %v, want %v", c.name, got, c.host)
		}
		if got := ev.ECS[FieldUserCriticality]; got != c.user {
			t.Errorf("%s: user.criticality = %v, want %v", c.name, got, c.user)
		}
	}
	// Changes show once the index is older than its TTL.
	acme.Upsert(ctx, store.Asset{Kind: "user", Name: "alice", Criticality: 1})
	clock = clock.Add(2 * time.Minute)
	ev := &event.Event{Tenant: "acme", ECS: event.Fields{"user.name": "alice"}}
	en.Enrich("acme", []*event.Event{ev})
	if got := ev.ECS[FieldUserCriticality]; got != int64(1) {
		t.Errorf("after the TTL: user.criticality = %v, want 1", got)
	}
}
