package store

import (
	"context"
	"time"
)

// User is a person who logs in. Users are global; what they may do in a
// tenant comes from their RoleBinding there. A customer's users are bound
// to their tenant only; provider staff may be bound to several.
type User struct {
	Name         string     `json:"name"`
	PasswordHash string     `json:"-"`
	TOTPSecret   string     `json:"-"` // empty: no second factor
	TOTPLastStep int64      `json:"-"` // last accepted TOTP step, to refuse replays
	FailedLogins int        `json:"failed_logins"`
	LockedUntil  *time.Time `json:"locked_until,omitempty"`
	Disabled     bool       `json:"disabled"`
	Language     string     `json:"language"`  // en or ja
	TimeZone     string     `json:"time_zone"` // IANA name, for display only
	CreatedAt    time.Time  `json:"created_at"`
}

// TOTPEnabled reports whether the user has a second factor.
func (u User) TOTPEnabled() bool { return u.TOTPSecret != "" }

// RoleBinding gives a user one role in one tenant.
type RoleBinding struct {
	User   string `json:"user"`
	Tenant string `json:"tenant"`
	Role   string `json:"role"`
}

// Users stores users, their role bindings and recovery codes.
type Users interface {
	Create(ctx context.Context, u User) error
	Get(ctx context.Context, name string) (User, error)
	List(ctx context.Context) ([]User, error)
	// Update overwrites the mutable fields of an existing user.
	Update(ctx context.Context, u User) error
	// Bind sets the user's role in a tenant (one role per tenant).
	Bind(ctx context.Context, b RoleBinding) error
	Unbind(ctx context.Context, user, tenant string) error
	Bindings(ctx context.Context, user string) ([]RoleBinding, error)
	// Members lists the bindings of one tenant.
	Members(ctx context.Context, tenant string) ([]RoleBinding, error)
	// SetRecoveryCodes replaces the user's recovery codes (hashes only).
	SetRecoveryCodes(ctx context.Context, user string, hashes [][]byte) error
	// UseRecoveryCode consumes a code; false when it is unknown or used.
	UseRecoveryCode(ctx context.Context, user string, hash []byte, at time.Time) (bool, error)
}

// Session is a logged-in browser. Only the hash of its secret is stored.
type Session struct {
	Hash      []byte
	User      string
	Tenant    string // the tenant the user works in now
	CSRF      string // anti-CSRF token bound to this session
	CreatedAt time.Time
	ExpiresAt time.Time
	LastSeen  time.Time
}

// Sessions stores sessions.
type Sessions interface {
	Create(ctx context.Context, s Session) error
	ByHash(ctx context.Context, hash []byte) (Session, error)
	// Touch records activity and may move the tenant the session works in.
	Touch(ctx context.Context, hash []byte, tenant string, at time.Time) error
	Delete(ctx context.Context, hash []byte) error
	// DeleteUser ends every session of a user (password change, lock).
	DeleteUser(ctx context.Context, user string) error
}
