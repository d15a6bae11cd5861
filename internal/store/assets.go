package store

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Asset kinds.
const (
	AssetHost = "host"
	AssetUser = "user"
)

// Asset is an entry of a tenant's inventory: a host or a user account,
// with how much it matters (criticality 1 = low … 5 = crown jewels), who
// owns it, free tags and, for hosts, the networks (CIDR or single
// addresses) it is reached at. Enrichment matches events to assets by
// name (host.name, user.name) and, for hosts, by address.
type Asset struct {
	ID          string    `json:"id"`
	Tenant      string    `json:"tenant"`
	Kind        string    `json:"kind"` // host or user
	Name        string    `json:"name"` // host name or user name, lower case
	Criticality int       `json:"criticality"`
	Owner       string    `json:"owner,omitempty"`
	Tags        []string  `json:"tags"`
	Networks    []string  `json:"networks"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Normalize canonicalizes an asset for storage and matching, or says what
// is wrong with it.
func (a *Asset) Normalize() error {
	a.Kind = strings.ToLower(strings.TrimSpace(a.Kind))
	a.Name = strings.ToLower(strings.TrimSpace(a.Name))
	a.Owner = strings.TrimSpace(a.Owner)
	switch {
	case a.Kind != AssetHost && a.Kind != AssetUser:
		return fmt.Errorf("asset kind %q: use host or user", a.Kind)
	case a.Name == "":
		return fmt.Errorf("a %s asset needs a name", a.Kind)
	case a.Criticality < 1 || a.Criticality > 5:
		return fmt.Errorf("asset %q: criticality %d is out of range (1 = low … 5 = critical)", a.Name, a.Criticality)
	case a.Kind == AssetUser && len(a.Networks) > 0:
		return fmt.Errorf("user %q: networks belong to hosts", a.Name)
	}
	tags := a.Tags[:0:0]
	for _, t := range a.Tags {
		if t = strings.TrimSpace(t); t != "" {
			tags = append(tags, t)
		}
	}
	a.Tags = tags
	nets := make([]string, 0, len(a.Networks))
	for _, n := range a.Networks {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		p, err := netip.ParsePrefix(n)
		if err != nil {
			ip, ierr := netip.ParseAddr(n)
			if ierr != nil {
				return fmt.Errorf("asset %q: %q is not a network (use CIDR like 10.1.2.0/24 or an address)", a.Name, n)
			}
			p = netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen())
		}
		nets = append(nets, p.Masked().String())
	}
	a.Networks = nets
	return nil
}

// Assets is one tenant's asset inventory.
type Assets interface {
	// Upsert stores an asset, replacing the one of the same kind and name
	// (its ID and creation time are kept). The asset must be normalized.
	Upsert(ctx context.Context, a Asset) (Asset, error)
	Get(ctx context.Context, id string) (Asset, error)
	// List returns the assets of kind ("" for all) by kind and name.
	List(ctx context.Context, kind string) ([]Asset, error)
	Delete(ctx context.Context, id string) error
}
