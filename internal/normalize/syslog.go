package normalize

import (
	"strings"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/parse/authlog"
	"github.com/yagura-soc/yagura/internal/parse/kv"
)

// syslog maps a syslog record: host, process, message; then the
// authentication or firewall meaning of its message, if it has one.
func syslog(ev *event.Event, format string) {
	f := ev.Fields
	setHost(ev, str(f, "host"))
	program := str(f, "program")
	msg := str(f, "message")
	ev.SetECS("message", msg)
	ev.SetECS("event.module", "syslog")
	if program != "" {
		// "sshd(pam_unix)" and "/usr/sbin/cron" are sshd and cron; the
		// tag as written stays in the native field "program".
		ev.SetECS("process.name", authlog.BaseProgram(program))
	}
	if pid, ok := f["pid"].(int64); ok {
		ev.SetECS("process.pid", pid)
	}
	if v, ok := f["syslog.priority"]; ok {
		ev.SetECS("log.syslog.priority", v)
		ev.SetECS("log.syslog.facility.code", f["syslog.facility"])
		ev.SetECS("log.syslog.severity.code", f["syslog.severity"])
	}
	if program != "" {
		ev.SetECS("log.syslog.appname", program)
	}
	ev.SetECS("log.syslog.format", format)

	if a, ok := authlog.Extract(program, msg); ok {
		authEvent(ev, a)
		return
	}
	if authlog.IsAuth(program, msg) {
		ev.SetECS("event.dataset", event.DatasetLinuxAuth)
		ev.SetECS("event.category", []any{"authentication"})
		return
	}
	// Only a message with a few '=' can be key=value; most syslog is prose,
	// and building a pair map for each line would cost more than the rest.
	if strings.Count(msg, "=") < 3 {
		ev.SetECS("event.dataset", event.DatasetLinuxSyslog)
		return
	}
	if pairs := kv.Pairs(msg); looksLikeFirewall(pairs) {
		for k, v := range pairs {
			if _, taken := f[k]; !taken {
				f[k] = v
			}
		}
		firewall(ev, pairs)
		return
	}
	ev.SetECS("event.dataset", event.DatasetLinuxSyslog)
}

// authEvent maps what an authentication message said.
func authEvent(ev *event.Event, a authlog.Auth) {
	ev.SetECS("event.dataset", event.DatasetLinuxAuth)
	ev.SetECS("event.category", []any{"authentication"})
	ev.SetECS("event.action", a.Action)
	if a.Outcome != "" {
		ev.SetECS("event.outcome", a.Outcome)
	}
	switch a.Action {
	case "session_open":
		ev.SetECS("event.type", []any{"start"})
		ev.SetECS("event.category", []any{"authentication", "session"})
	case "session_close":
		ev.SetECS("event.type", []any{"end"})
		ev.SetECS("event.category", []any{"authentication", "session"})
	case "sudo", "su":
		ev.SetECS("event.category", []any{"authentication", "process"})
		ev.SetECS("event.type", []any{"start"})
	default:
		ev.SetECS("event.type", []any{"info"})
	}
	setUser(ev, "user", a.User)
	setUser(ev, "user.target", a.TargetUser)
	setIP(ev, "source.ip", a.SourceIP)
	if a.SourcePort > 0 {
		ev.SetECS("source.port", int64(a.SourcePort))
	}
	if a.Method != "" {
		ev.SetECS("ssh.method", a.Method)
	}
	if a.Command != "" {
		// The command sudo ran, as the process it started.
		ev.SetECS("process.command_line", a.Command)
		exe, _, _ := strings.Cut(a.Command, " ")
		ev.SetECS("process.executable", exe)
	}
}

func looksLikeFirewall(f map[string]any) bool {
	_, src := f["srcip"]
	_, dst := f["dstip"]
	_, s2 := f["src"]
	_, d2 := f["dst"]
	return (src && dst) || (s2 && d2)
}

// firewall maps firewall key=value logs (FortiGate names, with the common
// short forms as fall-backs). It reports whether the record was one.
func firewall(ev *event.Event, f map[string]any) bool {
	if !looksLikeFirewall(f) {
		return false
	}
	get := func(keys ...string) string {
		for _, k := range keys {
			if v, ok := f[k].(string); ok && v != "" {
				return v
			}
		}
		return ""
	}
	ev.SetECS("event.dataset", event.DatasetFirewall)
	ev.SetECS("event.category", []any{"network"})
	ev.SetECS("event.kind", "event")
	setIP(ev, "source.ip", get("srcip", "src"))
	setIP(ev, "destination.ip", get("dstip", "dst"))
	if p, ok := kv.Int(f, "srcport"); ok {
		ev.SetECS("source.port", p)
	}
	if p, ok := kv.Int(f, "dstport"); ok {
		ev.SetECS("destination.port", p)
	}
	setTransport(ev, get("proto", "protocol"))
	if dev := get("devname"); dev != "" {
		ev.SetECS("observer.name", dev)
		setHost(ev, dev)
	}
	action := strings.ToLower(get("action"))
	if action != "" {
		ev.SetECS("event.action", action)
		switch action {
		case "allow", "accept", "permit", "pass", "close", "server-rst", "client-rst", "timeout":
			ev.SetECS("event.type", []any{"allowed", "connection"})
			ev.SetECS("event.outcome", "success")
		case "deny", "drop", "block", "reject", "blocked":
			ev.SetECS("event.type", []any{"denied", "connection"})
			ev.SetECS("event.outcome", "failure")
		}
	}
	if n, ok := kv.Int(f, "sentbyte"); ok {
		ev.SetECS("source.bytes", n)
	}
	if n, ok := kv.Int(f, "rcvdbyte"); ok {
		ev.SetECS("destination.bytes", n)
	}
	if id := get("policyid"); id != "" {
		ev.SetECS("rule.id", id)
	}
	return true
}
