// Package agentcmd is the response connector that contains hosts through
// their Yagura agents: it signs containment commands (ed25519, with an
// expiry) with the server's key and queues them; each agent picks its
// commands up with its next heartbeat, checks signature and expiry, carries
// them out with nftables and reports the outcome, which the server records
// in the audit log.
//
// It never carries anything out itself and never sends a command unsigned.
package agentcmd

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/yagura-soc/yagura/internal/agent/wire"
	"github.com/yagura-soc/yagura/internal/respond"
	"github.com/yagura-soc/yagura/internal/store"
)

// ValidFor is how long an agent may still obey a queued command.
const ValidFor = 10 * time.Minute

// DefaultBlock is how long block-ip lasts when the request has no expiry.
const DefaultBlock = 24 * time.Hour

// Key is the server's signing key.
func Key(ctx context.Context, st store.State) (ed25519.PrivateKey, error) {
	seed, err := st.AgentDirectory().SigningKey(ctx)
	if err != nil {
		return nil, err
	}
	if len(seed) != ed25519.SeedSize {
		return nil, errors.New("agent signing key is damaged")
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// Order is one command to queue.
type Order struct {
	ID      string // empty: a new id
	AgentID string
	Action  string
	Targets []string
	TTL     time.Duration
	Actor   string
	CaseID  string
}

// Queue checks, signs and queues a command for one agent of tenant.
func Queue(ctx context.Context, st store.State, tenant string, o Order, now time.Time) (store.AgentCommand, error) {
	targets, err := checkOrder(o)
	if err != nil {
		return store.AgentCommand{}, err
	}
	key, err := Key(ctx, st)
	if err != nil {
		return store.AgentCommand{}, err
	}
	if o.ID == "" {
		o.ID = ulid.Make().String()
	}
	cmd := wire.Command{ID: o.ID, AgentID: o.AgentID, Action: o.Action, Targets: targets,
		TTLSeconds: int64(o.TTL.Seconds()), IssuedAt: now.UTC(), Expires: now.UTC().Add(ValidFor)}
	signed, err := wire.Sign(key, cmd)
	if err != nil {
		return store.AgentCommand{}, err
	}
	body, _ := json.Marshal(signed)
	c := store.AgentCommand{ID: cmd.ID, AgentID: o.AgentID, Action: o.Action, Targets: targets, Signed: body,
		Actor: o.Actor, CaseID: o.CaseID, CreatedAt: cmd.IssuedAt, Expires: cmd.Expires}
	if err := st.Scope(tenant).Agents().Commands().Queue(ctx, c); err != nil {
		return c, err
	}
	return c, nil
}

// checkOrder validates an order and returns its targets in canonical form.
func checkOrder(o Order) ([]string, error) {
	switch o.Action {
	case wire.ActionIsolate, wire.ActionRelease, wire.ActionUnblockIP:
		return nil, nil
	case wire.ActionBlockIP:
	default:
		return nil, fmt.Errorf("unknown agent action %q (isolate, release, block-ip, unblock-ip)", o.Action)
	}
	if o.TTL < time.Second {
		return nil, errors.New("block-ip needs a duration of at least one second")
	}
	if len(o.Targets) == 0 || len(o.Targets) > 1000 {
		return nil, errors.New("block-ip needs 1 to 1000 addresses or CIDRs")
	}
	out := make([]string, 0, len(o.Targets))
	for _, t := range o.Targets {
		t = strings.TrimSpace(t)
		if a, err := netip.ParseAddr(t); err == nil {
			out = append(out, a.Unmap().String())
			continue
		}
		p, err := netip.ParsePrefix(t)
		if err != nil {
			return nil, fmt.Errorf("block-ip target %q is not an IP address or CIDR", t)
		}
		out = append(out, p.Masked().String())
	}
	return out, nil
}

// Connector carries out a case's block, isolate and their reversals
// through the tenant's agents: isolate/release the agent on the host named
// by the target; block/unblock an address on every agent of the tenant.
type Connector struct {
	State store.State
	Now   func() time.Time
}

// Name implements respond.Connector.
func (Connector) Name() string { return "agent" }

// Execute implements respond.Connector. The command is queued, not done:
// the message says so, and the agent's report lands in the audit log.
func (c Connector) Execute(ctx context.Context, r respond.Request) (respond.Result, error) {
	now := time.Now().UTC()
	if c.Now != nil {
		now = c.Now()
	}
	agents, err := c.State.Scope(r.Tenant).Agents().List(ctx)
	if err != nil {
		return respond.Result{}, err
	}
	var action string
	var targets []string
	var ttl time.Duration
	var chosen []store.Agent
	switch r.Type {
	case respond.Isolate, respond.Release:
		action = wire.ActionIsolate
		if r.Type == respond.Release {
			action = wire.ActionRelease
		}
		for _, a := range agents {
			if strings.EqualFold(a.Hostname, r.Target) {
				chosen = append(chosen, a)
			}
		}
		if len(chosen) == 0 {
			return respond.Result{}, fmt.Errorf("no Yagura agent is enrolled on host %q in tenant %s", r.Target, r.Tenant)
		}
	case respond.Block, respond.Unblock:
		action = wire.ActionBlockIP
		if r.Type == respond.Unblock {
			action = wire.ActionUnblockIP
		}
		targets, ttl = []string{r.Target}, DefaultBlock
		if r.ExpiresAt != nil {
			ttl = r.ExpiresAt.Sub(now)
		}
		chosen = agents
		if len(chosen) == 0 {
			return respond.Result{}, fmt.Errorf("tenant %s has no Yagura agents to block %s on", r.Tenant, r.Target)
		}
	default:
		return respond.Result{}, fmt.Errorf("the agent connector cannot %s", r.Type)
	}
	names := make([]string, 0, len(chosen))
	for _, a := range chosen {
		names = append(names, a.Hostname)
	}
	if r.DryRun {
		if _, err := checkOrder(Order{Action: action, Targets: targets, TTL: ttl}); err != nil {
			return respond.Result{}, err
		}
		return respond.Result{Message: fmt.Sprintf("would queue %s for %d agent(s): %s", action, len(chosen), strings.Join(names, ", "))}, nil
	}
	for _, a := range chosen {
		_, err := Queue(ctx, c.State, r.Tenant, Order{ID: r.ID + "-" + a.ID, AgentID: a.ID, Action: action, Targets: targets, TTL: ttl,
			Actor: r.RequestedBy, CaseID: r.CaseID}, now)
		if err != nil && !errors.Is(err, store.ErrConflict) { // a conflict is this request already queued
			return respond.Result{}, fmt.Errorf("queue %s for %s: %w", action, a.Hostname, err)
		}
	}
	return respond.Result{Message: fmt.Sprintf("queued %s for %d agent(s): %s; each carries it out with its next heartbeat and reports to the audit log",
		action, len(chosen), strings.Join(names, ", "))}, nil
}
