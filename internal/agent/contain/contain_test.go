package contain

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestScripts(t *testing.T) {
	srv := netip.MustParseAddrPort("10.0.0.5:8080")
	script, err := IsolateScript([]netip.AddrPort{srv, netip.MustParseAddrPort("[2001:db8::1]:443")}, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"delete table inet yagura_isolate", "policy drop", `iifname "lo" accept`,
		"ip saddr 10.0.0.5 tcp sport 8080 accept", "ip daddr 10.0.0.5 tcp dport 8080 accept", "ip6 daddr 2001:db8::1 tcp dport 443 accept"} {
		if !strings.Contains(script, want) {
			t.Errorf("isolate script lacks %q:\n%s", want, script)
		}
	}
	bad := []struct {
		name  string
		allow []netip.AddrPort
	}{
		{"nothing allowed", nil},
		{"no port", []netip.AddrPort{netip.AddrPortFrom(netip.MustParseAddr("10.0.0.5"), 0)}},
	}
	for _, c := range bad {
		if _, err := IsolateScript(c.allow, false); err == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}
	block, err := BlockScript([]netip.Prefix{netip.MustParsePrefix("192.0.2.7/32"), netip.MustParsePrefix("198.51.100.0/24"), netip.MustParsePrefix("2001:db8::/64")}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"192.0.2.7 timeout 3600s", "198.51.100.0/24 timeout 3600s", "add element inet yagura_block v6 { 2001:db8::/64 timeout 3600s }"} {
		if !strings.Contains(block, want) {
			t.Errorf("block script lacks %q:\n%s", want, block)
		}
	}
	if _, err := BlockScript([]netip.Prefix{netip.MustParsePrefix("192.0.2.7/32")}, 0); err == nil {
		t.Error("block without a duration accepted")
	}
}

// netns runs a command inside a network namespace.
func netns(t *testing.T, ns string, args ...string) error {
	t.Helper()
	out, err := exec.Command("ip", append([]string{"netns", "exec", ns}, args...)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v: %v: %s", args, err, out)
	}
	return nil
}

func must(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%v: %v: %s", args, err, out)
	}
}

// The containment test, for real: three network namespaces (the
// isolated host, the Yagura server, another host) joined by veth pairs.
// Isolated, the host still reaches the server and not the other host;
// released, it reaches both and its ruleset is what it was, byte for byte.
// block-ip cuts only the blocked address.
func TestIsolateReleaseBlockInNamespaces(t *testing.T) {
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		t.Skip("needs root on Linux (ip netns, nft)")
	}
	for _, tool := range []string{"ip", "nft", "curl", "python3"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s", tool)
		}
	}
	id := fmt.Sprintf("%d", os.Getpid()%100000)
	host, server, other := "yagh"+id, "yags"+id, "yago"+id
	for _, ns := range []string{host, server, other} {
		if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
			t.Skipf("cannot create network namespaces here: %v: %s", err, out)
		}
		t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	}
	link := func(a, b, aIP, bIP, aIf, bIf string) {
		must(t, "ip", "link", "add", aIf, "netns", a, "type", "veth", "peer", "name", bIf, "netns", b)
		must(t, "ip", "-n", a, "addr", "add", aIP+"/24", "dev", aIf)
		must(t, "ip", "-n", b, "addr", "add", bIP+"/24", "dev", bIf)
		must(t, "ip", "-n", a, "link", "set", aIf, "up")
		must(t, "ip", "-n", b, "link", "set", bIf, "up")
	}
	link(host, server, "10.77.1.1", "10.77.1.2", "hs"+id, "sh"+id)
	link(host, other, "10.77.2.1", "10.77.2.2", "ho"+id, "oh"+id)
	for _, ns := range []string{host, server, other} {
		must(t, "ip", "-n", ns, "link", "set", "lo", "up")
	}
	for _, l := range []struct{ ns, ip string }{{server, "10.77.1.2"}, {other, "10.77.2.2"}} {
		cmd := exec.Command("ip", "netns", "exec", l.ns, "python3", "-m", "http.server", "8080", "--bind", l.ip)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	}
	reach := func(ip string) error {
		return netns(t, host, "curl", "-s", "-o", "/dev/null", "--max-time", "2", "http://"+ip+":8080/")
	}
	// eventually waits for a listener to come up (or a rule to go away).
	eventually := func(what, ip string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			err := reach(ip)
			if err == nil {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %s unreachable after 30s: %v", what, ip, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	unreachable := func(what, ip string) {
		t.Helper()
		if err := reach(ip); err == nil {
			t.Errorf("%s: %s still reachable", what, ip)
		}
	}
	eventually("before", "10.77.1.2")
	eventually("before", "10.77.2.2")

	nft := Nft{Command: []string{"ip", "netns", "exec", host, "nft"}}
	ctx := context.Background()
	// Rules of the host's own, which containment must leave alone.
	if err := netns(t, host, "nft", "add", "table", "inet", "hostrules"); err != nil {
		t.Fatal(err)
	}
	if err := netns(t, host, "nft", "add", "chain", "inet", "hostrules", "in", "{ type filter hook input priority 0; policy accept; }"); err != nil {
		t.Fatal(err)
	}
	if err := netns(t, host, "nft", "add", "rule", "inet", "hostrules", "in", "tcp", "dport", "22", "counter", "accept"); err != nil {
		t.Fatal(err)
	}
	before, err := nft.Ruleset(ctx)
	if err != nil {
		t.Fatal(err)
	}

	if err := nft.Isolate(ctx, []netip.AddrPort{netip.MustParseAddrPort("10.77.1.2:8080")}); err != nil {
		t.Fatal(err)
	}
	eventually("isolated", "10.77.1.2")
	unreachable("isolated", "10.77.2.2")
	// Isolating again replaces the rules instead of failing.
	if err := nft.Isolate(ctx, []netip.AddrPort{netip.MustParseAddrPort("10.77.1.2:8080")}); err != nil {
		t.Fatalf("second isolate: %v", err)
	}

	if err := nft.Release(ctx); err != nil {
		t.Fatal(err)
	}
	eventually("released", "10.77.2.2")
	after, err := nft.Ruleset(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Errorf("ruleset after release differs:\nbefore:\n%s\nafter:\n%s", before, after)
	}

	if err := nft.Block(ctx, []netip.Prefix{netip.MustParsePrefix("10.77.2.2/32")}, time.Hour); err != nil {
		t.Fatal(err)
	}
	unreachable("blocked", "10.77.2.2")
	eventually("blocked other", "10.77.1.2")
	if err := nft.Unblock(ctx); err != nil {
		t.Fatal(err)
	}
	eventually("unblocked", "10.77.2.2")
}
