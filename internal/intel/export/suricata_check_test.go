package export

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// checkSuricata is a strict syntax check of Suricata rules, standing in
// for suricata -T (Suricata is not packaged where the tests run). It
// accepts the subset of the rule language the exporter writes and refuses
// anything else: action, protocol, address lists of valid addresses or
// $VARIABLES, ports, direction, and options from a known list with
// msg/content quoted, every option ended by ';', and unique sids.
func checkSuricata(text string) (int, error) {
	sids := map[int]int{}
	n := 0
	for ln, line := range strings.Split(text, "\n") {
		ln++
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := checkRule(line, ln, sids); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

var (
	actions   = map[string]bool{"alert": true, "drop": true, "pass": true, "reject": true}
	protocols = map[string]bool{"ip": true, "tcp": true, "udp": true, "dns": true, "tls": true, "http": true}
	// keywords with a value, and whether the value must be quoted
	valued = map[string]bool{"msg": true, "content": true, "classtype": false, "sid": false, "rev": false, "metadata": false}
	flags  = map[string]bool{"dns.query": true, "tls.sni": true, "dotprefix": true, "endswith": true, "nocase": true}
)

func checkRule(line string, ln int, sids map[int]int) error {
	open := strings.IndexByte(line, '(')
	if open < 0 || !strings.HasSuffix(line, ")") {
		return fmt.Errorf("line %d: options must be in ( ) at the end", ln)
	}
	head := strings.Fields(line[:open])
	if len(head) != 7 {
		return fmt.Errorf("line %d: header needs action proto src sport dir dst dport, got %d fields", ln, len(head))
	}
	if !actions[head[0]] {
		return fmt.Errorf("line %d: unknown action %q", ln, head[0])
	}
	if !protocols[head[1]] {
		return fmt.Errorf("line %d: unknown protocol %q", ln, head[1])
	}
	if head[4] != "->" && head[4] != "<>" {
		return fmt.Errorf("line %d: direction must be -> or <>, got %q", ln, head[4])
	}
	for _, a := range []string{head[2], head[5]} {
		if err := checkAddress(a); err != nil {
			return fmt.Errorf("line %d: %w", ln, err)
		}
	}
	for _, p := range []string{head[3], head[6]} {
		if p != "any" {
			if _, err := strconv.ParseUint(p, 10, 16); err != nil {
				return fmt.Errorf("line %d: port %q", ln, p)
			}
		}
	}
	opts := line[open+1 : len(line)-1]
	seen := map[string]bool{}
	for len(strings.TrimSpace(opts)) > 0 {
		opts = strings.TrimLeft(opts, " ")
		end := -1
		inQuote := false
		for k := 0; k < len(opts); k++ {
			switch {
			case opts[k] == '\\':
				k++
			case opts[k] == '"':
				inQuote = !inQuote
			case opts[k] == ';' && !inQuote:
				end = k
			}
			if end >= 0 {
				break
			}
		}
		if end < 0 {
			return fmt.Errorf("line %d: option %q is not ended by ;", ln, opts)
		}
		opt := opts[:end]
		opts = opts[end+1:]
		name, value, hasValue := strings.Cut(opt, ":")
		switch quoted, ok := valued[name]; {
		case ok && hasValue:
			if quoted {
				if len(value) < 2 || value[0] != '"' || value[len(value)-1] != '"' {
					return fmt.Errorf("line %d: %s value must be quoted", ln, name)
				}
				inner := value[1 : len(value)-1]
				if strings.ContainsAny(strings.ReplaceAll(inner, `\"`, ""), `";`) {
					return fmt.Errorf("line %d: %s value has an unescaped \" or ;", ln, name)
				}
			}
			if name == "sid" || name == "rev" {
				v, err := strconv.Atoi(value)
				if err != nil || v <= 0 {
					return fmt.Errorf("line %d: %s must be a positive number", ln, name)
				}
				if name == "sid" {
					if prev, dup := sids[v]; dup {
						return fmt.Errorf("line %d: sid %d already used on line %d", ln, v, prev)
					}
					sids[v] = ln
				}
			}
		case flags[name] && !hasValue:
		default:
			return fmt.Errorf("line %d: unknown or malformed option %q", ln, opt)
		}
		seen[name] = true
	}
	for _, req := range []string{"msg", "sid", "rev"} {
		if !seen[req] {
			return fmt.Errorf("line %d: %s is required", ln, req)
		}
	}
	return nil
}

func checkAddress(a string) error {
	if a == "any" || strings.HasPrefix(a, "$") && strings.Trim(a[1:], "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") == "" {
		return nil
	}
	if !strings.HasPrefix(a, "[") || !strings.HasSuffix(a, "]") {
		return fmt.Errorf("address %q: want any, $VAR or [list]", a)
	}
	for _, item := range strings.Split(a[1:len(a)-1], ",") {
		if _, err := netip.ParsePrefix(item); err == nil {
			continue
		}
		if _, err := netip.ParseAddr(item); err != nil {
			return fmt.Errorf("address %q is neither an address nor a network", item)
		}
	}
	return nil
}
