// Package auth decides who is calling and what they may do: API tokens
// (random secrets stored only as SHA-256 hashes), roles, and the permission
// each role grants. It never stores a secret in clear text and never trusts
// a tenant named by the caller over the one bound to the credential.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/yagura-soc/yagura/internal/store"
)

// Roles. Human roles follow a SOC's tiers; ingest is for log shippers.
const (
	RoleMonitor   = "monitor"   // L1: triage alerts
	RoleAnalyst   = "analyst"   // L2: investigate, hunt
	RoleLead      = "lead"      // decide severity, approve actions, manage rules
	RoleResponder = "responder" // run response actions
	RoleCSIRT     = "csirt"     // escalated cases
	RoleAuditor   = "auditor"   // read-only, audit log included
	RoleAdmin     = "admin"     // users, tenants, settings
	RoleIngest    = "ingest"    // send events, nothing else
)

// RoleExport is for blocking devices (firewalls, DNS resolvers, partner
// TAXII clients) that pull threat-intelligence lists, nothing else.
const RoleExport = "export"

// RoleEnroll is for enrollment tokens: a host agent presents one once to
// obtain its own identity, nothing else.
const RoleEnroll = "enroll"

// Roles lists every role, for validation and documentation.
var Roles = []string{RoleMonitor, RoleAnalyst, RoleLead, RoleResponder, RoleCSIRT, RoleAuditor, RoleAdmin, RoleIngest, RoleExport, RoleEnroll}

// Permission names one kind of action.
type Permission string

// Permissions of the core API.
const (
	PermSelf           Permission = "self" // see and end one's own session
	PermEventsWrite    Permission = "events:write"
	PermEventsRead     Permission = "events:read"
	PermAlertsRead     Permission = "alerts:read"
	PermUsersManage    Permission = "users:manage"
	PermTokens         Permission = "tokens:manage"
	PermTenants        Permission = "tenants:manage" // only in the provider tenant, see ProviderTenant
	PermAuditRead      Permission = "audit:read"
	PermRetention      Permission = "retention:manage"
	PermLegalHold      Permission = "legal_hold:manage"
	PermCasesRead      Permission = "cases:read"
	PermCasesWrite     Permission = "cases:write"
	PermActionsRun     Permission = "actions:run"
	PermActionsApprove Permission = "actions:approve"
	PermCompliance     Permission = "compliance:read"
)

// Permissions of the asset inventory.
const (
	PermAssetsRead  Permission = "assets:read"  // see hosts, users and their criticality
	PermAssetsWrite Permission = "assets:write" // add, change, import and delete assets
)

// Permissions of alert triage.
const (
	PermTriage   Permission = "alerts:triage"        // status, assignee, comments
	PermSuppress Permission = "suppressions:manage"  // exceptions, "suppress alerts like this"
	PermNotify   Permission = "notifications:manage" // channels, routes, dead letters
)

// Permissions of threat intelligence.
const (
	PermIntelRead      Permission = "intel:read"      // search indicators
	PermIntelWrite     Permission = "intel:write"     // import, add, edit, revoke indicators
	PermIntelExport    Permission = "intel:export"    // pull block lists, the change feed, TAXII
	PermIntelConsumers Permission = "intel:consumers" // set export consumers' confidence thresholds
	PermHuntsManage    Permission = "hunts:manage"    // save, schedule and run hunts, retro-hunts
)

// Permissions of host agents.
const (
	PermAgentsEnroll Permission = "agents:enroll" // trade an enrollment token for an agent identity
	PermAgentsRead   Permission = "agents:read"   // list agents and their health
	PermAgentsManage Permission = "agents:manage" // set what agents collect
)

// Permissions of detection rules.
const (
	PermRulesRead   Permission = "rules:read"   // list rules, their YAML, state and hit counts
	PermRulesTest   Permission = "rules:test"   // run a draft rule against events
	PermRulesManage Permission = "rules:manage" // enable or disable rules, reload the rule files
)

// ProviderTenant is the tenant of the organisation that runs Yagura. Its
// admins manage tenants; every other permission is bound to one tenant.
const ProviderTenant = "default"

// everyone is every human role.
var everyone = []string{RoleMonitor, RoleAnalyst, RoleLead, RoleResponder, RoleCSIRT, RoleAuditor, RoleAdmin}

// grants is the permission matrix: which roles hold each permission.
var grants = map[Permission][]string{
	PermSelf:           append([]string{RoleIngest}, everyone...),
	PermEventsWrite:    {RoleIngest, RoleAdmin},
	PermEventsRead:     everyone,
	PermAlertsRead:     everyone,
	PermUsersManage:    {RoleAdmin},
	PermTokens:         {RoleAdmin},
	PermTenants:        {RoleAdmin},
	PermAuditRead:      {RoleAuditor, RoleAdmin},
	PermRetention:      {RoleAdmin},
	PermLegalHold:      {RoleLead, RoleCSIRT, RoleAdmin},
	PermCasesRead:      everyone,
	PermCasesWrite:     {RoleMonitor, RoleAnalyst, RoleLead, RoleResponder, RoleCSIRT, RoleAdmin},
	PermActionsRun:     {RoleResponder, RoleLead, RoleAdmin},
	PermActionsApprove: {RoleLead, RoleAdmin},
	PermCompliance:     {RoleAuditor, RoleLead, RoleAdmin},
	// Asset inventory: everyone sees what matters; leads decide it.
	PermAssetsRead:  everyone,
	PermAssetsWrite: {RoleLead, RoleAdmin},

	// Alert triage: the SOC tiers triage; leads manage exceptions and
	// where notifications go.
	PermTriage:   {RoleMonitor, RoleAnalyst, RoleLead, RoleResponder, RoleCSIRT, RoleAdmin},
	PermSuppress: {RoleLead, RoleAdmin},
	PermNotify:   {RoleLead, RoleAdmin},

	// Threat intelligence: the SOC reads it, investigators and responders
	// add to it, blocking devices only pull the lists.
	PermIntelRead:      everyone,
	PermIntelWrite:     {RoleAnalyst, RoleLead, RoleResponder, RoleCSIRT, RoleAdmin},
	PermIntelExport:    {RoleExport, RoleAnalyst, RoleLead, RoleResponder, RoleCSIRT, RoleAdmin},
	PermIntelConsumers: {RoleLead, RoleAdmin},

	// Hunting: investigators save and schedule hunts and run retro-hunts.
	PermHuntsManage: {RoleAnalyst, RoleLead, RoleCSIRT, RoleAdmin},

	// Host agents: enrollment tokens only enroll; everyone sees agent
	// health; leads decide what agents collect.
	PermAgentsEnroll: {RoleEnroll, RoleAdmin},
	PermAgentsRead:   everyone,
	PermAgentsManage: {RoleLead, RoleAdmin},

	// Detection rules: everyone sees what runs; investigators try drafts;
	// leads decide what runs.
	PermRulesRead:   everyone,
	PermRulesTest:   {RoleAnalyst, RoleLead, RoleCSIRT, RoleAdmin},
	PermRulesManage: {RoleLead, RoleAdmin},
}

// Allowed reports whether role holds perm.
func Allowed(role string, perm Permission) bool {
	for _, r := range grants[perm] {
		if r == role {
			return true
		}
	}
	return false
}

// ValidRole reports whether name is a role.
func ValidRole(name string) bool {
	for _, r := range Roles {
		if r == name {
			return true
		}
	}
	return false
}

// Principal is an authenticated caller.
type Principal struct {
	TokenID string // set when a token authenticated the request
	User    string // set when a user session did
	Tenant  string
	Role    string
}

// Actor names the principal in the audit trail.
func (p Principal) Actor() string {
	if p.User != "" {
		return p.User
	}
	return "token:" + p.TokenID
}

// tokenPrefix marks Yagura secrets so that secret scanners can find leaks.
const tokenPrefix = "ygr_"

// HashToken is how a token secret is stored and looked up.
func HashToken(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// CreateToken makes a token for tenant and role, stores its hash and
// returns the secret, which exists nowhere else afterwards.
func CreateToken(ctx context.Context, tokens store.Tokens, tenant, role, name string, ttl time.Duration, now time.Time) (string, store.Token, error) {
	if !ValidRole(role) {
		return "", store.Token{}, fmt.Errorf("unknown role %q (roles: %s)", role, strings.Join(Roles, ", "))
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", store.Token{}, fmt.Errorf("token: random: %w", err)
	}
	secret := tokenPrefix + base64.RawURLEncoding.EncodeToString(raw[:])
	tok := store.Token{ID: ulid.Make().String(), Tenant: tenant, Role: role, Name: name,
		Hash: HashToken(secret), CreatedAt: now.UTC()}
	if ttl > 0 {
		exp := now.Add(ttl).UTC()
		tok.ExpiresAt = &exp
	}
	if err := tokens.Create(ctx, tok); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return "", store.Token{}, fmt.Errorf("tenant %q does not exist (create it with 'yagura tenant create')", tenant)
		}
		return "", store.Token{}, err
	}
	return secret, tok, nil
}

// ErrUnauthenticated means the credential is missing, unknown, revoked or
// expired. Callers answer 401 without saying which.
var ErrUnauthenticated = errors.New("missing or invalid API token")

// Authenticate resolves a token secret to its principal.
func Authenticate(ctx context.Context, tokens store.Tokens, secret string, now time.Time) (Principal, error) {
	if !strings.HasPrefix(secret, tokenPrefix) {
		return Principal{}, ErrUnauthenticated
	}
	tok, err := tokens.ByHash(ctx, HashToken(secret))
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, ErrUnauthenticated
	}
	if err != nil {
		return Principal{}, fmt.Errorf("authenticate: %w", err)
	}
	if tok.Revoked || (tok.ExpiresAt != nil && !now.Before(*tok.ExpiresAt)) {
		return Principal{}, ErrUnauthenticated
	}
	return Principal{TokenID: tok.ID, Tenant: tok.Tenant, Role: tok.Role}, nil
}
