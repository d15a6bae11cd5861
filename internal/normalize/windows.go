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
	f := ev.Fields
	str := func(k string) string {
		s, _ := f[k].(string)
		return s
	}
	set := func(name, v string) {
		if v != "" && v != "-" {
			ev.SetECS(name, v)
		}
	}
	// copyField is set(name, str(k)) that stores the field's own interface
	// value: boxing its string again was a fifth of a Windows event's
	// allocations.
	copyField := func(name, k string) {
		v := f[k]
		if s, ok := v.(string); ok && s != "" && s != "-" {
			ev.SetECS(name, v)
		}
	}
	channel := str("Channel")
	ds := event.WindowsDataset(channel)
	if channel == "" && strings.EqualFold(str("Provider_Name"), "Microsoft-Windows-Sysmon") {
		ds = event.DatasetWindowsSysmon
	}
	code := str("EventID")
	ev.SetECS("event.module", "windows")
	ev.SetECS("event.dataset", ds)
	ev.SetECS("event.kind", "event")
	set("event.code", code)
	copyField("event.provider", "Provider_Name")
	copyField("winlog.provider_name", "Provider_Name")
	set("winlog.channel", channel)
	copyField("winlog.record_id", "EventRecordID")
	set("winlog.event_id", code)
	if ev.Timestamp.IsZero() {
		if t, err := winevent.ParseTime(str("TimeCreated")); err == nil {
			ev.Timestamp = t
		}
	}
	ev.Timestamp = ev.Timestamp.UTC()

	setHost(ev, str("Computer"))

	kind, ok := otherKinds[code]
	switch ds {
	case event.DatasetWindowsSecurity:
		if k, found := securityKinds[code]; found {
			kind, ok = k, true
		}
		windowsSecurity(ev, code, str, set, copyField)
	case event.DatasetWindowsSysmon:
		if k, found := sysmonKinds[code]; found {
			kind, ok = k, true
		}
		windowsSysmon(ev, code, str, set, copyField)
	default:
		if ds == event.DatasetWindowsPowerShell && code == "4104" {
			copyField("powershell.file.script_block_text", "ScriptBlockText")
		}
		if code == "7045" {
			copyField("service.name", "ServiceName")
			copyField("file.path", "ImagePath")
		}
		subjectUser(ev, str, set, copyField)
	}
	if ok {
		ev.SetECS("event.category", []any{kind.category})
		ev.SetECS("event.type", []any{kind.typ})
		set("event.action", kind.action)
		set("event.outcome", kind.outcome)
	}
	if ds == event.DatasetWindowsSecurity {
		// Audit keywords say it for every Security event.
		switch strings.ToLower(str("Keywords")) {
		case "0x8020000000000000":
			ev.SetECS("event.outcome", "success")
		case "0x8010000000000000":
			ev.SetECS("event.outcome", "failure")
		}
	}
}

// windowsSecurity maps Security-Auditing payloads.
func windowsSecurity(ev *event.Event, code string, str func(string) string, set, copyField func(string, string)) {
	switch code {
	case "4624", "4625", "4634", "4647", "4648", "4672", "4768", "4769", "4771", "4776":
		// Logon events: the account logging on is the target.
		user := str("TargetUserName")
		if code == "4672" || user == "" {
			user = str("SubjectUserName")
		}
		set("user.name", user)
		dom := str("TargetDomainName")
		if code == "4672" || dom == "" {
			dom = str("SubjectDomainName")
		}
		set("user.domain", dom)
		set("user.id", firstOf(str("TargetUserSid"), str("SubjectUserSid")))
		copyField("winlog.logon.type", "LogonType")
		set("winlog.logon.id", firstOf(str("TargetLogonId"), str("SubjectLogonId")))
		setIP(ev, "source.ip", str("IpAddress"))
		setPort(ev, "source.port", str("IpPort"))
		copyField("source.domain", "WorkstationName")
		if code == "4776" {
			copyField("user.name", "TargetUserName")
			copyField("source.domain", "Workstation")
		}
		if code == "4625" || code == "4771" {
			copyField("winlog.event_data.Status", "Status")
		}
	case "4688":
		subjectUser(ev, str, set, copyField)
		copyField("process.executable", "NewProcessName")
		set("process.name", baseName(str("NewProcessName")))
		copyField("process.command_line", "CommandLine")
		setPID(ev, "process.pid", str("NewProcessId"))
		copyField("process.parent.executable", "ParentProcessName")
		set("process.parent.name", baseName(str("ParentProcessName")))
		setPID(ev, "process.parent.pid", str("ProcessId"))
		copyField("winlog.logon.id", "SubjectLogonId")
	case "4689":
		subjectUser(ev, str, set, copyField)
		copyField("process.executable", "ProcessName")
		setPID(ev, "process.pid", str("ProcessId"))
	case "5156", "5157", "5158":
		copyField("process.executable", "Application")
		setPID(ev, "process.pid", firstOf(str("ProcessID"), str("ProcessId")))
		setIP(ev, "source.ip", str("SourceAddress"))
		setPort(ev, "source.port", str("SourcePort"))
		setIP(ev, "destination.ip", str("DestAddress"))
		setPort(ev, "destination.port", str("DestPort"))
		copyField("network.iana_number", "Protocol")
	case "5140", "5145":
		subjectUser(ev, str, set, copyField)
		setIP(ev, "source.ip", str("IpAddress"))
		setPort(ev, "source.port", str("IpPort"))
		copyField("file.path", "RelativeTargetName")
	default:
		subjectUser(ev, str, set, copyField)
		// Account management: the subject acts on a target account or group.
		if t := str("TargetUserName"); t != "" && t != "-" {
			switch code {
			case "4727", "4728", "4729", "4730", "4731", "4732", "4733", "4734", "4735", "4737",
				"4754", "4755", "4756", "4757", "4758":
				set("group.name", t)
				copyField("group.domain", "TargetDomainName")
				copyField("group.id", "TargetSid")
				set("user.target.name", memberName(str("MemberName")))
				copyField("user.target.id", "MemberSid")
			default:
				set("user.target.name", t)
				copyField("user.target.domain", "TargetDomainName")
				set("user.target.id", firstOf(str("TargetSid"), str("TargetUserSid")))
			}
		}
		copyField("winlog.logon.id", "SubjectLogonId")
		setIP(ev, "source.ip", str("IpAddress"))
		setPort(ev, "source.port", str("IpPort"))
	}
}

// windowsSysmon maps Sysmon payloads.
func windowsSysmon(ev *event.Event, code string, str func(string) string, set, copyField func(string, string)) {
	setUser(ev, "user", str("User"))
	img := str("Image")
	set("process.executable", img)
	set("process.name", baseName(img))
	setPID(ev, "process.pid", str("ProcessId"))
	copyField("process.entity_id", "ProcessGuid")
	copyField("winlog.logon.id", "LogonId")
	switch code {
	case "1":
		copyField("process.command_line", "CommandLine")
		copyField("process.working_directory", "CurrentDirectory")
		copyField("process.parent.executable", "ParentImage")
		set("process.parent.name", baseName(str("ParentImage")))
		copyField("process.parent.command_line", "ParentCommandLine")
		setPID(ev, "process.parent.pid", str("ParentProcessId"))
		copyField("process.parent.entity_id", "ParentProcessGuid")
		copyField("process.pe.original_file_name", "OriginalFileName")
		copyField("process.pe.description", "Description")
		copyField("process.pe.product", "Product")
		copyField("process.pe.company", "Company")
		setHashes(ev, "process.hash.", str("Hashes"))
	case "3":
		setIP(ev, "source.ip", str("SourceIp"))
		setPort(ev, "source.port", str("SourcePort"))
		copyField("source.domain", "SourceHostname")
		setIP(ev, "destination.ip", str("DestinationIp"))
		setPort(ev, "destination.port", str("DestinationPort"))
		copyField("destination.domain", "DestinationHostname")
		set("network.transport", strings.ToLower(str("Protocol")))
		if in := str("Initiated"); in != "" {
			if in == "true" {
				ev.SetECS("network.direction", "egress")
			} else {
				ev.SetECS("network.direction", "ingress")
			}
		}
	case "6", "7":
		copyField("file.path", "ImageLoaded")
		set("file.name", baseName(str("ImageLoaded")))
		copyField("file.code_signature.subject_name", "Signature")
		copyField("file.code_signature.signed", "Signed")
		setHashes(ev, "file.hash.", str("Hashes"))
		if code == "7" {
			copyField("dll.path", "ImageLoaded")
		}
	case "8", "10":
		copyField("process.executable", "SourceImage")
		set("process.name", baseName(str("SourceImage")))
		setPID(ev, "process.pid", str("SourceProcessId"))
		copyField("process.entity_id", "SourceProcessGuid")
		copyField("process.target.executable", "TargetImage")
		setPID(ev, "process.target.pid", str("TargetProcessId"))
	case "2", "11", "15", "23", "26", "29":
		copyField("file.path", "TargetFilename")
		set("file.name", baseName(str("TargetFilename")))
		setHashes(ev, "file.hash.", str("Hashes"))
	case "12", "13", "14":
		copyField("registry.path", "TargetObject")
		copyField("registry.data.strings", "Details")
		if k := str("TargetObject"); k != "" {
			hive, rest, _ := strings.Cut(k, `\`)
			set("registry.hive", hive)
			set("registry.key", rest)
		}
	case "17", "18":
		copyField("file.name", "PipeName")
	case "22":
		copyField("dns.question.name", "QueryName")
	}
}

// subjectUser sets user.* from the acting account of a Security event.
func subjectUser(ev *event.Event, str func(string) string, set, copyField func(string, string)) {
	copyField("user.name", "SubjectUserName")
	copyField("user.domain", "SubjectDomainName")
	copyField("user.id", "SubjectUserSid")
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
