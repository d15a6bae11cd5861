package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/yagura-soc/yagura/internal/store"
)

// Upsert replaces by kind and name, every query is bound to the tenant,
// and bad assets are refused with a reason.
func TestAssets(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Tenants().Create(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	acme, dflt := s.Scope("acme").Assets(), s.Scope(store.DefaultTenant).Assets()
	dc, err := acme.Upsert(ctx, store.Asset{Kind: "Host", Name: " DC01.corp.example ", Criticality: 5, Owner: "it-ops",
		Tags: []string{"domain-controller", " "}, Networks: []string{"10.1.0.10", "10.1.2.0/24"}})
	if err != nil {
		t.Fatal(err)
	}
	if dc.Name != "dc01.corp.example" || dc.Kind != "host" || len(dc.Tags) != 1 || dc.Networks[0] != "10.1.0.10/32" {
		t.Errorf("normalized asset = %+v", dc)
	}
	again, err := acme.Upsert(ctx, store.Asset{Kind: "host", Name: "dc01.corp.example", Criticality: 4})
	if err != nil || again.ID != dc.ID || again.Criticality != 4 || !again.CreatedAt.Equal(dc.CreatedAt) {
		t.Errorf("upsert by name: %+v, %v (want id %s kept, criticality 4)", again, err, dc.ID)
	}
	if _, err := acme.Upsert(ctx, store.Asset{Kind: "user", Name: "Alice", Criticality: 3}); err != nil {
		t.Fatal(err)
	}
	if all, _ := acme.List(ctx, ""); len(all) != 2 {
		t.Errorf("acme lists %d assets, want 2", len(all))
	}
	if users, _ := acme.List(ctx, "user"); len(users) != 1 || users[0].Name != "alice" {
		t.Errorf("users = %+v", users)
	}
	// Another tenant sees nothing and cannot reach acme's asset by id.
	if l, _ := dflt.List(ctx, ""); len(l) != 0 {
		t.Errorf("default tenant sees %d of acme's assets", len(l))
	}
	if _, err := dflt.Get(ctx, dc.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("cross-tenant Get = %v, want ErrNotFound", err)
	}
	if err := dflt.Delete(ctx, dc.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("cross-tenant Delete = %v, want ErrNotFound", err)
	}
	if err := acme.Delete(ctx, dc.ID); err != nil {
		t.Fatal(err)
	}
	bad := []store.Asset{
		{Kind: "printer", Name: "p1", Criticality: 1},
		{Kind: "host", Name: "h", Criticality: 0},
		{Kind: "host", Name: "h", Criticality: 6},
		{Kind: "host", Name: "", Criticality: 3},
		{Kind: "user", Name: "u", Criticality: 3, Networks: []string{"10.0.0.0/8"}},
		{Kind: "host", Name: "h", Criticality: 3, Networks: []string{"not-a-net"}},
	}
	for _, a := range bad {
		if _, err := acme.Upsert(ctx, a); err == nil {
			t.Errorf("accepted %+v", a)
		}
	}
}
