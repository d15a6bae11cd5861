package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/yagura-soc/yagura/internal/store"
)

// Login errors. ErrBadCredentials is deliberately vague: it does not say
// whether the user exists.
var (
	ErrBadCredentials = errors.New("wrong user name or password")
	ErrLocked         = errors.New("account locked after too many failed logins; try again later or ask an admin to unlock it")
	ErrSecondFactor   = errors.New("this account needs a TOTP code or a recovery code")
	ErrNoTenantAccess = errors.New("no access to that tenant")
	ErrSessionExpired = errors.New("session expired; log in again")

	// dummyPasswordHash makes a login for an unknown user cost as much as a real one.
	dummyPasswordHash = "$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHRzYWx0c2FsdA$Pb5LI4y6r2bF5G2PXs3sH1m7Sp6M8Y6mTQZ0R8mZr5w"
)

// Logins handles passwords, second factors, lockout and sessions.
type Logins struct {
	Users    store.Users
	Sessions store.Sessions
	Now      func() time.Time

	MaxFailures int           // failed logins before the account locks
	LockFor     time.Duration // how long it stays locked
	SessionTTL  time.Duration // absolute session lifetime
	IdleTimeout time.Duration // inactivity that ends a session

	// perIP limits login attempts per client address, so that one source
	// cannot spray passwords across many accounts under the lockout bar.
	mu    sync.Mutex
	perIP map[string][]time.Time
}

// NewLogins returns a Logins with the defaults: lock for 15 minutes after
// 5 failures, 12-hour sessions that end after 1 hour idle, 20 attempts per
// minute per client address.
func NewLogins(users store.Users, sessions store.Sessions) *Logins {
	return &Logins{Users: users, Sessions: sessions, Now: func() time.Time { return time.Now().UTC() },
		MaxFailures: 5, LockFor: 15 * time.Minute, SessionTTL: 12 * time.Hour, IdleTimeout: time.Hour,
		perIP: map[string][]time.Time{}}
}

// ErrRateLimited means the client address tried too often.
var ErrRateLimited = errors.New("too many login attempts from this address; wait a minute")

const attemptsPerMinute = 20

// allow records an attempt from remote and reports whether it is within
// the rate.
func (l *Logins) allow(remote string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	recent := l.perIP[remote][:0]
	for _, t := range l.perIP[remote] {
		if now.Sub(t) < time.Minute {
			recent = append(recent, t)
		}
	}
	if len(recent) >= attemptsPerMinute {
		l.perIP[remote] = recent
		return false
	}
	l.perIP[remote] = append(recent, now)
	if len(l.perIP) > 10000 { // bound the map: forget the idle addresses
		for k, v := range l.perIP {
			if len(v) == 0 || now.Sub(v[len(v)-1]) >= time.Minute {
				delete(l.perIP, k)
			}
		}
	}
	return true
}

// LoginResult is a new session.
type LoginResult struct {
	Secret  string // the cookie value; shown once, stored hashed
	Session store.Session
	User    store.User
}

// Login checks the credentials and opens a new session. Each login makes a
// fresh session secret (no fixation); failures count towards lockout.
func (l *Logins) Login(ctx context.Context, name, password, code, remote string) (LoginResult, error) {
	now := l.Now()
	if !l.allow(remote, now) {
		return LoginResult{}, ErrRateLimited
	}
	u, err := l.Users.Get(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		VerifyPassword(dummyPasswordHash, password) // same cost as a real check
		return LoginResult{}, ErrBadCredentials
	}
	if err != nil {
		return LoginResult{}, err
	}
	if u.Disabled {
		VerifyPassword(dummyPasswordHash, password)
		return LoginResult{}, ErrBadCredentials
	}
	if u.LockedUntil != nil && now.Before(*u.LockedUntil) {
		return LoginResult{}, ErrLocked
	}
	if !VerifyPassword(u.PasswordHash, password) {
		return LoginResult{}, l.fail(ctx, u, now, ErrBadCredentials)
	}
	if u.TOTPEnabled() {
		if code == "" {
			return LoginResult{}, ErrSecondFactor
		}
		ok, err := l.secondFactor(ctx, &u, code, now)
		if err != nil {
			return LoginResult{}, err
		}
		if !ok {
			return LoginResult{}, l.fail(ctx, u, now, ErrSecondFactor)
		}
	}
	u.FailedLogins, u.LockedUntil = 0, nil
	if err := l.Users.Update(ctx, u); err != nil {
		return LoginResult{}, err
	}
	bindings, err := l.Users.Bindings(ctx, u.Name)
	if err != nil {
		return LoginResult{}, err
	}
	tenant := ""
	if len(bindings) > 0 {
		tenant = bindings[0].Tenant
	}
	secret, err := randomToken("yse_")
	if err != nil {
		return LoginResult{}, err
	}
	csrf, err := randomToken("")
	if err != nil {
		return LoginResult{}, err
	}
	sess := store.Session{Hash: HashToken(secret), User: u.Name, Tenant: tenant, CSRF: csrf,
		CreatedAt: now, ExpiresAt: now.Add(l.SessionTTL), LastSeen: now}
	if err := l.Sessions.Create(ctx, sess); err != nil {
		return LoginResult{}, err
	}
	return LoginResult{Secret: secret, Session: sess, User: u}, nil
}

// secondFactor accepts a TOTP code (once per time step) or a recovery code.
func (l *Logins) secondFactor(ctx context.Context, u *store.User, code string, now time.Time) (bool, error) {
	code = strings.TrimSpace(code)
	if step, ok := VerifyTOTP(u.TOTPSecret, code, now); ok {
		if step <= u.TOTPLastStep {
			return false, nil // a replayed code
		}
		u.TOTPLastStep = step
		return true, nil
	}
	return l.Users.UseRecoveryCode(ctx, u.Name, HashToken(strings.ToLower(code)), now)
}

func (l *Logins) fail(ctx context.Context, u store.User, now time.Time, why error) error {
	u.FailedLogins++
	if u.FailedLogins >= l.MaxFailures {
		until := now.Add(l.LockFor)
		u.LockedUntil = &until
		u.FailedLogins = 0
		l.Sessions.DeleteUser(ctx, u.Name)
		why = ErrLocked
	}
	if err := l.Users.Update(ctx, u); err != nil {
		return fmt.Errorf("recording a failed login: %w", err)
	}
	return why
}

// Resume finds the session of a cookie secret, enforcing lifetime and
// idle timeout.
func (l *Logins) Resume(ctx context.Context, secret string) (store.Session, error) {
	if !strings.HasPrefix(secret, "yse_") {
		return store.Session{}, ErrUnauthenticated
	}
	sess, err := l.Sessions.ByHash(ctx, HashToken(secret))
	if errors.Is(err, store.ErrNotFound) {
		return store.Session{}, ErrUnauthenticated
	}
	if err != nil {
		return store.Session{}, err
	}
	now := l.Now()
	if !now.Before(sess.ExpiresAt) || now.Sub(sess.LastSeen) >= l.IdleTimeout {
		l.Sessions.Delete(ctx, sess.Hash)
		return store.Session{}, ErrSessionExpired
	}
	return sess, nil
}

// Principal resolves the role of a session's user in tenant ("" means the
// session's current tenant). Without a binding there it is
// ErrNoTenantAccess, which callers answer like a missing object.
func (l *Logins) Principal(ctx context.Context, sess store.Session, tenant string) (Principal, error) {
	if tenant == "" {
		tenant = sess.Tenant
	}
	bindings, err := l.Users.Bindings(ctx, sess.User)
	if err != nil {
		return Principal{}, err
	}
	for _, b := range bindings {
		if b.Tenant == tenant {
			if tenant != sess.Tenant || l.Now().Sub(sess.LastSeen) > time.Minute {
				l.Sessions.Touch(ctx, sess.Hash, tenant, l.Now())
			}
			return Principal{User: sess.User, Tenant: tenant, Role: b.Role}, nil
		}
	}
	return Principal{}, ErrNoTenantAccess
}

func randomToken(prefix string) (string, error) {
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return prefix + base64.RawURLEncoding.EncodeToString(raw[:]), nil
}
