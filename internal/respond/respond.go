// Package respond is the seam between cases and the systems that contain
// an incident: a Connector carries out block, isolate and disable actions
// (and their reversals) on a firewall, an EDR, a directory or a Yagura
// agent. This package validates what is asked; the connectors do it. It
// never decides whether an action is allowed: approval is the case's job.
package respond

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Action types and their reversals.
const (
	Block   = "block"   // IP, CIDR, domain or URL
	Isolate = "isolate" // a host
	Disable = "disable" // an account
	Unblock = "unblock"
	Release = "release"
	Enable  = "enable"
)

// Reverse returns the action that undoes t.
func Reverse(t string) (string, bool) {
	switch t {
	case Block:
		return Unblock, true
	case Isolate:
		return Release, true
	case Disable:
		return Enable, true
	}
	return "", false
}

// Request is one action to carry out.
type Request struct {
	ID          string     `json:"id"` // also the idempotency key
	Tenant      string     `json:"tenant"`
	CaseID      string     `json:"case_id"`
	Type        string     `json:"action"`
	Target      string     `json:"target"`
	DryRun      bool       `json:"dry_run"`
	ExpiresAt   *time.Time `json:"expires_at,omitempty"`
	RequestedBy string     `json:"requested_by"`
}

// Result is what a connector reports back.
type Result struct {
	Message string `json:"message"`
}

// Connector carries out actions.
type Connector interface {
	Name() string
	Execute(ctx context.Context, r Request) (Result, error)
}

var (
	hostName = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9._-]{0,252})$`)
	userName = regexp.MustCompile(`^[^\s"'<>;|&$` + "`" + `]{1,256}$`)
)

// Validate checks a target against its action type and returns it in
// canonical form (e.g. a CIDR's network address, a lower-case domain).
func Validate(action, target string) (string, error) {
	target = strings.TrimSpace(target)
	switch action {
	case Block, Unblock:
		if addr, err := netip.ParseAddr(target); err == nil {
			return addr.Unmap().String(), nil
		}
		if pfx, err := netip.ParsePrefix(target); err == nil {
			return pfx.Masked().String(), nil
		}
		if u, err := url.Parse(target); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
			return u.String(), nil
		}
		if d := strings.ToLower(strings.TrimSuffix(target, ".")); strings.Contains(d, ".") && hostName.MatchString(d) && net.ParseIP(d) == nil {
			return d, nil
		}
		return "", fmt.Errorf("block needs an IP address, a CIDR, a domain or an http(s) URL, not %q", target)
	case Isolate, Release:
		if !hostName.MatchString(target) {
			return "", fmt.Errorf("isolate needs a host name, not %q", target)
		}
		return strings.ToLower(target), nil
	case Disable, Enable:
		if !userName.MatchString(target) {
			return "", fmt.Errorf("disable needs an account name without spaces or shell characters, not %q", target)
		}
		return target, nil
	}
	return "", fmt.Errorf("unknown action %q (block, isolate, disable)", action)
}
