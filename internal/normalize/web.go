package normalize

import (
	"net"
	"strings"

	"github.com/yagura-soc/yagura/internal/event"
)

// webAccess maps an access-log line.
func webAccess(ev *event.Event) {
	f := ev.Fields
	ev.SetECS("event.dataset", event.DatasetWebAccess)
	ev.SetECS("event.module", "web")
	ev.SetECS("event.category", []any{"web"})
	ev.SetECS("event.type", []any{"access"})
	if _, w3c := f["cs-method"]; w3c {
		w3cAccess(ev)
		webserverAliases(f)
		return
	}
	defer webserverAliases(f)
	setIP(ev, "source.ip", str(f, "client"))
	if _, ok := ev.ECS["source.ip"]; !ok {
		ev.SetECS("source.domain", str(f, "client"))
	}
	setUser(ev, "user", str(f, "user"))
	if m := str(f, "method"); m != "" {
		ev.SetECS("http.request.method", m)
	}
	if u := str(f, "url"); u != "" {
		ev.SetECS("url.original", u)
		path, query, _ := strings.Cut(u, "?")
		ev.SetECS("url.path", path)
		if query != "" {
			ev.SetECS("url.query", query)
		}
	}
	if p := str(f, "protocol"); strings.HasPrefix(p, "HTTP/") {
		ev.SetECS("http.version", strings.TrimPrefix(p, "HTTP/"))
	}
	if s, ok := f["status"].(int64); ok {
		ev.SetECS("http.response.status_code", s)
		if s < 400 {
			ev.SetECS("event.outcome", "success")
		} else {
			ev.SetECS("event.outcome", "failure")
		}
	}
	if b, ok := f["bytes"].(int64); ok {
		ev.SetECS("http.response.body.bytes", b)
	}
	if r := str(f, "referer"); r != "" {
		ev.SetECS("http.request.referrer", r)
	}
	if ua := str(f, "user_agent"); ua != "" {
		ev.SetECS("user_agent.original", ua)
	}
	ev.SetECS("message", str(f, "request"))
}

// audit maps a Linux audit record.
func audit(ev *event.Event) {
	f := ev.Fields
	ev.SetECS("event.dataset", event.DatasetLinuxAuditd)
	ev.SetECS("event.module", "auditd")
	typ := str(f, "type")
	ev.SetECS("event.action", strings.ToLower(typ))
	setHost(ev, str(f, "node"))
	if cmd := str(f, "cmdline"); cmd != "" {
		ev.SetECS("process.command_line", cmd)
		ev.SetECS("process.args", strings.Fields(cmd))
	} else if pt := str(f, "proctitle"); pt != "" {
		ev.SetECS("process.command_line", pt)
	}
	if exe := str(f, "exe"); exe != "" {
		ev.SetECS("process.executable", exe)
		name := exe[strings.LastIndexByte(exe, '/')+1:]
		ev.SetECS("process.name", name)
	} else if comm := str(f, "comm"); comm != "" {
		ev.SetECS("process.name", comm)
	}
	for native, ecs := range map[string]string{"pid": "process.pid", "ppid": "process.parent.pid"} {
		if v := str(f, native); v != "" {
			if n, err := parseInt(v); err == nil {
				ev.SetECS(ecs, n)
			}
		}
	}
	if uid := str(f, "uid"); uid != "" {
		ev.SetECS("user.id", uid)
	}
	// User-space records name the account and the remote end.
	if acct := str(f, "acct"); acct != "" && acct != "?" {
		setUser(ev, "user", acct)
	}
	if addr := str(f, "addr"); addr != "?" {
		setIP(ev, "source.ip", addr)
	}
	if h := str(f, "hostname"); h != "" && h != "?" && ev.ECS["source.ip"] == nil {
		setIP(ev, "source.ip", h)
	}
	if auid := str(f, "auid"); auid != "" && auid != "4294967295" {
		ev.SetECS("user.audit.id", auid)
	}
	switch typ {
	case "EXECVE", "SYSCALL":
		ev.SetECS("event.category", []any{"process"})
		ev.SetECS("event.type", []any{"start"})
	case "USER_LOGIN", "USER_AUTH", "USER_START", "USER_END":
		ev.SetECS("event.category", []any{"authentication"})
	default:
		ev.SetECS("event.category", []any{"host"})
	}
	if res := str(f, "res"); res != "" {
		if res == "success" || res == "yes" {
			ev.SetECS("event.outcome", "success")
		} else {
			ev.SetECS("event.outcome", "failure")
		}
	} else if s := str(f, "success"); s != "" {
		if s == "yes" {
			ev.SetECS("event.outcome", "success")
		} else {
			ev.SetECS("event.outcome", "failure")
		}
	}
}

func parseInt(s string) (int64, error) {
	var n int64
	if len(s) == 0 || len(s) > 18 {
		return 0, errNotInt
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, errNotInt
		}
		n = n*10 + int64(s[i]-'0')
	}
	return n, nil
}

// w3cAccess maps W3C extended (IIS) fields.
func w3cAccess(ev *event.Event) {
	f := ev.Fields
	setIP(ev, "source.ip", str(f, "c-ip"))
	setIP(ev, "destination.ip", str(f, "s-ip"))
	setPort(ev, "destination.port", str(f, "s-port"))
	setUser(ev, "user", str(f, "cs-username"))
	setStr(ev, "http.request.method", f["cs-method"])
	setStr(ev, "url.domain", f["cs-host"])
	path, query := str(f, "cs-uri-stem"), str(f, "cs-uri-query")
	if path != "" {
		ev.SetECS("url.path", path)
		orig := path
		if query != "" {
			ev.SetECS("url.query", query)
			orig += "?" + query
		}
		ev.SetECS("url.original", orig)
	}
	// IIS writes spaces in these as '+'.
	if ua := str(f, "cs(User-Agent)"); ua != "" {
		ev.SetECS("user_agent.original", strings.ReplaceAll(ua, "+", " "))
	}
	setStr(ev, "http.request.referrer", f["cs(Referer)"])
	if n, err := parseInt(str(f, "sc-status")); err == nil {
		ev.SetECS("http.response.status_code", n)
		ev.SetECS("event.outcome", map[bool]string{true: "success", false: "failure"}[n < 400])
	}
	if n, err := parseInt(str(f, "sc-bytes")); err == nil {
		ev.SetECS("http.response.body.bytes", n)
	}
	if n, err := parseInt(str(f, "time-taken")); err == nil {
		ev.SetECS("event.duration", n*1_000_000) // milliseconds → nanoseconds
	}
	ev.SetECS("message", strings.TrimSpace(str(f, "cs-method")+" "+str(ev.ECS, "url.original")))
}

// webError maps Apache httpd error log records.
func webError(ev *event.Event) {
	f := ev.Fields
	ev.SetECS("event.dataset", event.DatasetWebError)
	ev.SetECS("event.module", "apache")
	ev.SetECS("event.category", []any{"web"})
	ev.SetECS("event.type", []any{"error"})
	setStr(ev, "log.level", f["level"])
	setStr(ev, "message", f["message"])
	setInt(ev, "process.pid", f["pid"])
	setStr(ev, "process.thread.id", f["tid"])
	if c := str(f, "client"); c != "" {
		// "1.2.3.4:5050", "[::1]:5050" or a bare address.
		host, port, err := net.SplitHostPort(c)
		if err != nil {
			host, port = c, ""
		}
		setIP(ev, "source.ip", host)
		setPort(ev, "source.port", port)
	}
}

// webserverAliases adds the W3C field names of Sigma's webserver taxonomy
// (cs-method, cs-uri-query, sc-status, cs-user-agent, …) to the native
// fields of access logs that use other names, so SigmaHQ's webserver rules
// match NCSA logs as they match IIS logs. Existing fields are kept.
func webserverAliases(f event.Fields) {
	alias := func(name string, v any) {
		if _, ok := f[name]; !ok && v != nil && v != "" {
			f[name] = v
		}
	}
	alias("c-ip", f["client"])
	alias("cs-username", f["user"])
	alias("cs-method", f["method"])
	if u, ok := f["url"].(string); ok {
		stem, query, _ := strings.Cut(u, "?")
		alias("cs-uri-stem", stem)
		alias("cs-uri-query", query)
		alias("c-uri", u)
	} else if stem, ok := f["cs-uri-stem"].(string); ok {
		full := stem
		if q, _ := f["cs-uri-query"].(string); q != "" {
			full += "?" + q
		}
		alias("c-uri", full)
	}
	alias("cs-version", f["protocol"])
	alias("sc-status", f["status"])
	alias("sc-bytes", f["bytes"])
	alias("cs-referer", firstValue(f, "referer", "cs(Referer)"))
	alias("cs-user-agent", firstValue(f, "user_agent", "cs(User-Agent)"))
}

func firstValue(f event.Fields, keys ...string) any {
	for _, k := range keys {
		if v, ok := f[k]; ok {
			return v
		}
	}
	return nil
}
