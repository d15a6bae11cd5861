// Package enrich adds context to normalized events before detection, so
// rules and risk scoring can weigh what an event touches. Today that is the
// asset inventory: events gain host.criticality and user.criticality (1–5)
// from the tenant's assets (store.Assets).
//
// It runs inside the pipeline's workers: it must stay fast (an in-memory
// index per tenant, refreshed from the store at most once per TTL), must
// never fail a batch (a store error keeps the last index), and only ever
// reads the event's own tenant's inventory.
package enrich

import (
	"context"
	"log/slog"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/store"
)

// ECS-style fields set on events.
const (
	FieldHostCriticality = "host.criticality"
	FieldUserCriticality = "user.criticality"
)

// Assets enriches events from the asset inventory.
type Assets struct {
	state store.State
	ttl   time.Duration
	log   *slog.Logger
	now   func() time.Time

	mu      sync.Mutex
	indexes map[string]*assetIndex // by tenant
}

// NewAssets builds the enricher; ttl bounds how stale the index may be
// (asset changes show within ttl).
func NewAssets(state store.State, ttl time.Duration, log *slog.Logger) *Assets {
	if ttl <= 0 {
		ttl = 30 * time.Second
	}
	return &Assets{state: state, ttl: ttl, log: log, now: time.Now, indexes: map[string]*assetIndex{}}
}

// assetIndex is one tenant's inventory, ready for lookups.
type assetIndex struct {
	loaded time.Time
	hosts  map[string]int // full and short host names
	users  map[string]int
	nets   []netCriticality // most specific first
}

type netCriticality struct {
	prefix      netip.Prefix
	criticality int
}

// Enrich sets host.criticality and user.criticality on the events of one
// tenant's batch (the pipeline's Enrich hook).
func (a *Assets) Enrich(tenant string, evs []*event.Event) {
	ix := a.index(tenant)
	if ix == nil {
		return
	}
	for _, ev := range evs {
		if c := ix.host(ev); c > 0 {
			ev.SetECS(FieldHostCriticality, int64(c))
		}
		if name, ok := ev.GetString("user.name"); ok && name != "" {
			if c, ok := ix.users[strings.ToLower(name)]; ok {
				ev.SetECS(FieldUserCriticality, int64(c))
			}
		}
	}
}

// host finds the event's host by name (full, then short), then by address.
func (ix *assetIndex) host(ev *event.Event) int {
	if name, ok := ev.GetString("host.name"); ok && name != "" {
		name = strings.ToLower(name)
		if c, ok := ix.hosts[name]; ok {
			return c
		}
		if short, _, found := strings.Cut(name, "."); found {
			if c, ok := ix.hosts[short]; ok {
				return c
			}
		}
	}
	if len(ix.nets) == 0 {
		return 0
	}
	v, ok := ev.Get("host.ip")
	if !ok {
		return 0
	}
	var ips []string
	switch x := v.(type) {
	case string:
		ips = []string{x}
	case []any:
		for _, e := range x {
			ips = append(ips, event.String(e))
		}
	case []string:
		ips = x
	}
	best := 0
	for _, s := range ips {
		ip, err := netip.ParseAddr(s)
		if err != nil {
			continue
		}
		for _, n := range ix.nets {
			if n.prefix.Contains(ip.Unmap()) {
				best = max(best, n.criticality)
				break // most specific match of this address
			}
		}
	}
	return best
}

// index returns tenant's index, reloading it when older than the TTL.
// Only one worker reloads; the others use the previous index meanwhile.
func (a *Assets) index(tenant string) *assetIndex {
	a.mu.Lock()
	ix := a.indexes[tenant]
	stale := ix == nil || a.now().Sub(ix.loaded) >= a.ttl
	if stale && ix != nil {
		// Mark as fresh so other workers do not reload too.
		cp := *ix
		cp.loaded = a.now()
		a.indexes[tenant] = &cp
	}
	a.mu.Unlock()
	if !stale {
		return ix
	}
	fresh, err := a.load(tenant)
	if err != nil {
		if a.log != nil {
			a.log.Warn("asset enrichment: loading the inventory failed; using the previous one", "tenant", tenant, "err", err)
		}
		return ix
	}
	a.mu.Lock()
	a.indexes[tenant] = fresh
	a.mu.Unlock()
	return fresh
}

func (a *Assets) load(tenant string) (*assetIndex, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	list, err := a.state.Scope(tenant).Assets().List(ctx, "")
	if err != nil {
		return nil, err
	}
	ix := &assetIndex{loaded: a.now(), hosts: map[string]int{}, users: map[string]int{}}
	for _, as := range list {
		switch as.Kind {
		case store.AssetUser:
			ix.users[as.Name] = as.Criticality
		case store.AssetHost:
			ix.hosts[as.Name] = max(ix.hosts[as.Name], as.Criticality)
			if short, _, found := strings.Cut(as.Name, "."); found {
				// A short name must not claim a more critical namesake.
				if _, taken := ix.hosts[short]; !taken {
					ix.hosts[short] = as.Criticality
				}
			}
			for _, n := range as.Networks {
				if p, err := netip.ParsePrefix(n); err == nil {
					ix.nets = append(ix.nets, netCriticality{p, as.Criticality})
				}
			}
		}
	}
	sort.SliceStable(ix.nets, func(i, j int) bool { return ix.nets[i].prefix.Bits() > ix.nets[j].prefix.Bits() })
	return ix, nil
}
