// Package normalize maps parsed, source-specific fields to the Elastic
// Common Schema, canonicalising time (UTC), IP addresses, host and user
// names on the way. It only adds ECS fields: the native fields a parser
// found stay untouched so Sigma rules written against them still match.
//
// This package must never do I/O and never panic on odd field values.
package normalize

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/parse/winevent"
)

// ecsKind is the ECS categorisation of one kind of Windows event.
type ecsKind struct {
	category, typ, action string
	outcome               string // "" when the event id does not say
}

// securityKinds and sysmonKinds categorise the common event ids.
var securityKinds = map[string]ecsKind{
	"4624": {"authentication", "start", "logged-in", "success"},
	"4625": {"authentication", "start", "logon-failed", "failure"},
	"4634": {"authentication", "end", "logged-out", "success"},
	"4647": {"authentication", "end", "logged-out", "success"},
	"4648": {"authentication", "start", "logged-in-explicit", "success"},
	"4672": {"iam", "admin", "logged-in-special", "success"},
	"4688": {"process", "start", "created-process", "success"},
	"4689": {"process", "end", "exited-process", "success"},
	"4697": {"configuration", "creation", "service-installed", "success"},
	"4698": {"configuration", "creation", "scheduled-task-created", "success"},
	"4699": {"configuration", "deletion", "scheduled-task-deleted", "success"},
	"4720": {"iam", "creation", "added-user-account", "success"},
	"4722": {"iam", "change", "enabled-user-account", "success"},
	"4724": {"iam", "change", "reset-password", "success"},
	"4725": {"iam", "change", "disabled-user-account", "success"},
	"4726": {"iam", "deletion", "deleted-user-account", "success"},
	"4728": {"iam", "change", "added-member-to-group", "success"},
	"4732": {"iam", "change", "added-member-to-group", "success"},
	"4738": {"iam", "change", "modified-user-account", "success"},
	"4740": {"iam", "change", "locked-out-user-account", "success"},
	"4756": {"iam", "change", "added-member-to-group", "success"},
	"4768": {"authentication", "start", "kerberos-authentication-ticket-requested", ""},
	"4769": {"authentication", "start", "kerberos-service-ticket-requested", ""},
	"4771": {"authentication", "start", "kerberos-preauth-failed", "failure"},
	"4776": {"authentication", "start", "credential-validated", ""},
	"5140": {"network", "access", "network-share-object-accessed", "success"},
	"5145": {"network", "access", "network-share-object-access-checked", ""},
	"5156": {"network", "connection", "network-connection-allowed", "success"},
	"1102": {"iam", "deletion", "audit-log-cleared", "success"},
}

var sysmonKinds = map[string]ecsKind{
	"1":  {"process", "start", "process-created", ""},
	"2":  {"file", "change", "file-creation-time-changed", ""},
	"3":  {"network", "connection", "network-connection-detected", ""},
	"5":  {"process", "end", "process-terminated", ""},
	"6":  {"driver", "start", "driver-loaded", ""},
	"7":  {"process", "change", "image-loaded", ""},
	"8":  {"process", "change", "remote-thread-created", ""},
	"10": {"process", "access", "process-accessed", ""},
	"11": {"file", "creation", "file-created", ""},
	"12": {"registry", "change", "registry-object-added-or-deleted", ""},
	"13": {"registry", "change", "registry-value-set", ""},
	"14": {"registry", "change", "registry-object-renamed", ""},
	"15": {"file", "creation", "file-stream-created", ""},
	"17": {"file", "creation", "pipe-created", ""},
	"18": {"file", "access", "pipe-connected", ""},
	"22": {"network", "protocol", "dns-query", ""},
	"23": {"file", "deletion", "file-deleted", ""},
	"26": {"file", "deletion", "file-deleted-detected", ""},
}

// otherKinds categorise ids whose meaning does not depend on the channel.
var otherKinds = map[string]ecsKind{
	"104":  {"iam", "deletion", "audit-log-cleared", "success"}, // System log cleared
	"7045": {"configuration", "creation", "service-installed", "success"},
	"4104": {"process", "info", "execute-remote-command", ""},
}

// Windows sets the ECS view of a Windows event whose Fields come from
// parse/winevent or parse/evtx (format "winevent"): event.dataset/code/
// provider/category/type/outcome, winlog.*, host, user, source/destination,
// process, file, registry and dns fields. It fills ev.Timestamp from
// TimeCreated when the caller has not set it.
func Windows(ev *event.Event) {
	w := winFields{ev}
	channel := w.str("Channel")
	ds := event.WindowsDataset(channel)
	if channel == "" && strings.EqualFold(w.str("Provider_Name"), "Microsoft-Windows-Sysmon") {
		ds = event.DatasetWindowsSysmon
	}
	code := w.str("EventID")
	ev.SetECS("event.module", "windows")
	ev.SetECS("event.dataset", ds)
	ev.SetECS("event.kind", "event")
	w.set("event.code", code)
	w.copy("event.provider", "Provider_Name")
	w.copy("winlog.provider_name", "Provider_Name")
	w.set("winlog.channel", channel)
	w.copy("winlog.record_id", "EventRecordID")
	w.set("winlog.event_id", code)
	if ev.Timestamp.IsZero() {
		if t, err := winevent.ParseTime(w.str("TimeCreated")); err == nil {
			ev.Timestamp = t
		}
	}
	ev.Timestamp = ev.Timestamp.UTC()

	setHost(ev, w.str("Computer"))

	kind, ok := otherKinds[code]
	switch ds {
	case event.DatasetWindowsSecurity:
		if k, found := securityKinds[code]; found {
			kind, ok = k, true
		}
		windowsSecurity(w, code)
	case event.DatasetWindowsSysmon:
		if k, found := sysmonKinds[code]; found {
			kind, ok = k, true
		}
		windowsSysmon(w, code)
	default:
		if ds == event.DatasetWindowsPowerShell && code == "4104" {
			w.copy("powershell.file.script_block_text", "ScriptBlockText")
		}
		if code == "7045" {
			w.copy("service.name", "ServiceName")
			w.copy("file.path", "ImagePath")
		}
		subjectUser(w)
	}
	if ok {
		ev.SetECS("event.category", []any{kind.category})
		ev.SetECS("event.type", []any{kind.typ})
		w.set("event.action", kind.action)
		w.set("event.outcome", kind.outcome)
	}
	if ds == event.DatasetWindowsSecurity {
		// Audit keywords say it for every Security event.
		switch strings.ToLower(w.str("Keywords")) {
		case "0x8020000000000000":
			ev.SetECS("event.outcome", "success")
		case "0x8010000000000000":
			ev.SetECS("event.outcome", "failure")
		}
	}
}

// windowsSecurity maps Security-Auditing payloads.
func windowsSecurity(w winFields, code string) {
	switch code {
	case "4624", "4625", "4634", "4647", "4648", "4672", "4768", "4769", "4771", "4776":
		// Logon events: the account logging on is the target.
		user := w.str("TargetUserName")
		if code == "4672" || user == "" {
			user = w.str("SubjectUserName")
		}
		w.set("user.name", user)
		dom := w.str("TargetDomainName")
		if code == "4672" || dom == "" {
			dom = w.str("SubjectDomainName")
		}
		w.set("user.domain", dom)
		w.set("user.id", firstOf(w.str("TargetUserSid"), w.str("SubjectUserSid")))
		w.copy("winlog.logon.type", "LogonType")
		w.set("winlog.logon.id", firstOf(w.str("TargetLogonId"), w.str("SubjectLogonId")))
		setIP(w.ev, "source.ip", w.str("IpAddress"))
		setPort(w.ev, "source.port", w.str("IpPort"))
		w.copy("source.domain", "WorkstationName")
		if code == "4776" {
			w.copy("user.name", "TargetUserName")
			w.copy("source.domain", "Workstation")
		}
		if code == "4625" || code == "4771" {
			w.copy("winlog.event_data.Status", "Status")
		}
	case "4688":
		subjectUser(w)
		w.copy("process.executable", "NewProcessName")
		w.set("process.name", baseName(w.str("NewProcessName")))
		w.copy("process.command_line", "CommandLine")
		setPID(w.ev, "process.pid", w.str("NewProcessId"))
		w.copy("process.parent.executable", "ParentProcessName")
		w.set("process.parent.name", baseName(w.str("ParentProcessName")))
		setPID(w.ev, "process.parent.pid", w.str("ProcessId"))
		w.copy("winlog.logon.id", "SubjectLogonId")
	case "4689":
		subjectUser(w)
		w.copy("process.executable", "ProcessName")
		setPID(w.ev, "process.pid", w.str("ProcessId"))
	case "5156", "5157", "5158":
		w.copy("process.executable", "Application")
		setPID(w.ev, "process.pid", firstOf(w.str("ProcessID"), w.str("ProcessId")))
		setIP(w.ev, "source.ip", w.str("SourceAddress"))
		setPort(w.ev, "source.port", w.str("SourcePort"))
		setIP(w.ev, "destination.ip", w.str("DestAddress"))
		setPort(w.ev, "destination.port", w.str("DestPort"))
		w.copy("network.iana_number", "Protocol")
	case "5140", "5145":
		subjectUser(w)
		setIP(w.ev, "source.ip", w.str("IpAddress"))
		setPort(w.ev, "source.port", w.str("IpPort"))
		w.copy("file.path", "RelativeTargetName")
	default:
		subjectUser(w)
		// Account management: the subject acts on a target account or group.
		if t := w.str("TargetUserName"); t != "" && t != "-" {
			switch code {
			case "4727", "4728", "4729", "4730", "4731", "4732", "4733", "4734", "4735", "4737",
				"4754", "4755", "4756", "4757", "4758":
				w.set("group.name", t)
				w.copy("group.domain", "TargetDomainName")
				w.copy("group.id", "TargetSid")
				w.set("user.target.name", memberName(w.str("MemberName")))
				w.copy("user.target.id", "MemberSid")
			default:
				w.set("user.target.name", t)
				w.copy("user.target.domain", "TargetDomainName")
				w.set("user.target.id", firstOf(w.str("TargetSid"), w.str("TargetUserSid")))
			}
		}
		w.copy("winlog.logon.id", "SubjectLogonId")
		setIP(w.ev, "source.ip", w.str("IpAddress"))
		setPort(w.ev, "source.port", w.str("IpPort"))
	}
}

// windowsSysmon maps Sysmon payloads.
func windowsSysmon(w winFields, code string) {
	setUser(w.ev, "user", w.str("User"))
	img := w.str("Image")
	w.set("process.executable", img)
	w.set("process.name", baseName(img))
	setPID(w.ev, "process.pid", w.str("ProcessId"))
	w.copy("process.entity_id", "ProcessGuid")
	w.copy("winlog.logon.id", "LogonId")
	switch code {
	case "1":
		w.copy("process.command_line", "CommandLine")
		w.copy("process.working_directory", "CurrentDirectory")
		w.copy("process.parent.executable", "ParentImage")
		w.set("process.parent.name", baseName(w.str("ParentImage")))
		w.copy("process.parent.command_line", "ParentCommandLine")
		setPID(w.ev, "process.parent.pid", w.str("ParentProcessId"))
		w.copy("process.parent.entity_id", "ParentProcessGuid")
		w.copy("process.pe.original_file_name", "OriginalFileName")
		w.copy("process.pe.description", "Description")
		w.copy("process.pe.product", "Product")
		w.copy("process.pe.company", "Company")
		setHashes(w.ev, "process.hash.", w.str("Hashes"))
	case "3":
		setIP(w.ev, "source.ip", w.str("SourceIp"))
		setPort(w.ev, "source.port", w.str("SourcePort"))
		w.copy("source.domain", "SourceHostname")
		setIP(w.ev, "destination.ip", w.str("DestinationIp"))
		setPort(w.ev, "destination.port", w.str("DestinationPort"))
		w.copy("destination.domain", "DestinationHostname")
		w.set("network.transport", strings.ToLower(w.str("Protocol")))
		if in := w.str("Initiated"); in != "" {
			if in == "true" {
				w.ev.SetECS("network.direction", "egress")
			} else {
				w.ev.SetECS("network.direction", "ingress")
			}
		}
	case "6", "7":
		w.copy("file.path", "ImageLoaded")
		w.set("file.name", baseName(w.str("ImageLoaded")))
		w.copy("file.code_signature.subject_name", "Signature")
		w.copy("file.code_signature.signed", "Signed")
		setHashes(w.ev, "file.hash.", w.str("Hashes"))
		if code == "7" {
			w.copy("dll.path", "ImageLoaded")
		}
	case "8", "10":
		w.copy("process.executable", "SourceImage")
		w.set("process.name", baseName(w.str("SourceImage")))
		setPID(w.ev, "process.pid", w.str("SourceProcessId"))
		w.copy("process.entity_id", "SourceProcessGuid")
		w.copy("process.target.executable", "TargetImage")
		setPID(w.ev, "process.target.pid", w.str("TargetProcessId"))
	case "2", "11", "15", "23", "26", "29":
		w.copy("file.path", "TargetFilename")
		w.set("file.name", baseName(w.str("TargetFilename")))
		setHashes(w.ev, "file.hash.", w.str("Hashes"))
	case "12", "13", "14":
		w.copy("registry.path", "TargetObject")
		w.copy("registry.data.strings", "Details")
		if k := w.str("TargetObject"); k != "" {
			hive, rest, _ := strings.Cut(k, `\`)
			w.set("registry.hive", hive)
			w.set("registry.key", rest)
		}
	case "17", "18":
		w.copy("file.name", "PipeName")
	case "22":
		w.copy("dns.question.name", "QueryName")
	}
}

// subjectUser sets user.* from the acting account of a Security event.
func subjectUser(w winFields) {
	w.copy("user.name", "SubjectUserName")
	w.copy("user.domain", "SubjectDomainName")
	w.copy("user.id", "SubjectUserSid")
}

// winFields reads a Windows event's native fields and sets its ECS ones.
type winFields struct{ ev *event.Event }

// str is a native field's string value ("" when absent or not a string).
func (w winFields) str(k string) string {
	s, _ := w.ev.Fields[k].(string)
	return s
}

// set sets an ECS field unless v is empty or Windows' "-" placeholder.
func (w winFields) set(name, v string) {
	if v != "" && v != "-" {
		w.ev.SetECS(name, v)
	}
}

// copy is set(name, str(k)) storing the native field's own interface
// value: boxing its string again was a fifth of a Windows event's
// allocations.
func (w winFields) copy(name, k string) {
	v := w.ev.Fields[k]
	if s, ok := v.(string); ok && s != "" && s != "-" {
		w.ev.SetECS(name, v)
	}
}

// memberName extracts the CN of a group member's distinguished name.
func memberName(dn string) string {
	if v, ok := strings.CutPrefix(dn, "CN="); ok {
		name, _, _ := strings.Cut(v, ",")
		return name
	}
	return dn
}

func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" && v != "-" {
			return v
		}
	}
	return ""
}

// baseName returns the last element of a Windows or POSIX path.
func baseName(p string) string {
	if i := strings.LastIndexAny(p, `\/`); i >= 0 {
		return p[i+1:]
	}
	return p
}

// setIP sets a canonical IP address: IPv4-mapped IPv6 becomes IPv4, zones
// and placeholders ("-", "") are dropped.
func setIP(ev *event.Event, name, s string) {
	if ip, ok := CanonicalIP(s); ok {
		ev.SetECS(name, ip)
	}
}

// CanonicalIP parses an address as logs write it and returns its canonical
// text form (IPv4-mapped IPv6 as IPv4, lower-case IPv6, no zone).
func CanonicalIP(s string) (string, bool) {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	if s == "" || s == "-" {
		return "", false
	}
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return "", false
	}
	return ip.Unmap().WithZone("").String(), true
}

func setPort(ev *event.Event, name, s string) {
	if n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 16); err == nil && n > 0 {
		ev.SetECS(name, int64(n))
	}
}

// setPID sets a process id written in decimal or in 0x hex.
func setPID(ev *event.Event, name, s string) {
	if n, ok := ParseWindowsInt(s); ok {
		ev.SetECS(name, n)
	}
}

// ParseWindowsInt reads an integer as Windows events write it: decimal or
// 0x-prefixed hex.
func ParseWindowsInt(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	var n uint64
	var err error
	if h, ok := strings.CutPrefix(strings.ToLower(s), "0x"); ok {
		n, err = strconv.ParseUint(h, 16, 64)
	} else {
		n, err = strconv.ParseUint(s, 10, 64)
	}
	if err != nil || n > 1<<63-1 {
		return 0, false
	}
	return int64(n), true
}

// setHashes splits Sysmon's "SHA1=…,MD5=…,SHA256=…" into <prefix>sha1 etc.
func setHashes(ev *event.Event, prefix, s string) {
	for s != "" {
		var part string
		part, s, _ = strings.Cut(s, ",")
		algo, val, ok := strings.Cut(part, "=")
		if !ok || val == "" {
			continue
		}
		switch a := strings.ToLower(strings.TrimSpace(algo)); a {
		case "md5", "sha1", "sha256", "sha512", "imphash":
			ev.SetECS(prefix+a, strings.ToLower(val))
		}
	}
}
