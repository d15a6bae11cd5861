package auth

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/store"
	"github.com/yagura-soc/yagura/internal/store/sqlite"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newLogins(t *testing.T) (*Logins, *sqlite.Store, *clock) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := &clock{time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)}
	l := NewLogins(st.Users(), st.Sessions())
	l.Now = c.now
	hash, _ := HashPassword("purple-Tractor-42")
	ctx := context.Background()
	st.Users().Create(ctx, store.User{Name: "alice", PasswordHash: hash})
	st.Users().Bind(ctx, store.RoleBinding{User: "alice", Tenant: store.DefaultTenant, Role: RoleAnalyst})
	return l, st, c
}

func TestLoginAndLockout(t *testing.T) {
	l, _, c := newLogins(t)
	ctx := context.Background()
	steps := []struct {
		name     string
		user, pw string
		advance  time.Duration
		want     error
	}{
		{"unknown user", "mallory", "x", 0, ErrBadCredentials},
		{"wrong password 1", "alice", "nope", 0, ErrBadCredentials},
		{"wrong password 2", "alice", "nope", 0, ErrBadCredentials},
		{"wrong password 3", "alice", "nope", 0, ErrBadCredentials},
		{"wrong password 4", "alice", "nope", 0, ErrBadCredentials},
		{"fifth failure locks", "alice", "nope", 0, ErrLocked},
		{"right password while locked", "alice", "purple-Tractor-42", 14 * time.Minute, ErrLocked},
		{"after the lock expires", "alice", "purple-Tractor-42", 2 * time.Minute, nil},
		{"failures were reset", "alice", "nope", 0, ErrBadCredentials},
	}
	for _, s := range steps {
		c.t = c.t.Add(s.advance)
		_, err := l.Login(ctx, s.user, s.pw, "", "192.0.2.1")
		if !errors.Is(err, s.want) && !(s.want == nil && err == nil) {
			t.Errorf("%s: %v, want %v", s.name, err, s.want)
		}
	}
}

func TestSessionsRotateExpireAndResolveTenants(t *testing.T) {
	l, st, c := newLogins(t)
	ctx := context.Background()
	r1, err := l.Login(ctx, "alice", "purple-Tractor-42", "", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	r2, _ := l.Login(ctx, "alice", "purple-Tractor-42", "", "192.0.2.1")
	if r1.Secret == r2.Secret || r1.Session.CSRF == r2.Session.CSRF {
		t.Error("a login must create a fresh session secret and CSRF token")
	}
	sess, err := l.Resume(ctx, r1.Secret)
	if err != nil || sess.User != "alice" || sess.Tenant != store.DefaultTenant {
		t.Fatalf("Resume = %+v, %v", sess, err)
	}
	p, err := l.Principal(ctx, sess, "")
	if err != nil || p.Role != RoleAnalyst || p.Actor() != "alice" {
		t.Fatalf("Principal = %+v, %v", p, err)
	}
	st.Tenants().Create(ctx, "acme")
	if _, err := l.Principal(ctx, sess, "acme"); !errors.Is(err, ErrNoTenantAccess) {
		t.Errorf("unbound tenant: %v", err)
	}
	for _, bad := range []string{"", "yse_nope", r1.Secret + "x", "ygr_token"} {
		if _, err := l.Resume(ctx, bad); !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("Resume(%q) = %v", bad, err)
		}
	}
	c.t = c.t.Add(61 * time.Minute) // idle timeout
	if _, err := l.Resume(ctx, r2.Secret); !errors.Is(err, ErrSessionExpired) {
		t.Errorf("idle session: %v", err)
	}
}

func TestSecondFactor(t *testing.T) {
	l, st, c := newLogins(t)
	ctx := context.Background()
	secret, _ := NewTOTPSecret()
	u, _ := st.Users().Get(ctx, "alice")
	u.TOTPSecret = secret
	st.Users().Update(ctx, u)
	codes, _ := NewRecoveryCodes(2)
	st.Users().SetRecoveryCodes(ctx, "alice", [][]byte{HashToken(codes[0]), HashToken(codes[1])})

	code, _ := TOTPCode(secret, c.t)
	steps := []struct {
		name string
		code string
		want error
	}{
		{"no code", "", ErrSecondFactor},
		{"wrong code", "000000", ErrSecondFactor},
		{"right code", code, nil},
		{"same code replayed", code, ErrSecondFactor},
		{"recovery code", codes[0], nil},
		{"recovery code reused", codes[0], ErrSecondFactor},
	}
	for _, s := range steps {
		_, err := l.Login(ctx, "alice", "purple-Tractor-42", s.code, "192.0.2.1")
		if !errors.Is(err, s.want) && !(s.want == nil && err == nil) {
			t.Errorf("%s: %v, want %v", s.name, err, s.want)
		}
	}
}

func TestLoginRateLimitPerAddress(t *testing.T) {
	l, _, _ := newLogins(t)
	ctx := context.Background()
	var limited int
	for i := range attemptsPerMinute + 5 {
		_, err := l.Login(ctx, "user"+string(rune('a'+i%26)), "x", "", "198.51.100.9")
		if errors.Is(err, ErrRateLimited) {
			limited++
		}
	}
	if limited != 5 {
		t.Errorf("%d attempts rate-limited, want 5", limited)
	}
	if _, err := l.Login(ctx, "alice", "purple-Tractor-42", "", "192.0.2.50"); err != nil {
		t.Errorf("another address is not limited: %v", err)
	}
}
