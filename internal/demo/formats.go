package demo

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// obj is a JSON object that keeps its keys in the order they were written,
// as evtx_dump does; a map would sort them.
type obj []kv

type kv struct {
	K string
	V any
}

// MarshalJSON implements json.Marshaler.
func (o obj) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f.K)
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(f.V)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", f.K, err)
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

// Windows event providers as they appear in System.Provider.
type provider struct {
	Name, GUID string
	Channel    string
}

var (
	provSecurity = provider{"Microsoft-Windows-Security-Auditing", "54849625-5478-4994-A5BA-3E3B0328C30D", "Security"}
	provEventlog = provider{"Microsoft-Windows-Eventlog", "FC65DDD8-D6EF-4962-83D5-6E5CFE9CE148", "Security"}
	provSysmon   = provider{"Microsoft-Windows-Sysmon", "5770385F-C22A-43E0-BF4C-06F5698FFBD9", "Microsoft-Windows-Sysmon/Operational"}
)

// Keywords of Security events: audit success and audit failure.
const (
	kwSuccess = "0x8020000000000000"
	kwFailure = "0x8010000000000000"
)

// winEvent is one Windows event before rendering.
type winEvent struct {
	Prov     provider
	ID       int
	Version  int
	Level    int
	Task     int
	Keywords string
	Host     *host
	UserID   string // System.Security UserID; empty renders as null
	Data     obj    // EventData
	UserData obj    // UserData, for the events that have it instead (1102)
}

// securityEvent fills the fields every Security-channel event shares.
func securityEvent(h *host, id, task int, keywords string, data obj) winEvent {
	return winEvent{Prov: provSecurity, ID: id, Task: task, Keywords: keywords, Host: h, Data: data}
}

// sysmonEvent fills the fields every Sysmon event shares.
func sysmonEvent(h *host, id, version int, data obj) winEvent {
	return winEvent{Prov: provSysmon, ID: id, Version: version, Level: 4, Task: id,
		Keywords: "0x8000000000000000", Host: h, UserID: "S-1-5-18", Data: data}
}

// emitWin schedules a Windows event at t.
func (g *Generator) emitWin(t time.Time, ev winEvent) {
	execPID := 4 + ev.Host.pidBase%1000*4 // the host's event source process
	if ev.Prov == provSecurity || ev.Prov == provEventlog {
		execPID = 600 + ev.Host.pidBase%200*4 // lsass
	}
	g.emit(t, SourceWindows, ev.Host.Name, func(t time.Time) string {
		key := ev.Host.Name + "/" + ev.Prov.Channel
		g.recordIDs[key]++
		id := g.recordIDs[key] + int64(ev.Host.pidBase)*97 // hosts did not start logging today
		var security any
		if ev.UserID != "" {
			security = obj{{"#attributes", obj{{"UserID", ev.UserID}}}}
		}
		system := obj{
			{"Provider", obj{{"#attributes", obj{{"Name", ev.Prov.Name}, {"Guid", ev.Prov.GUID}}}}},
			{"EventID", ev.ID},
			{"Version", ev.Version},
			{"Level", ev.Level},
			{"Task", ev.Task},
			{"Opcode", 0},
			{"Keywords", ev.Keywords},
			{"TimeCreated", obj{{"#attributes", obj{{"SystemTime", t.Format("2006-01-02T15:04:05.000000Z")}}}}},
			{"EventRecordID", id},
			{"Correlation", nil},
			{"Execution", obj{{"#attributes", obj{{"ProcessID", execPID}, {"ThreadID", execPID + 44}}}}},
			{"Channel", ev.Prov.Channel},
			{"Computer", ev.Host.FQDN()},
			{"Security", security},
		}
		event := obj{
			{"#attributes", obj{{"xmlns", "http://schemas.microsoft.com/win/2004/08/events/event"}}},
			{"System", system},
		}
		if ev.UserData != nil {
			event = append(event, kv{"UserData", ev.UserData})
		} else {
			event = append(event, kv{"EventData", ev.Data})
		}
		b, err := json.Marshal(obj{{"Event", event}})
		if err != nil {
			// Only strings, numbers, nil and obj go in: this cannot fail.
			panic(err)
		}
		return string(b)
	})
}

// sysmonTime is the UtcTime format of Sysmon event data.
func sysmonTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000") }

// Syslog facilities and severities used here (RFC 3164 section 4.1.1).
const (
	facAuth     = 4
	facCron     = 9
	facAuthpriv = 10
	facLocal7   = 23
	sevWarning  = 4
	sevNotice   = 5
	sevInfo     = 6
)

// syslogLine renders an RFC 3164 line: <PRI>Mmm dd hh:mm:ss host tag[pid]: msg.
// pid <= 0 leaves the [pid] out, as some daemons do.
func syslogLine(t time.Time, facility, severity int, host, tag string, pid int, msg string) string {
	var b strings.Builder
	b.Grow(64 + len(msg))
	b.WriteByte('<')
	b.WriteString(strconv.Itoa(facility*8 + severity))
	b.WriteByte('>')
	b.WriteString(t.UTC().Format(time.Stamp))
	b.WriteByte(' ')
	b.WriteString(host)
	b.WriteByte(' ')
	b.WriteString(tag)
	if pid > 0 {
		b.WriteByte('[')
		b.WriteString(strconv.Itoa(pid))
		b.WriteByte(']')
	}
	b.WriteString(": ")
	b.WriteString(msg)
	return b.String()
}

// emitSyslog schedules one syslog line from host.
func (g *Generator) emitSyslog(t time.Time, facility, severity int, host, tag string, pid int, msg string) {
	g.emit(t, SourceSyslog, host, func(t time.Time) string {
		return syslogLine(t, facility, severity, host, tag, pid, msg)
	})
}

// auditExec is one program execution as auditd records it: a SYSCALL
// record for execve, an EXECVE record with the arguments, a CWD and a
// PROCTITLE record, all with the same serial.
type auditExec struct {
	Host      *host
	PID, PPID int
	AUID, UID int
	Exe       string
	Argv      []string
	Cwd       string
	TTY       string
	Session   int
}

// emitAudit schedules the records of one execution on x.Host.
func (g *Generator) emitAudit(t time.Time, x auditExec) {
	comm := x.Exe[strings.LastIndexByte(x.Exe, '/')+1:]
	if len(comm) > 15 {
		comm = comm[:15]
	}
	// All records of one event share the serial; take it once, at the
	// first record's render time.
	var serial int64
	stamp := func(t time.Time) string {
		return fmt.Sprintf("node=%s type=%%s msg=audit(%d.%03d:%d): ", x.Host.Name, t.Unix(), t.Nanosecond()/1e6, serial)
	}
	g.emit(t, SourceAuditd, x.Host.Name, func(t time.Time) string {
		g.auditSeq[x.Host.Name]++
		serial = g.auditSeq[x.Host.Name] + int64(x.Host.pidBase)*1000
		return fmt.Sprintf(stamp(t), "SYSCALL") + fmt.Sprintf(
			`arch=c000003e syscall=59 success=yes exit=0 a0=%x a1=%x a2=%x a3=0 items=2 ppid=%d pid=%d auid=%d uid=%d gid=%d euid=%d suid=%d fsuid=%d egid=%d sgid=%d fsgid=%d tty=%s ses=%d comm="%s" exe="%s" subj=unconfined key="exec"`,
			0x55d0c0de0000+x.PID*16, 0x55d0c0de1000+x.PID*16, 0x55d0c0de2000+x.PID*16,
			x.PPID, x.PID, x.AUID, x.UID, x.UID, x.UID, x.UID, x.UID, x.UID, x.UID, x.UID,
			x.TTY, x.Session, comm, x.Exe)
	})
	g.emit(t, SourceAuditd, x.Host.Name, func(t time.Time) string {
		var b strings.Builder
		b.WriteString(fmt.Sprintf(stamp(t), "EXECVE"))
		b.WriteString("argc=" + strconv.Itoa(len(x.Argv)))
		for i, a := range x.Argv {
			b.WriteString(fmt.Sprintf(" a%d=%s", i, auditQuote(a)))
		}
		return b.String()
	})
	g.emit(t, SourceAuditd, x.Host.Name, func(t time.Time) string {
		return fmt.Sprintf(stamp(t), "CWD") + "cwd=" + auditQuote(x.Cwd)
	})
	g.emit(t, SourceAuditd, x.Host.Name, func(t time.Time) string {
		return fmt.Sprintf(stamp(t), "PROCTITLE") + "proctitle=" + fmt.Sprintf("%X", strings.Join(x.Argv, "\x00"))
	})
}

// auditQuote renders a value the way auditd does: in double quotes when it
// is plain printable text without spaces or quotes, hex-encoded otherwise.
func auditQuote(s string) string {
	for _, r := range s {
		if r <= ' ' || r == '"' || r >= 0x7f {
			return fmt.Sprintf("%X", s)
		}
	}
	return `"` + s + `"`
}

// apacheLine renders an Apache combined log line.
func apacheLine(t time.Time, ip, method, target string, status, bytes int, referer, agent string) string {
	size := "-"
	if bytes > 0 {
		size = strconv.Itoa(bytes)
	}
	if referer == "" {
		referer = "-"
	}
	return fmt.Sprintf(`%s - - [%s] "%s %s HTTP/1.1" %d %s "%s" "%s"`,
		ip, t.UTC().Format("02/Jan/2006:15:04:05 -0700"), method, target, status, size, referer, agent)
}

// emitWeb schedules one access log line of the public web site.
func (g *Generator) emitWeb(t time.Time, ip, method, target string, status, bytes int, referer, agent string) {
	g.emit(t, SourceWeb, g.co.Web.Name, func(t time.Time) string {
		return apacheLine(t, ip, method, target, status, bytes, referer, agent)
	})
}

// flow is one connection the firewall logged.
type flow struct {
	SrcIP   string
	SrcPort int
	DstIP   string
	DstPort int
	Proto   string // "tcp" or "udp"
	Action  string // "allow" or "deny"
	SrcZone string
	DstZone string
	Rule    int
	Sent    int
	Rcvd    int
}

// emitFirewall schedules one firewall log line: key=value pairs inside an
// RFC 3164 syslog line, the shape most perimeter firewalls use.
func (g *Generator) emitFirewall(t time.Time, f flow) {
	fw := g.co.Firewall
	g.emit(t, SourceSyslog, fw, func(t time.Time) string {
		sev := sevInfo
		if f.Action == "deny" {
			sev = sevWarning
		}
		msg := fmt.Sprintf("date=%s time=%s devname=%s type=traffic action=%s proto=%s srcip=%s srcport=%d srcintf=%s dstip=%s dstport=%d dstintf=%s policyid=%d sentbyte=%d rcvdbyte=%d",
			t.UTC().Format("2006-01-02"), t.UTC().Format("15:04:05"), fw, f.Action, f.Proto,
			f.SrcIP, f.SrcPort, f.SrcZone, f.DstIP, f.DstPort, f.DstZone, f.Rule, f.Sent, f.Rcvd)
		return syslogLine(t, facLocal7, sev, fw, "firewall", 0, msg)
	})
}
