// Package intel is the core of Yagura's threat intelligence: the indicator
// of compromise (IOC) model, the canonical form of every indicator value,
// the merge rule that deduplicates one indicator reported by many sources,
// the warning lists that keep well-known benign values out, and the policy
// that decides what may be distributed to blocking devices.
//
// Feed readers (intel/feed/...), the matcher (intel/match), the exporters
// (intel/export) and the store all speak this model. This package must stay
// free of I/O, clocks and global mutable state: callers pass the time in,
// and every function is safe for concurrent use.
package intel

import (
	"crypto/sha1"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Type is the kind of an indicator.
type Type string

// Indicator types. The value of each is stored in canonical form (see
// Canonical).
const (
	IPv4      Type = "ipv4"       // one IPv4 address
	IPv6      Type = "ipv6"       // one IPv6 address
	CIDR      Type = "cidr"       // an IPv4 or IPv6 network
	Domain    Type = "domain"     // a domain; its subdomains match too
	URL       Type = "url"        // a full URL
	MD5       Type = "md5"        // file hash
	SHA1      Type = "sha1"       // file hash
	SHA256    Type = "sha256"     // file hash
	Email     Type = "email"      // an e-mail address
	FileName  Type = "filename"   // a file name, without folders
	UserAgent Type = "user-agent" // an HTTP User-Agent string
	JA3       Type = "ja3"        // TLS client fingerprint (MD5 of the JA3 string)
	JA4       Type = "ja4"        // TLS client fingerprint, JA4 form
)

// Types lists every type, in the order documentation shows them.
var Types = []Type{IPv4, IPv6, CIDR, Domain, URL, MD5, SHA1, SHA256, Email, FileName, UserAgent, JA3, JA4}

// ParseType accepts a type name in Yagura's spelling or a common alias
// (STIX object names, MISP attribute types).
func ParseType(s string) (Type, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "ipv4", "ipv4-addr", "ip", "ip-dst", "ip-src":
		return IPv4, nil
	case "ipv6", "ipv6-addr":
		return IPv6, nil
	case "cidr", "network", "ip-range":
		return CIDR, nil
	case "domain", "domain-name", "hostname", "fqdn":
		return Domain, nil
	case "url", "uri", "link":
		return URL, nil
	case "md5":
		return MD5, nil
	case "sha1", "sha-1":
		return SHA1, nil
	case "sha256", "sha-256":
		return SHA256, nil
	case "email", "email-addr", "email-src", "email-dst":
		return Email, nil
	case "filename", "file-name", "file":
		return FileName, nil
	case "user-agent", "useragent", "user_agent":
		return UserAgent, nil
	case "ja3", "ja3-fingerprint-md5":
		return JA3, nil
	case "ja4":
		return JA4, nil
	}
	names := make([]string, len(Types))
	for i, t := range Types {
		names[i] = string(t)
	}
	return "", fmt.Errorf("unknown indicator type %q (types: %s)", s, strings.Join(names, ", "))
}

// IsHash reports whether t is a file hash type.
func (t Type) IsHash() bool { return t == MD5 || t == SHA1 || t == SHA256 }

// IsNetwork reports whether t is an address or network.
func (t Type) IsNetwork() bool { return t == IPv4 || t == IPv6 || t == CIDR }

// TLP levels (Traffic Light Protocol 2.0).
const (
	TLPClear       = "clear"
	TLPGreen       = "green"
	TLPAmber       = "amber"
	TLPAmberStrict = "amber+strict"
	TLPRed         = "red"
)

// ParseTLP accepts "TLP:AMBER", "amber", "white" (the TLP 1.0 name of clear).
func ParseTLP(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "tlp:")
	switch s {
	case "", "clear", "white":
		return TLPClear, nil
	case TLPGreen, TLPAmber, TLPAmberStrict, TLPRed:
		return s, nil
	}
	return "", fmt.Errorf("unknown TLP %q (use clear, green, amber, amber+strict or red)", s)
}

// Source is one feed or person that reported an indicator. An indicator
// keeps every source that reported it.
type Source struct {
	Name       string    `json:"name"`
	Confidence int       `json:"confidence"`
	Ref        string    `json:"ref,omitempty"` // the source's own id (STIX id, MISP uuid, feed row id)
	FirstSeen  time.Time `json:"first_seen"`
	LastSeen   time.Time `json:"last_seen"`
}

// IOC is one indicator of compromise of one tenant.
type IOC struct {
	ID          string     `json:"id"`
	Type        Type       `json:"type"`
	Value       string     `json:"value"`
	Confidence  int        `json:"confidence"` // 0–100, the highest of the sources
	TLP         string     `json:"tlp"`
	Tags        []string   `json:"tags"`
	Description string     `json:"description,omitempty"`
	Sources     []Source   `json:"sources"`
	FirstSeen   time.Time  `json:"first_seen"`
	LastSeen    time.Time  `json:"last_seen"`
	Expires     *time.Time `json:"expires,omitempty"` // nil: never
	ToBlock     bool       `json:"to_block"`
	Hits        int64      `json:"hits"`
	LastHit     *time.Time `json:"last_hit,omitempty"`
	// Revoked is set when the indicator was withdrawn (deleted through the
	// API or revoked by its feed); it stays stored so that change-feed
	// consumers learn to remove it.
	Revoked   bool      `json:"revoked"`
	Seq       int64     `json:"seq"` // position in the tenant's change feed
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Key is what makes an indicator unique within a tenant.
func (i IOC) Key() string { return string(i.Type) + "\x00" + i.Value }

// Source returns the name of the source with the highest confidence.
func (i IOC) Source() string {
	best := -1
	name := ""
	for _, s := range i.Sources {
		if s.Confidence > best {
			best, name = s.Confidence, s.Name
		}
	}
	return name
}

// Active reports whether the indicator is in force at now: not revoked
// and not expired.
func (i *IOC) Active(now time.Time) bool {
	return !i.Revoked && (i.Expires == nil || now.Before(*i.Expires))
}

// Prepare checks and completes an indicator read from a feed or typed by
// a person: the value is made canonical, the confidence bounded, the TLP
// and dates filled in. now stands in for missing dates.
func Prepare(in IOC, now time.Time) (IOC, error) {
	t, value, err := Canonical(in.Type, in.Value)
	if err != nil {
		return in, err
	}
	in.Type, in.Value = t, value
	if in.Confidence < 0 || in.Confidence > 100 {
		return in, fmt.Errorf("%s %s: confidence %d is outside 0-100", t, value, in.Confidence)
	}
	tlp, err := ParseTLP(in.TLP)
	if err != nil {
		return in, fmt.Errorf("%s %s: %w", t, value, err)
	}
	in.TLP = tlp
	if in.FirstSeen.IsZero() {
		in.FirstSeen = now
	}
	if in.LastSeen.IsZero() || in.LastSeen.Before(in.FirstSeen) {
		in.LastSeen = in.FirstSeen
	}
	in.FirstSeen, in.LastSeen = in.FirstSeen.UTC(), in.LastSeen.UTC()
	if in.Expires != nil {
		e := in.Expires.UTC()
		in.Expires = &e
	}
	in.Tags = normalizeTags(in.Tags)
	if len(in.Sources) == 0 {
		in.Sources = []Source{{Name: "manual"}}
	}
	for k := range in.Sources {
		s := &in.Sources[k]
		if s.Confidence == 0 {
			s.Confidence = in.Confidence
		}
		if s.FirstSeen.IsZero() {
			s.FirstSeen = in.FirstSeen
		}
		if s.LastSeen.IsZero() {
			s.LastSeen = in.LastSeen
		}
		s.FirstSeen, s.LastSeen = s.FirstSeen.UTC(), s.LastSeen.UTC()
	}
	return in, nil
}

func normalizeTags(tags []string) []string {
	out := make([]string, 0, len(tags))
	seen := map[string]bool{}
	for _, t := range tags {
		t = strings.TrimSpace(t)
		if t == "" || seen[t] {
			continue
		}
		seen[t] = true
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Merge folds a new report of an indicator into the stored one. The
// highest confidence wins (and with it the TLP, description and to_block
// flag of that report), every source is kept, tags are united, the seen
// window widens and the latest expiry holds. Identity, hits and
// bookkeeping fields of old are kept. A revoked indicator reported again
// comes back.
func Merge(old, in IOC) IOC {
	out := old
	if in.Confidence > old.Confidence || (in.Confidence == old.Confidence && in.ToBlock && !old.ToBlock) {
		out.Confidence = in.Confidence
		out.TLP = in.TLP
		out.ToBlock = in.ToBlock
		if in.Description != "" {
			out.Description = in.Description
		}
	}
	if out.Description == "" {
		out.Description = in.Description
	}
	out.Tags = normalizeTags(append(append([]string(nil), old.Tags...), in.Tags...))
	out.Sources = mergeSources(old.Sources, in.Sources)
	if in.FirstSeen.Before(out.FirstSeen) || out.FirstSeen.IsZero() {
		out.FirstSeen = in.FirstSeen
	}
	if in.LastSeen.After(out.LastSeen) {
		out.LastSeen = in.LastSeen
	}
	switch {
	case old.Revoked:
		out.Expires = in.Expires
	case old.Expires == nil || in.Expires == nil:
		out.Expires = nil
	case in.Expires.After(*old.Expires):
		out.Expires = in.Expires
	}
	out.Revoked = false
	return out
}

func mergeSources(old, in []Source) []Source {
	out := append([]Source(nil), old...)
	for _, s := range in {
		found := false
		for k := range out {
			if out[k].Name != s.Name {
				continue
			}
			found = true
			o := &out[k]
			o.Confidence = s.Confidence
			if s.Ref != "" {
				o.Ref = s.Ref
			}
			if s.FirstSeen.Before(o.FirstSeen) {
				o.FirstSeen = s.FirstSeen
			}
			if s.LastSeen.After(o.LastSeen) {
				o.LastSeen = s.LastSeen
			}
		}
		if !found {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out
}

// Changed reports whether a merge altered anything a consumer sees, so
// that an unchanged re-import does not churn the change feed.
func Changed(before, after IOC) bool {
	if before.Confidence != after.Confidence || before.TLP != after.TLP || before.ToBlock != after.ToBlock ||
		before.Revoked != after.Revoked || before.Description != after.Description ||
		!before.FirstSeen.Equal(after.FirstSeen) || !before.LastSeen.Equal(after.LastSeen) ||
		strings.Join(before.Tags, "\x00") != strings.Join(after.Tags, "\x00") || len(before.Sources) != len(after.Sources) {
		return true
	}
	if (before.Expires == nil) != (after.Expires == nil) || (before.Expires != nil && !before.Expires.Equal(*after.Expires)) {
		return true
	}
	for k := range before.Sources {
		if before.Sources[k] != after.Sources[k] {
			return true
		}
	}
	return false
}

// STIXID is the stable STIX identifier of an indicator of a tenant: the
// same tenant, type and value always give the same id, so a TAXII client
// that pulls twice sees one object, not two.
func STIXID(tenant string, t Type, value string) string {
	h := sha1.Sum([]byte("yagura\x00" + tenant + "\x00" + string(t) + "\x00" + value))
	h[6] = (h[6] & 0x0f) | 0x50 // version 5 (name-based, SHA-1)
	h[8] = (h[8] & 0x3f) | 0x80 // RFC 4122 variant
	return fmt.Sprintf("indicator--%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}
