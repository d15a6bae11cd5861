// Package contain carries out containment on the host with nftables:
// isolate (drop everything except loopback and the Yagura server), release
// (remove exactly what isolate added), and block-ip (drop traffic to and
// from addresses for a while).
//
// It works only in tables of its own (inet yagura_isolate, inet
// yagura_block), so the host's other rules are never read, changed or
// rewritten: release deletes Yagura's table and the ruleset is what it was
// before, byte for byte. Rules are generated from parsed addresses only and
// handed to `nft -f -` on standard input; nothing is ever passed through a
// shell.
package contain

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os/exec"
	"strings"
	"time"
)

// Tables Yagura owns.
const (
	IsolateTable = "yagura_isolate"
	BlockTable   = "yagura_block"
)

// Nft runs nft. Command is the program and leading arguments: ["nft"] on a
// host, ["ip", "netns", "exec", NS, "nft"] in a test namespace.
type Nft struct {
	Command []string
}

func (n Nft) run(ctx context.Context, stdin string, args ...string) (string, error) {
	cmd := n.Command
	if len(cmd) == 0 {
		cmd = []string{"nft"}
	}
	c := exec.CommandContext(ctx, cmd[0], append(append([]string{}, cmd[1:]...), args...)...)
	if stdin != "" {
		c.Stdin = strings.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	if err := c.Run(); err != nil {
		return "", fmt.Errorf("nft %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}

// Ruleset is the whole current ruleset, as `nft list ruleset` prints it.
func (n Nft) Ruleset(ctx context.Context) (string, error) {
	return n.run(ctx, "", "list", "ruleset")
}

// IsolateScript is the nft script that cuts the host off from everything
// but loopback and the given server endpoints. Replacing an existing
// isolation is atomic: the script deletes and re-creates the table in one
// transaction.
func IsolateScript(allow []netip.AddrPort, exists bool) (string, error) {
	if len(allow) == 0 {
		return "", errors.New("isolate: no server address to keep reachable; refusing to cut the host off completely")
	}
	var b strings.Builder
	if exists {
		fmt.Fprintf(&b, "delete table inet %s\n", IsolateTable)
	}
	fmt.Fprintf(&b, "table inet %s {\n", IsolateTable)
	for _, hook := range []string{"input", "output"} {
		fmt.Fprintf(&b, "\tchain %s {\n\t\ttype filter hook %s priority -300; policy drop;\n", hook, hook)
		if hook == "input" {
			b.WriteString("\t\tiifname \"lo\" accept\n")
		} else {
			b.WriteString("\t\toifname \"lo\" accept\n")
		}
		for _, ap := range allow {
			a := ap.Addr().Unmap()
			if !a.IsValid() || ap.Port() == 0 {
				return "", fmt.Errorf("isolate: %v is not an address and port", ap)
			}
			fam := "ip"
			if a.Is6() {
				fam = "ip6"
			}
			if hook == "input" {
				fmt.Fprintf(&b, "\t\t%s saddr %s tcp sport %d accept\n", fam, a, ap.Port())
			} else {
				fmt.Fprintf(&b, "\t\t%s daddr %s tcp dport %d accept\n", fam, a, ap.Port())
			}
		}
		b.WriteString("\t}\n")
	}
	b.WriteString("}\n")
	return b.String(), nil
}

// Isolate applies IsolateScript.
func (n Nft) Isolate(ctx context.Context, allow []netip.AddrPort) error {
	exists, err := n.hasTable(ctx, IsolateTable)
	if err != nil {
		return err
	}
	script, err := IsolateScript(allow, exists)
	if err != nil {
		return err
	}
	_, err = n.run(ctx, script, "-f", "-")
	return err
}

// Release removes the isolation; without one it does nothing.
func (n Nft) Release(ctx context.Context) error {
	exists, err := n.hasTable(ctx, IsolateTable)
	if err != nil || !exists {
		return err
	}
	_, err = n.run(ctx, "", "delete", "table", "inet", IsolateTable)
	return err
}

// BlockScript adds addresses to Yagura's block sets, each for ttl (the
// kernel removes them when it runs out).
func BlockScript(addrs []netip.Prefix, ttl time.Duration) (string, error) {
	if len(addrs) == 0 {
		return "", errors.New("block-ip: no address")
	}
	if ttl < time.Second {
		return "", errors.New("block-ip: give a duration of at least one second")
	}
	var v4, v6 []string
	for _, p := range addrs {
		p = p.Masked()
		s := p.String()
		if p.IsSingleIP() {
			s = p.Addr().String()
		}
		if p.Addr().Is4() {
			v4 = append(v4, fmt.Sprintf("%s timeout %ds", s, int(ttl.Seconds())))
		} else {
			v6 = append(v6, fmt.Sprintf("%s timeout %ds", s, int(ttl.Seconds())))
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `table inet %s {
	set v4 { type ipv4_addr; flags interval, timeout; }
	set v6 { type ipv6_addr; flags interval, timeout; }
	chain input { type filter hook input priority -310; policy accept; ip saddr @v4 drop; ip6 saddr @v6 drop; }
	chain output { type filter hook output priority -310; policy accept; ip daddr @v4 drop; ip6 daddr @v6 drop; }
}
`, BlockTable)
	if len(v4) > 0 {
		fmt.Fprintf(&b, "add element inet %s v4 { %s }\n", BlockTable, strings.Join(v4, ", "))
	}
	if len(v6) > 0 {
		fmt.Fprintf(&b, "add element inet %s v6 { %s }\n", BlockTable, strings.Join(v6, ", "))
	}
	return b.String(), nil
}

// Block drops traffic to and from addrs for ttl.
func (n Nft) Block(ctx context.Context, addrs []netip.Prefix, ttl time.Duration) error {
	script, err := BlockScript(addrs, ttl)
	if err != nil {
		return err
	}
	_, err = n.run(ctx, script, "-f", "-")
	return err
}

// Unblock removes every block.
func (n Nft) Unblock(ctx context.Context) error {
	exists, err := n.hasTable(ctx, BlockTable)
	if err != nil || !exists {
		return err
	}
	_, err = n.run(ctx, "", "delete", "table", "inet", BlockTable)
	return err
}

func (n Nft) hasTable(ctx context.Context, name string) (bool, error) {
	out, err := n.run(ctx, "", "list", "tables", "inet")
	if err != nil {
		return false, err
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.TrimSpace(line) == "table inet "+name {
			return true, nil
		}
	}
	return false, nil
}
