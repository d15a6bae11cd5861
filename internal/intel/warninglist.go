package intel

import (
	"fmt"
	"net/netip"
	"strings"
)

// WarningList is a named set of well-known benign values: public DNS
// resolvers, major CDNs and cloud front doors, special-purpose address
// ranges. An indicator on a warning list is almost always a mistake in a
// feed, and blocking it would break the network, so imports reject it and
// exports never carry it.
type WarningList struct {
	Name    string
	nets    []netip.Prefix
	domains map[string]bool
}

// NewWarningList builds a list from addresses, networks and domains.
func NewWarningList(name string, entries ...string) (*WarningList, error) {
	w := &WarningList{Name: name, domains: map[string]bool{}}
	for _, e := range entries {
		t, v, err := Canonical(Guess(e), e)
		if err != nil {
			return nil, fmt.Errorf("warning list %s: %w", name, err)
		}
		switch t {
		case IPv4, IPv6:
			a := netip.MustParseAddr(v)
			w.nets = append(w.nets, netip.PrefixFrom(a, a.BitLen()))
		case CIDR:
			w.nets = append(w.nets, netip.MustParsePrefix(v))
		case Domain:
			w.domains[v] = true
		default:
			return nil, fmt.Errorf("warning list %s: %q is neither an address, a network nor a domain", name, e)
		}
	}
	return w, nil
}

// Contains reports whether a canonical indicator hits the list: an
// address or network overlapping a listed network, a domain listed
// exactly (subdomains of a CDN are legitimate indicators; the CDN itself
// is not), a URL or e-mail address whose host is a listed domain's exact
// name and carries no path.
func (w *WarningList) Contains(t Type, value string) bool {
	switch t {
	case IPv4, IPv6:
		a, err := netip.ParseAddr(value)
		if err != nil {
			return false
		}
		for _, n := range w.nets {
			if n.Contains(a) {
				return true
			}
		}
	case CIDR:
		p, err := netip.ParsePrefix(value)
		if err != nil {
			return false
		}
		for _, n := range w.nets {
			if n.Overlaps(p) {
				return true
			}
		}
	case Domain:
		return w.domains[value]
	case URL:
		host := URLHost(value)
		rest := value[strings.Index(value, host)+len(host):]
		return w.domains[host] && (rest == "" || rest == "/")
	}
	return false
}

// WarningLists is the set a tenant checks against.
type WarningLists []*WarningList

// Hit names the first list that contains the indicator, or "".
func (ws WarningLists) Hit(t Type, value string) string {
	for _, w := range ws {
		if w.Contains(t, value) {
			return w.Name
		}
	}
	return ""
}

// DefaultWarningLists are the lists Yagura ships. They are deliberately
// short: the well-known values whose blocking would cut a network off.
func DefaultWarningLists() WarningLists {
	must := func(w *WarningList, err error) *WarningList {
		if err != nil {
			panic(err) // the built-in lists are constants; a test keeps them valid
		}
		return w
	}
	return WarningLists{
		must(NewWarningList("public-resolvers",
			"8.8.8.8", "8.8.4.4", "1.1.1.1", "1.0.0.1", "9.9.9.9", "149.112.112.112",
			"208.67.222.222", "208.67.220.220", "94.140.14.14", "94.140.15.15", "76.76.2.0",
			"2001:4860:4860::8888", "2001:4860:4860::8844", "2606:4700:4700::1111",
			"2606:4700:4700::1001", "2620:fe::fe", "2620:fe::9", "2620:119:35::35", "2620:119:53::53",
			"dns.google", "one.one.one.one", "cloudflare-dns.com", "dns.quad9.net", "resolver1.opendns.com")),
		must(NewWarningList("special-purpose-addresses",
			"0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4", "240.0.0.0/4",
			"::/128", "::1/128", "fe80::/10", "ff00::/8")),
		must(NewWarningList("major-services",
			"google.com", "www.google.com", "googleapis.com", "gstatic.com", "youtube.com",
			"microsoft.com", "www.microsoft.com", "windows.com", "windowsupdate.com", "office.com",
			"office365.com", "live.com", "outlook.com", "microsoftonline.com", "azure.com",
			"apple.com", "icloud.com", "amazon.com", "amazonaws.com", "facebook.com", "github.com",
			"cloudflare.com", "akamai.net", "akamaiedge.net", "akamaihd.net", "cloudfront.net",
			"fastly.net", "azureedge.net", "edgekey.net", "digicert.com", "letsencrypt.org")),
	}
}
