package agent

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"runtime"
	"strconv"
	"time"

	"github.com/yagura-soc/yagura/internal/agent/contain"
	"github.com/yagura-soc/yagura/internal/agent/wire"
)

// containment carries out commands; contain.Nft on Linux.
type containment interface {
	Isolate(ctx context.Context, allow []netip.AddrPort) error
	Release(ctx context.Context) error
	Block(ctx context.Context, addrs []netip.Prefix, ttl time.Duration) error
	Unblock(ctx context.Context) error
}

// obey verifies and carries out the server's commands, once each, and
// keeps their results for the next heartbeat. A command that fails
// verification is refused, never carried out.
func (a *Agent) obey(ctx context.Context, cmds []wire.SignedCommand) {
	for _, sc := range cmds {
		c, err := wire.Verify(a.id.CommandKey, sc, a.id.AgentID, time.Now())
		a.cmdMu.Lock()
		seen := c.ID != "" && a.obeyed[c.ID]
		a.cmdMu.Unlock()
		if seen {
			continue
		}
		if err == nil {
			err = a.execute(ctx, c)
		}
		if c.ID == "" {
			a.noteError("command refused", err)
			a.log.Error("command refused: it cannot be read or is not signed by this agent's server", "err", err)
			continue
		}
		res := wire.CommandResult{ID: c.ID, OK: err == nil}
		if err != nil {
			res.Error = err.Error()
			a.log.Error("command not carried out", "id", c.ID, "action", c.Action, "err", err)
		} else {
			a.log.Warn("command carried out", "id", c.ID, "action", c.Action, "targets", c.Targets)
		}
		a.cmdMu.Lock()
		a.obeyed[c.ID] = true
		a.results = append(a.results, res)
		a.cmdMu.Unlock()
	}
}

func (a *Agent) execute(ctx context.Context, c wire.Command) error {
	if a.contain == nil {
		return fmt.Errorf("containment needs nftables; not available on %s", runtime.GOOS)
	}
	switch c.Action {
	case wire.ActionIsolate:
		allow, err := serverEndpoints(ctx, a.id.Server)
		if err != nil {
			return err
		}
		return a.contain.Isolate(ctx, allow)
	case wire.ActionRelease:
		return a.contain.Release(ctx)
	case wire.ActionBlockIP:
		var pfx []netip.Prefix
		for _, t := range c.Targets {
			p, err := netip.ParsePrefix(t)
			if err != nil {
				addr, aerr := netip.ParseAddr(t)
				if aerr != nil {
					return fmt.Errorf("block-ip target %q is not an address", t)
				}
				p = netip.PrefixFrom(addr, addr.BitLen())
			}
			pfx = append(pfx, p)
		}
		return a.contain.Block(ctx, pfx, time.Duration(c.TTLSeconds)*time.Second)
	case wire.ActionUnblockIP:
		return a.contain.Unblock(ctx)
	}
	return fmt.Errorf("unknown action %q", c.Action)
}

// serverEndpoints are the addresses and port of the server, resolved now:
// once the host is isolated it can no longer ask DNS.
func serverEndpoints(ctx context.Context, server string) ([]netip.AddrPort, error) {
	u, err := url.Parse(server)
	if err != nil {
		return nil, fmt.Errorf("server URL %q: %w", server, err)
	}
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("server port %q: %w", port, err)
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", u.Hostname())
	if err != nil || len(addrs) == 0 {
		return nil, errors.Join(errors.New("isolate: cannot resolve the server, refusing to cut the host off from it"), err)
	}
	out := make([]netip.AddrPort, 0, len(addrs))
	for _, a := range addrs {
		out = append(out, netip.AddrPortFrom(a.Unmap(), uint16(p)))
	}
	return out, nil
}

// takeResults hands the pending results to a heartbeat.
func (a *Agent) takeResults() []wire.CommandResult {
	a.cmdMu.Lock()
	defer a.cmdMu.Unlock()
	return append([]wire.CommandResult(nil), a.results...)
}

// resultsDelivered drops the first n results once a heartbeat carrying
// them was answered.
func (a *Agent) resultsDelivered(n int) {
	a.cmdMu.Lock()
	defer a.cmdMu.Unlock()
	a.results = a.results[n:]
}

// newContainment is nftables on Linux, nothing elsewhere.
func newContainment() containment {
	if runtime.GOOS != "linux" {
		return nil
	}
	return contain.Nft{}
}
