package intel

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxValueLen bounds an indicator value; longer input is rejected rather
// than stored, so a hostile feed cannot bloat the matcher.
const MaxValueLen = 2048

// Canonical checks value as an indicator of type t and returns it in the
// one form Yagura stores and matches: addresses in netip form, networks
// masked, domains and hashes lower case without a trailing dot, URLs with
// scheme and host lower case. Addresses given as a network of one host
// become addresses, and an address typed as CIDR becomes one too, so the
// returned type may differ from t.
func Canonical(t Type, value string) (Type, string, error) {
	v := strings.TrimSpace(value)
	if v == "" {
		return t, "", fmt.Errorf("%s: empty value", t)
	}
	if len(v) > MaxValueLen {
		return t, "", fmt.Errorf("%s: value of %d bytes is longer than %d", t, len(v), MaxValueLen)
	}
	if !utf8.ValidString(v) {
		return t, "", fmt.Errorf("%s: value is not valid UTF-8", t)
	}
	switch t {
	case IPv4, IPv6, CIDR:
		return canonicalNet(t, v)
	case Domain:
		d, err := canonicalDomain(v)
		return Domain, d, err
	case URL:
		u, err := canonicalURL(v)
		return URL, u, err
	case MD5, SHA1, SHA256, JA3:
		want := map[Type]int{MD5: 32, SHA1: 40, SHA256: 64, JA3: 32}[t]
		h := strings.ToLower(v)
		if len(h) != want || !isHex(h) {
			return t, "", fmt.Errorf("%s %q: want %d hexadecimal digits", t, short(v), want)
		}
		return t, h, nil
	case JA4:
		h := strings.ToLower(v)
		for _, r := range h {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
				return t, "", fmt.Errorf("ja4 %q: only letters, digits and _ are allowed", short(v))
			}
		}
		if len(h) < 10 {
			return t, "", fmt.Errorf("ja4 %q: too short for a JA4 fingerprint", short(v))
		}
		return t, h, nil
	case Email:
		at := strings.LastIndexByte(v, '@')
		if at <= 0 || at == len(v)-1 || strings.ContainsAny(v, " \t<>,;") {
			return t, "", fmt.Errorf("email %q: want local@domain", short(v))
		}
		d, err := canonicalDomain(v[at+1:])
		if err != nil {
			return t, "", fmt.Errorf("email %q: %w", short(v), err)
		}
		return t, strings.ToLower(v[:at]) + "@" + d, nil
	case FileName:
		if strings.ContainsAny(v, "/\\\x00") {
			return t, "", fmt.Errorf("filename %q: a file name has no folder separators", short(v))
		}
		return t, v, nil
	case UserAgent:
		if strings.ContainsAny(v, "\r\n\x00") {
			return t, "", fmt.Errorf("user-agent %q: contains a line break", short(v))
		}
		return t, v, nil
	}
	return t, "", fmt.Errorf("unknown indicator type %q", t)
}

func canonicalNet(t Type, v string) (Type, string, error) {
	if strings.Contains(v, "/") {
		p, err := netip.ParsePrefix(v)
		if err != nil {
			return t, "", fmt.Errorf("%s %q: not a network in address/length form", t, short(v))
		}
		p = p.Masked()
		if p.IsSingleIP() {
			return addrType(p.Addr()), p.Addr().String(), nil
		}
		return CIDR, p.String(), nil
	}
	a, err := netip.ParseAddr(v)
	if err != nil {
		return t, "", fmt.Errorf("%s %q: not an IP address", t, short(v))
	}
	if a.Zone() != "" {
		return t, "", fmt.Errorf("%s %q: an address with a zone cannot be an indicator", t, short(v))
	}
	a = a.Unmap()
	return addrType(a), a.String(), nil
}

func addrType(a netip.Addr) Type {
	if a.Unmap().Is4() {
		return IPv4
	}
	return IPv6
}

// canonicalDomain lower-cases a domain, drops a trailing dot and checks
// that each label is a DNS label (letters, digits, hyphen, underscore).
func canonicalDomain(v string) (string, error) {
	d := strings.TrimSuffix(strings.ToLower(v), ".")
	if d == "" || len(d) > 253 {
		return "", fmt.Errorf("domain %q: want 1-253 characters", short(v))
	}
	if !strings.Contains(d, ".") {
		return "", fmt.Errorf("domain %q: a single label is not a domain that can be matched safely", short(v))
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 {
			return "", fmt.Errorf("domain %q: empty or over-long label", short(v))
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return "", fmt.Errorf("domain %q: character %q is not allowed (use the punycode form)", short(v), r)
			}
		}
	}
	if _, err := netip.ParseAddr(d); err == nil {
		return "", fmt.Errorf("domain %q: is an IP address", short(v))
	}
	return d, nil
}

func canonicalURL(v string) (string, error) {
	u, err := url.Parse(v)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "", fmt.Errorf("url %q: want scheme://host/path", short(v))
	}
	for _, r := range v {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return "", fmt.Errorf("url %q: contains white space or control characters", short(v))
		}
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	return u.String(), nil
}

// URLHost is the host of a canonical URL without the port, "" if none.
func URLHost(u string) string {
	rest, ok := strings.CutPrefix(u[strings.Index(u, ":")+1:], "//")
	if !ok {
		return ""
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		rest = rest[i+1:]
	}
	if strings.HasPrefix(rest, "[") {
		if i := strings.IndexByte(rest, ']'); i > 0 {
			return rest[1:i]
		}
	}
	if i := strings.LastIndexByte(rest, ':'); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// Guess names the type of a bare value in a text list: addresses and
// networks, URLs, e-mail addresses, hashes by length, else domains.
func Guess(v string) Type {
	v = strings.TrimSpace(v)
	switch {
	case strings.Contains(v, "://"):
		return URL
	case strings.Contains(v, "/"):
		return CIDR
	case strings.Contains(v, "@"):
		return Email
	}
	if a, err := netip.ParseAddr(v); err == nil {
		return addrType(a)
	}
	if isHex(v) {
		switch len(v) {
		case 32:
			return MD5
		case 40:
			return SHA1
		case 64:
			return SHA256
		}
	}
	return Domain
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return s != ""
}

// short keeps error messages readable when the value is huge.
func short(v string) string {
	if len(v) > 80 {
		return v[:77] + "..."
	}
	return v
}
