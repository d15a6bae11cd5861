package store

import (
	"context"
	"fmt"
	"regexp"
	"time"
)

// State is the store of everything that is not an event.
type State interface {
	Tenants() Tenants
	Tokens() Tokens
	Users() Users
	Sessions() Sessions
	// AgentDirectory finds host agents by secret (see agents.go).
	AgentDirectory() AgentDirectory
	// Scope returns the handle for one tenant's objects. Every query run
	// through it is restricted to that tenant.
	Scope(tenant string) Scoped
	Close() error
}

// Scoped reaches the objects of one tenant.
type Scoped interface {
	Tenant() string
	Alerts() Alerts
	Suppressions() Suppressions
	EntityRisks() EntityRisks
	Notifications() Notifications
	Audit() Audit
	Retention() Retention
	Cases() Cases
	IOCs() IOCs
	Hunts() Hunts
	Assets() Assets
	Agents() Agents
	Rules() Rules // per-rule enable/disable (rules.go)
}

// Tenant is a customer (or the provider itself) whose data is isolated.
type Tenant struct {
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// DefaultTenant exists from the start.
const DefaultTenant = "default"

// tenantName keeps tenant names safe in paths, URLs, file names and logs.
var tenantName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// ValidTenantName reports why name cannot be a tenant, or nil.
func ValidTenantName(name string) error {
	if !tenantName.MatchString(name) {
		return fmt.Errorf("tenant name %q: use 1-63 lower-case letters, digits, - and _, starting with a letter or digit", name)
	}
	return nil
}

// Tenants manages the tenant list.
type Tenants interface {
	Create(ctx context.Context, name string) (Tenant, error)
	Get(ctx context.Context, name string) (Tenant, error)
	List(ctx context.Context) ([]Tenant, error)
}

// Token is an API token as stored: the secret itself is never kept, only
// its SHA-256 hash (tokens are long random strings, so a fast hash is
// enough; passwords use a slow hash elsewhere).
type Token struct {
	ID        string     `json:"id"`
	Tenant    string     `json:"tenant"`
	Role      string     `json:"role"`
	Name      string     `json:"name,omitempty"`
	Hash      []byte     `json:"-"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	LastUsed  *time.Time `json:"last_used,omitempty"`
	Revoked   bool       `json:"revoked"`
}

// Tokens manages API tokens. Lookup is by hash only.
type Tokens interface {
	Create(ctx context.Context, t Token) error
	ByHash(ctx context.Context, hash []byte) (Token, error)
	Touch(ctx context.Context, id string, at time.Time) error
	List(ctx context.Context, tenant string) ([]Token, error)
	Revoke(ctx context.Context, tenant, id string) error
}
