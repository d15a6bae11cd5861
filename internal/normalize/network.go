package normalize

import (
	"strconv"
	"strings"

	"github.com/yagura-soc/yagura/internal/event"
)

// setPortValue sets a port written as a number or as text.
func setPortValue(ev *event.Event, name string, v any) {
	switch x := v.(type) {
	case int64:
		if x > 0 && x < 65536 {
			ev.SetECS(name, x)
		}
	case float64:
		if x > 0 && x < 65536 {
			ev.SetECS(name, int64(x))
		}
	case string:
		setPort(ev, name, x)
	}
}

// setInt sets an integer written as a number or as decimal text.
func setInt(ev *event.Event, name string, v any) {
	switch x := v.(type) {
	case int64:
		ev.SetECS(name, x)
	case float64:
		ev.SetECS(name, int64(x))
	case string:
		if n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64); err == nil {
			ev.SetECS(name, n)
		}
	}
}

// transport names an IP protocol as ECS network.transport does: lower
// case, and IANA numbers (6, 17, 1, 58) by name.
func transport(p string) string {
	switch p = strings.ToLower(strings.TrimSpace(p)); p {
	case "6":
		return "tcp"
	case "17":
		return "udp"
	case "1":
		return "icmp"
	case "58":
		return "ipv6-icmp"
	case "47":
		return "gre"
	case "50":
		return "esp"
	}
	return p
}

// setStr sets a non-empty text value ("-" counts as empty).
func setStr(ev *event.Event, name string, v any) {
	if v == nil {
		return
	}
	if s := event.String(v); s != "" && s != "-" {
		ev.SetECS(name, s)
	}
}

// setTransport sets network.transport from a protocol name or number.
func setTransport(ev *event.Event, p string) {
	if p != "" {
		ev.SetECS("network.transport", transport(p))
	}
}

// setAction sets event.action (lower case) and maps the words devices use
// for what happened to a flow or request to ECS event.type and
// event.outcome.
func setAction(ev *event.Event, action string) {
	if action == "" {
		return
	}
	action = strings.ToLower(action)
	ev.SetECS("event.action", action)
	switch action {
	case "allow", "allowed", "accept", "accepted", "permit", "permitted", "pass", "success":
		ev.SetECS("event.type", []any{"allowed", "connection"})
		ev.SetECS("event.outcome", "success")
	case "deny", "denied", "drop", "dropped", "block", "blocked", "reject", "rejected", "failure":
		ev.SetECS("event.type", []any{"denied", "connection"})
		ev.SetECS("event.outcome", "failure")
	}
}

// setDevice maps the vendor, product and version of a CEF or LEEF header.
func setDevice(ev *event.Event) {
	f := ev.Fields
	setStr(ev, "observer.vendor", f["device.vendor"])
	setStr(ev, "observer.product", f["device.product"])
	setStr(ev, "observer.version", f["device.version"])
}

// deviceCategory files a CEF or LEEF record with an address under the
// firewall dataset, any other under the generic one.
func deviceCategory(ev *event.Event) {
	if _, net := ev.ECS["source.ip"]; net || ev.ECS["destination.ip"] != nil {
		ev.SetECS("event.category", []any{"network"})
		ev.SetECS("event.dataset", event.DatasetFirewall)
	} else {
		ev.SetECS("event.category", []any{"host"})
		ev.SetECS("event.dataset", event.DatasetGeneric)
	}
}

// cefECS maps CEF's standard extension keys (the ArcSight dictionary).
func cefECS(ev *event.Event) {
	f := ev.Fields
	ev.SetECS("event.module", "cef")
	setDevice(ev)
	setStr(ev, "event.code", f["signature_id"])
	setStr(ev, "message", f["name"])
	if m := str(f, "msg"); m != "" {
		ev.SetECS("message", m)
	}
	setInt(ev, "event.severity", f["severity"])
	setIP(ev, "source.ip", str(f, "src"))
	setPortValue(ev, "source.port", f["spt"])
	setIP(ev, "destination.ip", str(f, "dst"))
	setPortValue(ev, "destination.port", f["dpt"])
	setStr(ev, "source.mac", f["smac"])
	setStr(ev, "destination.mac", f["dmac"])
	setStr(ev, "source.domain", f["shost"])
	setStr(ev, "destination.domain", f["dhost"])
	setInt(ev, "source.bytes", f["in"])
	setInt(ev, "destination.bytes", f["out"])
	setTransport(ev, str(f, "proto"))
	setStr(ev, "network.protocol", f["app"])
	setUser(ev, "source.user", str(f, "suser"))
	setUser(ev, "destination.user", str(f, "duser"))
	setUser(ev, "user", firstOf(str(f, "suser"), str(f, "duser")))
	setStr(ev, "url.original", f["request"])
	setStr(ev, "http.request.method", f["requestMethod"])
	setStr(ev, "user_agent.original", f["requestClientApplication"])
	setStr(ev, "file.name", f["fname"])
	setStr(ev, "file.path", f["filePath"])
	setStr(ev, "file.hash.sha256", f["fileHash"])
	setStr(ev, "process.name", f["sproc"])
	if h := str(f, "dvchost"); h != "" {
		ev.SetECS("observer.hostname", strings.ToLower(h))
		setHost(ev, h)
	} else if h := str(f, "syslog.host"); h != "" {
		setHost(ev, h)
	}
	setIP(ev, "observer.ip", str(f, "dvc"))
	setAction(ev, str(f, "act"))
	if o := strings.ToLower(str(f, "outcome")); o == "success" || o == "failure" {
		ev.SetECS("event.outcome", o)
	}
	deviceCategory(ev)
}

// leefECS maps LEEF's predefined attributes.
func leefECS(ev *event.Event) {
	f := ev.Fields
	ev.SetECS("event.module", "leef")
	setDevice(ev)
	setStr(ev, "event.code", f["event_id"])
	setInt(ev, "event.severity", f["sev"])
	setIP(ev, "source.ip", str(f, "src"))
	setIP(ev, "destination.ip", str(f, "dst"))
	setPortValue(ev, "source.port", f["srcPort"])
	setPortValue(ev, "destination.port", f["dstPort"])
	setIP(ev, "source.nat.ip", str(f, "srcPostNAT"))
	setIP(ev, "destination.nat.ip", str(f, "dstPostNAT"))
	setStr(ev, "source.mac", f["srcMAC"])
	setStr(ev, "destination.mac", f["dstMAC"])
	setInt(ev, "source.bytes", f["srcBytes"])
	setInt(ev, "destination.bytes", f["dstBytes"])
	setTransport(ev, str(f, "proto"))
	setUser(ev, "user", firstOf(str(f, "usrName"), str(f, "accountName")))
	setStr(ev, "url.original", f["url"])
	setStr(ev, "rule.name", f["policy"])
	setStr(ev, "event.action", f["cat"])
	if h := firstOf(str(f, "identHostName"), str(f, "syslog.host")); h != "" {
		setHost(ev, h)
	}
	setAction(ev, firstOf(str(f, "action"), str(f, "act")))
	deviceCategory(ev)
}

// suricataECS maps EVE records (alert, flow, http, dns, tls, …).
func suricataECS(ev *event.Event) {
	f := ev.Fields
	ev.SetECS("event.module", "suricata")
	ev.SetECS("event.dataset", event.DatasetSuricata)
	typ := str(f, "event_type")
	setIP(ev, "source.ip", str(f, "src_ip"))
	setPortValue(ev, "source.port", f["src_port"])
	setIP(ev, "destination.ip", str(f, "dest_ip"))
	setPortValue(ev, "destination.port", f["dest_port"])
	setTransport(ev, str(f, "proto"))
	setStr(ev, "network.protocol", f["app_proto"])
	setStr(ev, "observer.ingress.interface.name", f["in_iface"])
	if h := str(f, "host"); h != "" {
		ev.SetECS("observer.hostname", strings.ToLower(h))
	}
	setInt(ev, "source.bytes", f["flow.bytes_toserver"])
	setInt(ev, "destination.bytes", f["flow.bytes_toclient"])
	setStr(ev, "url.domain", f["http.hostname"])
	setStr(ev, "url.original", f["http.url"])
	setStr(ev, "http.request.method", f["http.http_method"])
	setInt(ev, "http.response.status_code", f["http.status"])
	setStr(ev, "user_agent.original", f["http.http_user_agent"])
	setStr(ev, "dns.question.name", f["dns.rrname"])
	setStr(ev, "tls.client.server_name", f["tls.sni"])
	categories := []any{"network"}
	if typ == "alert" {
		ev.SetECS("event.kind", "alert")
		categories = append(categories, "intrusion_detection")
		setStr(ev, "rule.id", f["alert.signature_id"])
		setStr(ev, "rule.name", f["alert.signature"])
		setStr(ev, "rule.category", f["alert.category"])
		setStr(ev, "message", f["alert.signature"])
		setInt(ev, "event.severity", f["alert.severity"])
		if a := str(f, "alert.action"); a != "" {
			ev.SetECS("event.action", a)
			if a == "blocked" {
				ev.SetECS("event.type", []any{"denied"})
			} else {
				ev.SetECS("event.type", []any{"allowed"})
			}
		}
	} else {
		ev.SetECS("event.action", typ)
		ev.SetECS("event.type", []any{"connection"})
		if typ == "fileinfo" {
			categories = []any{"network", "file"}
		}
	}
	ev.SetECS("event.category", categories)
}

// zeekECS maps Zeek logs; the dataset is zeek.<log>.
func zeekECS(ev *event.Event) {
	f := ev.Fields
	path := str(f, "_path")
	ev.SetECS("event.module", "zeek")
	if path == "" {
		path = "unknown"
	}
	ev.SetECS("event.dataset", event.DatasetZeekPrefix+path)
	setIP(ev, "source.ip", str(f, "id.orig_h"))
	setPortValue(ev, "source.port", f["id.orig_p"])
	setIP(ev, "destination.ip", str(f, "id.resp_h"))
	setPortValue(ev, "destination.port", f["id.resp_p"])
	setStr(ev, "zeek.session_id", f["uid"])
	setTransport(ev, str(f, "proto"))
	category := []any{"network"}
	typ := []any{"connection", "protocol"}
	success := func(k string) {
		if b, ok := f[k].(bool); ok {
			ev.SetECS("event.outcome", map[bool]string{true: "success", false: "failure"}[b])
		}
	}
	switch path {
	case "ssh":
		category = []any{"network", "authentication"}
		ev.SetECS("network.protocol", "ssh")
		success("auth_success")
		setStr(ev, "user_agent.original", f["client"])
	case "rdp":
		ev.SetECS("network.protocol", "rdp")
		setUser(ev, "user", str(f, "cookie"))
		setStr(ev, "event.action", f["result"])
		if r := str(f, "result"); r != "" {
			ev.SetECS("event.outcome", map[bool]string{true: "success", false: "failure"}[r == "Success"])
		}
	case "kerberos":
		category = []any{"network", "authentication"}
		ev.SetECS("network.protocol", "kerberos")
		setStr(ev, "event.action", f["request_type"])
		if c := str(f, "client"); c != "" {
			name, realm, _ := strings.Cut(c, "/")
			setUser(ev, "user", name)
			if realm != "" {
				ev.SetECS("user.domain", realm)
			}
		}
		success("success")
	case "ntlm":
		category = []any{"network", "authentication"}
		ev.SetECS("network.protocol", "ntlm")
		setStr(ev, "user.name", f["username"])
		setStr(ev, "user.domain", f["domainname"])
		setStr(ev, "source.domain", f["hostname"])
		success("success")
	case "smb_mapping":
		ev.SetECS("network.protocol", "smb")
		setStr(ev, "file.path", f["path"])
		setStr(ev, "event.action", f["share_type"])
	case "dce_rpc":
		ev.SetECS("network.protocol", "dce_rpc")
		setStr(ev, "event.action", f["operation"])
		setStr(ev, "rpc.endpoint", f["endpoint"])
	case "notice":
		ev.SetECS("event.kind", "alert")
		category = []any{"network", "intrusion_detection"}
		typ = []any{"info"}
		setStr(ev, "rule.name", f["note"])
		setStr(ev, "message", f["msg"])
		setIP(ev, "source.ip", str(f, "src"))
		setIP(ev, "destination.ip", str(f, "dst"))
		setPortValue(ev, "destination.port", f["p"])
	case "weird":
		typ = []any{"info"}
		setStr(ev, "event.action", f["name"])
		setStr(ev, "message", f["name"])
	case "syslog":
		setStr(ev, "message", f["message"])
		setStr(ev, "log.syslog.facility.name", f["facility"])
		setStr(ev, "log.syslog.severity.name", f["severity"])
	case "conn":
		setStr(ev, "network.protocol", f["service"])
		setInt(ev, "source.bytes", f["orig_bytes"])
		setInt(ev, "destination.bytes", f["resp_bytes"])
		typ = []any{"connection"}
	case "dns":
		ev.SetECS("network.protocol", "dns")
		setStr(ev, "dns.question.name", f["query"])
	case "http":
		category = []any{"network", "web"}
		setStr(ev, "url.domain", f["host"])
		setStr(ev, "url.original", f["uri"])
		setStr(ev, "http.request.method", f["method"])
		setInt(ev, "http.response.status_code", f["status_code"])
		setStr(ev, "user_agent.original", f["user_agent"])
	}
	ev.SetECS("event.category", category)
	ev.SetECS("event.type", typ)
}
