package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/store"
)

// RunUsers runs the users and sessions conformance suite.
func RunUsers(t *testing.T, open OpenState) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	defer s.Close()
	u := s.Users()
	if _, err := s.Tenants().Create(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if err := u.Create(ctx, store.User{Name: "alice", PasswordHash: "h1"}); err != nil {
		t.Fatal(err)
	}
	if err := u.Create(ctx, store.User{Name: "alice", PasswordHash: "h2"}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate user: %v", err)
	}
	got, err := u.Get(ctx, "alice")
	if err != nil || got.PasswordHash != "h1" || got.Language != "en" || got.TimeZone != "UTC" || got.TOTPEnabled() {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	lock := time.Date(2026, 1, 1, 0, 15, 0, 0, time.UTC)
	got.FailedLogins, got.LockedUntil, got.TOTPSecret, got.Language = 5, &lock, "SECRET", "ja"
	if err := u.Update(ctx, got); err != nil {
		t.Fatal(err)
	}
	got, _ = u.Get(ctx, "alice")
	if got.FailedLogins != 5 || got.LockedUntil == nil || !got.LockedUntil.Equal(lock) || !got.TOTPEnabled() || got.Language != "ja" {
		t.Errorf("after Update = %+v", got)
	}
	if err := u.Update(ctx, store.User{Name: "nobody"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("update unknown: %v", err)
	}

	// Bindings: one role per tenant, replaced on rebind.
	for _, b := range []store.RoleBinding{{User: "alice", Tenant: "acme", Role: "analyst"}, {User: "alice", Tenant: "default", Role: "lead"}, {User: "alice", Tenant: "acme", Role: "lead"}} {
		if err := u.Bind(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	if err := u.Bind(ctx, store.RoleBinding{User: "alice", Tenant: "nowhere", Role: "lead"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("bind to unknown tenant: %v", err)
	}
	bs, _ := u.Bindings(ctx, "alice")
	if len(bs) != 2 || bs[0] != (store.RoleBinding{User: "alice", Tenant: "acme", Role: "lead"}) {
		t.Errorf("Bindings = %+v", bs)
	}
	ms, _ := u.Members(ctx, "acme")
	if len(ms) != 1 || ms[0].User != "alice" {
		t.Errorf("Members = %+v", ms)
	}
	if err := u.Unbind(ctx, "alice", "acme"); err != nil {
		t.Fatal(err)
	}
	if err := u.Unbind(ctx, "alice", "acme"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second unbind: %v", err)
	}

	// Recovery codes are single use.
	at := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	if err := u.SetRecoveryCodes(ctx, "alice", [][]byte{{1}, {2}}); err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, false} {
		ok, err := u.UseRecoveryCode(ctx, "alice", []byte{1}, at)
		if err != nil || ok != want {
			t.Errorf("use %d: %v, %v; want %v", i, ok, err, want)
		}
	}
	if ok, _ := u.UseRecoveryCode(ctx, "alice", []byte{9}, at); ok {
		t.Error("unknown recovery code accepted")
	}

	// Sessions.
	ss := s.Sessions()
	sess := store.Session{Hash: []byte{7}, User: "alice", Tenant: "default", CSRF: "c", CreatedAt: at, ExpiresAt: at.Add(time.Hour), LastSeen: at}
	if err := ss.Create(ctx, sess); err != nil {
		t.Fatal(err)
	}
	if err := ss.Touch(ctx, []byte{7}, "acme", at.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	back, err := ss.ByHash(ctx, []byte{7})
	if err != nil || back.Tenant != "acme" || !back.LastSeen.Equal(at.Add(time.Minute)) || back.CSRF != "c" {
		t.Errorf("ByHash = %+v, %v", back, err)
	}
	if err := ss.DeleteUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := ss.ByHash(ctx, []byte{7}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after DeleteUser: %v", err)
	}
}
