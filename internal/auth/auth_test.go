package auth

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/store"
	"github.com/yagura-soc/yagura/internal/store/sqlite"
)

func TestTokenLifecycle(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)

	secret, tok, err := CreateToken(ctx, st.Tokens(), store.DefaultTenant, RoleAnalyst, "ci", time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "ygr_") || len(secret) < 40 {
		t.Errorf("secret %q", secret)
	}
	if string(tok.Hash) == secret || strings.Contains(string(tok.Hash), secret) {
		t.Error("the stored token must be a hash, not the secret")
	}
	p, err := Authenticate(ctx, st.Tokens(), secret, now.Add(time.Minute))
	if err != nil || p.Tenant != store.DefaultTenant || p.Role != RoleAnalyst || p.TokenID != tok.ID {
		t.Fatalf("Authenticate = %+v, %v", p, err)
	}
	cases := []struct {
		name   string
		secret string
		at     time.Time
	}{
		{"expired", secret, now.Add(time.Hour)},
		{"unknown", "ygr_AAAA", now},
		{"no prefix", "abc", now},
		{"empty", "", now},
	}
	for _, c := range cases {
		if _, err := Authenticate(ctx, st.Tokens(), c.secret, c.at); !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("%s: %v, want ErrUnauthenticated", c.name, err)
		}
	}
	if err := st.Tokens().Revoke(ctx, store.DefaultTenant, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := Authenticate(ctx, st.Tokens(), secret, now); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("revoked: %v", err)
	}
	if _, _, err := CreateToken(ctx, st.Tokens(), store.DefaultTenant, "root", "", 0, now); err == nil {
		t.Error("unknown role accepted")
	}
	if _, _, err := CreateToken(ctx, st.Tokens(), "nobody", RoleAdmin, "", 0, now); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("unknown tenant: %v", err)
	}
}

func TestPermissionMatrix(t *testing.T) {
	cases := []struct {
		role string
		perm Permission
		want bool
	}{
		{RoleIngest, PermEventsWrite, true},
		{RoleIngest, PermEventsRead, false},
		{RoleIngest, PermAlertsRead, false},
		{RoleMonitor, PermAlertsRead, true},
		{RoleMonitor, PermEventsWrite, false},
		{RoleAuditor, PermEventsRead, true},
		{RoleAdmin, PermEventsWrite, true},
		{"nobody", PermAlertsRead, false},
	}
	for _, c := range cases {
		if got := Allowed(c.role, c.perm); got != c.want {
			t.Errorf("Allowed(%s, %s) = %v", c.role, c.perm, got)
		}
	}
}
