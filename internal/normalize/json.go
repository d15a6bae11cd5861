package normalize

import (
	"errors"
	"strings"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/parse/auditd"
)

var errNotInt = errors.New("not an integer")

// ecsTopLevel are the ECS field sets; a JSON record's keys under them are
// taken as ECS fields (logs from Beats, Vector and other ECS shippers).
var ecsTopLevel = map[string]bool{"agent": true, "client": true, "cloud": true, "container": true, "destination": true,
	"dns": true, "error": true, "event": true, "file": true, "group": true, "host": true, "http": true, "log": true,
	"network": true, "observer": true, "process": true, "registry": true, "related": true, "rule": true, "server": true,
	"service": true, "source": true, "threat": true, "tls": true, "url": true, "user": true, "user_agent": true}

// jsonECS maps a generic JSON record: ECS-named keys are taken as ECS
// (canonicalised), "message"/"msg" becomes the message.
func jsonECS(ev *event.Event) {
	f := ev.Fields
	if embeddedAudit(ev) {
		return
	}
	for k, v := range f {
		top, _, dotted := strings.Cut(k, ".")
		if !dotted || !ecsTopLevel[top] {
			continue
		}
		switch {
		case strings.HasSuffix(k, ".ip"):
			setIP(ev, k, event.String(v))
		case k == "host.name" || k == "host.hostname":
			setHost(ev, event.String(v))
		case k == "user.name":
			setUser(ev, "user", event.String(v))
		default:
			ev.SetECS(k, v)
		}
	}
	if m := str(f, "message"); m != "" {
		ev.SetECS("message", m)
	} else if m := str(f, "msg"); m != "" {
		ev.SetECS("message", m)
	}
	if _, ok := ev.ECS["event.dataset"]; !ok {
		ev.SetECS("event.dataset", event.DatasetGeneric)
	}
}

// embeddedAudit maps a JSON wrapper around an audit record (Azure
// Sentinel's Syslog table: "SyslogMessage": "type=AUOMS_EXECVE audit(…)"):
// the audit fields join the native ones and the record maps as auditd.
func embeddedAudit(ev *event.Event) bool {
	msg := str(ev.Fields, "SyslogMessage")
	if msg == "" || !auditd.Looks([]byte(msg)) {
		return false
	}
	rec, err := auditd.Parser{}.Parse([]byte(msg))
	if err != nil {
		return false
	}
	for k, v := range rec.Fields {
		if _, taken := ev.Fields[k]; !taken {
			ev.Fields[k] = v
		}
	}
	if ev.Timestamp.IsZero() {
		ev.Timestamp = rec.Time
	}
	audit(ev)
	if _, ok := ev.ECS["host.name"]; !ok {
		setHost(ev, firstOf(str(ev.Fields, "Computer"), str(ev.Fields, "HostName")))
	}
	ev.SetECS("message", msg)
	return true
}
