package export

import (
	"fmt"
	"io"
	"net/netip"
	"strings"
)

// NFTablesTable is the table the script owns; it replaces the table as a
// whole, in one transaction, so a firewall never runs half a list.
const NFTablesTable = "yagura"

// NFTables writes an nft script (nft -f) that (re)creates table inet
// yagura with one interval set per address family and drops traffic from
// and to listed addresses in the input, forward and output hooks.
func NFTables(w io.Writer, l List) error {
	bw := newWriter(w)
	fmt.Fprintf(bw, "#!/usr/sbin/nft -f\n# Yagura threat-intelligence blocklist, tenant %s, serial %d, generated %s\n",
		l.Tenant, l.Serial, l.Generated.UTC().Format("2006-01-02T15:04:05Z"))
	// Declaring the table first makes the delete succeed on a first run.
	fmt.Fprintf(bw, "table inet %s {}\ndelete table inet %s\n\ntable inet %s {\n", NFTablesTable, NFTablesTable, NFTablesTable)
	writeSet := func(name, typ string, ps []netip.Prefix) {
		fmt.Fprintf(bw, "\tset %s {\n\t\ttype %s\n\t\tflags interval\n", name, typ)
		if len(ps) > 0 {
			bw.WriteString("\t\telements = {\n")
			var line []byte
			for k, p := range ps {
				line = appendPrefix(append(line[:0], "\t\t\t"...), p)
				if k < len(ps)-1 {
					line = append(line, ',')
				}
				bw.Write(append(line, '\n'))
			}
			bw.WriteString("\t\t}\n")
		}
		bw.WriteString("\t}\n")
	}
	bl := l.blocklist()
	writeSet("blocklist_v4", "ipv4_addr", bl.V4)
	writeSet("blocklist_v6", "ipv6_addr", bl.V6)
	for _, c := range []struct{ name, hook, dir string }{
		{"input", "input", "saddr"}, {"forward", "forward", "daddr"}, {"output", "output", "daddr"},
	} {
		fmt.Fprintf(bw, "\tchain %s {\n\t\ttype filter hook %s priority filter - 10; policy accept;\n", c.name, c.hook)
		dirs := []string{c.dir}
		if c.name == "forward" {
			dirs = []string{"saddr", "daddr"}
		}
		for _, d := range dirs {
			fmt.Fprintf(bw, "\t\tip %s @blocklist_v4 counter drop\n\t\tip6 %s @blocklist_v6 counter drop\n", d, d)
		}
		bw.WriteString("\t}\n")
	}
	bw.WriteString("}\n")
	return bw.Flush()
}

// ipsetName keeps set names within ipset's 31 characters.
func ipsetName(tenant, family string) string {
	n := "yagura-" + family
	if tenant != "" && tenant != "default" {
		n = "yg-" + strings.ReplaceAll(tenant, "_", "-")
		if len(n) > 24 {
			n = n[:24]
		}
		n += "-" + family
	}
	return n
}

// IPSet writes an ipset restore file (ipset restore -f): each family's
// list is built in a temporary set and swapped in, so the live set is
// replaced atomically; iptables rules reference yagura-v4 / yagura-v6.
func IPSet(w io.Writer, l List) error {
	bw := newWriter(w)
	fmt.Fprintf(bw, "# Yagura threat-intelligence blocklist, tenant %s, serial %d\n", l.Tenant, l.Serial)
	bl := l.blocklist()
	for _, f := range []struct {
		family, inet string
		ps           []netip.Prefix
	}{{"v4", "inet", bl.V4}, {"v6", "inet6", bl.V6}} {
		ps := f.ps
		name := ipsetName(l.Tenant, f.family)
		maxelem := 65536
		for maxelem < len(ps) {
			maxelem *= 2
		}
		fmt.Fprintf(bw, "create %s hash:net family %s maxelem %d -exist\n", name, f.inet, maxelem)
		fmt.Fprintf(bw, "create %s-new hash:net family %s maxelem %d -exist\n", name, f.inet, maxelem)
		fmt.Fprintf(bw, "flush %s-new\n", name)
		line := []byte("add " + name + "-new ")
		head := len(line)
		for _, p := range ps {
			line = append(appendPrefix(line[:head], p), '\n')
			bw.Write(line)
		}
		fmt.Fprintf(bw, "swap %s-new %s\ndestroy %s-new\n", name, name, name)
	}
	return bw.Flush()
}
