package ingest

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"
)

// TenantMap decides which tenant a connection's records belong to. The
// most specific rule wins: the TLS client certificate (its subject CN or
// one of its DNS/e-mail SANs), then the longest matching source network,
// then the listener's default tenant.
type TenantMap struct {
	Default  string
	Networks []NetworkTenant
	Certs    map[string]string // certificate CN or SAN → tenant
}

// NetworkTenant maps a source network to a tenant.
type NetworkTenant struct {
	Prefix netip.Prefix
	Tenant string
}

// ParseNetworks reads "CIDR → tenant" pairs from configuration.
func ParseNetworks(m map[string]string) ([]NetworkTenant, error) {
	out := make([]NetworkTenant, 0, len(m))
	for cidr, tenant := range m {
		p, err := netip.ParsePrefix(strings.TrimSpace(cidr))
		if err != nil {
			// A bare address means that one host.
			a, aerr := netip.ParseAddr(strings.TrimSpace(cidr))
			if aerr != nil {
				return nil, fmt.Errorf("tenant mapping: %q is not a network (use CIDR like 10.1.0.0/16): %w", cidr, err)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		if tenant == "" {
			return nil, fmt.Errorf("tenant mapping: network %s maps to an empty tenant", cidr)
		}
		out = append(out, NetworkTenant{Prefix: p.Masked(), Tenant: tenant})
	}
	return out, nil
}

// Resolve returns the tenant for a peer address and, on TLS connections,
// the verified connection state (nil otherwise).
func (m TenantMap) Resolve(remote net.Addr, state *tls.ConnectionState) string {
	if state != nil && len(m.Certs) > 0 && len(state.PeerCertificates) > 0 {
		// Only the leaf counts, and only when the handshake verified it.
		if len(state.VerifiedChains) > 0 {
			leaf := state.PeerCertificates[0]
			if t, ok := m.Certs[leaf.Subject.CommonName]; ok && leaf.Subject.CommonName != "" {
				return t
			}
			for _, n := range leaf.DNSNames {
				if t, ok := m.Certs[n]; ok {
					return t
				}
			}
			for _, n := range leaf.EmailAddresses {
				if t, ok := m.Certs[n]; ok {
					return t
				}
			}
		}
	}
	if len(m.Networks) > 0 {
		if ip, ok := addrIP(remote); ok {
			best, bits := "", -1
			for _, n := range m.Networks {
				if n.Prefix.Contains(ip) && n.Prefix.Bits() > bits {
					best, bits = n.Tenant, n.Prefix.Bits()
				}
			}
			if bits >= 0 {
				return best
			}
		}
	}
	return m.Default
}

// handshakeTimeout bounds how long a TLS client may take to say hello, so
// that idle sockets cannot pile up before they are even authenticated.
const handshakeTimeout = 30 * time.Second

// Conn picks the tenant of a stream connection's records, first completing
// the TLS handshake when c is a TLS connection (its verified certificate
// may name the tenant). An error is a failed handshake: end the connection.
func (m TenantMap) Conn(c net.Conn) (string, error) {
	tc, ok := c.(*tls.Conn)
	if !ok {
		return m.Resolve(c.RemoteAddr(), nil), nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), handshakeTimeout)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		return "", err
	}
	st := tc.ConnectionState()
	return m.Resolve(c.RemoteAddr(), &st), nil
}

func addrIP(a net.Addr) (netip.Addr, bool) {
	if a == nil {
		return netip.Addr{}, false
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Addr{}, false
	}
	return ap.Addr().Unmap(), true
}
