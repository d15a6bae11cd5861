package demo

import (
	"fmt"
	"strings"
	"time"
)

// proc is a process on a Windows host, as Sysmon and 4688 describe it.
type proc struct {
	Host    *host
	User    string // DOMAIN\name, as Sysmon writes User
	SID     string
	LogonID string
	PID     int
	GUID    string
	Image   string
	Cmd     string
	Cwd     string
	Level   string // integrity level
}

// Well-known images.
const (
	imgExplorer   = `C:\Windows\explorer.exe`
	imgCmd        = `C:\Windows\System32\cmd.exe`
	imgPowerShell = `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`
	imgOutlook    = `C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE`
	imgWord       = `C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE`
	imgExcel      = `C:\Program Files\Microsoft Office\root\Office16\EXCEL.EXE`
	imgChrome     = `C:\Program Files\Google\Chrome\Application\chrome.exe`
	imgEdge       = `C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe`
	imgTeams      = `C:\Users\%s\AppData\Local\Microsoft\Teams\current\Teams.exe`
	imgOneDrive   = `C:\Users\%s\AppData\Local\Microsoft\OneDrive\OneDrive.exe`
	imgSvchost    = `C:\Windows\System32\svchost.exe`
	imgServices   = `C:\Windows\System32\services.exe`
)

// processGUID renders a Sysmon ProcessGuid: a machine part, the process
// start time and a counter, as Sysmon builds it.
func processGUID(h *host, t time.Time, pid int) string {
	return fmt.Sprintf("%08X-%04X-%04X-%04X-%012X", 0x5AA13A44+h.pidBase, uint16(t.Unix()>>16), uint16(t.Unix()), pid&0xFFFF, uint64(pid)*0x1000+uint64(h.pidBase))
}

func (g *Generator) userProc(u *user, h *host, t time.Time, image, cmd string) proc {
	pid := g.pid(h)
	return proc{
		Host: h, User: Domain + `\` + u.Name, SID: u.SID(), LogonID: logonID(u, h),
		PID: pid, GUID: processGUID(h, t, pid), Image: image, Cmd: cmd,
		Cwd: `C:\Users\` + u.Name + `\`, Level: "Medium",
	}
}

func (g *Generator) systemProc(h *host, t time.Time, image, cmd string) proc {
	pid := g.pid(h)
	return proc{
		Host: h, User: `NT AUTHORITY\SYSTEM`, SID: "S-1-5-18", LogonID: "0x3e7",
		PID: pid, GUID: processGUID(h, t, pid), Image: image, Cmd: cmd,
		Cwd: `C:\Windows\system32\`, Level: "System",
	}
}

// logonID is the user's interactive logon session on h, stable for a day
// of work so Sysmon and Security events of one session agree.
func logonID(u *user, h *host) string {
	return fmt.Sprintf("0x%x", 0x2a0000+u.RID*131+h.pidBase)
}

// emitProcess schedules Sysmon EID 1 and Security 4688 for p started by parent.
func (g *Generator) emitProcess(t time.Time, p, parent proc) {
	g.emitWin(t, sysmonEvent(p.Host, 1, 5, obj{
		{"RuleName", "-"},
		{"UtcTime", sysmonTime(t)},
		{"ProcessGuid", p.GUID},
		{"ProcessId", p.PID},
		{"Image", p.Image},
		{"FileVersion", "-"},
		{"Description", describe(p.Image)},
		{"Product", "-"},
		{"Company", "-"},
		{"OriginalFileName", baseName(p.Image)},
		{"CommandLine", p.Cmd},
		{"CurrentDirectory", p.Cwd},
		{"User", p.User},
		{"LogonGuid", "5AA13A44-" + strings.TrimPrefix(p.LogonID, "0x") + "-0000-0000-000000000000"},
		{"LogonId", p.LogonID},
		{"TerminalSessionId", 1},
		{"IntegrityLevel", p.Level},
		{"Hashes", fakeHashes(p.Image)},
		{"ParentProcessGuid", parent.GUID},
		{"ParentProcessId", parent.PID},
		{"ParentImage", parent.Image},
		{"ParentCommandLine", parent.Cmd},
		{"ParentUser", parent.User},
	}))
	name := p.User[strings.IndexByte(p.User, '\\')+1:]
	dom := p.User[:strings.IndexByte(p.User, '\\')]
	g.emitWin(t.Add(3*time.Millisecond), securityEvent(p.Host, 4688, 13312, kwSuccess, obj{
		{"SubjectUserSid", p.SID},
		{"SubjectUserName", name},
		{"SubjectDomainName", dom},
		{"SubjectLogonId", p.LogonID},
		{"NewProcessId", fmt.Sprintf("0x%x", p.PID)},
		{"NewProcessName", p.Image},
		{"TokenElevationType", "%%1938"},
		{"ProcessId", fmt.Sprintf("0x%x", parent.PID)},
		{"CommandLine", p.Cmd},
		{"TargetUserSid", "S-1-0-0"},
		{"TargetUserName", "-"},
		{"TargetDomainName", "-"},
		{"TargetLogonId", "0x0"},
		{"ParentProcessName", parent.Image},
		{"MandatoryLabel", mandatoryLabel(p.Level)},
	}))
}

func mandatoryLabel(level string) string {
	switch level {
	case "System":
		return "S-1-16-16384"
	case "High":
		return "S-1-16-12288"
	}
	return "S-1-16-8192"
}

// emitNetwork schedules Sysmon EID 3 for an outbound TCP connection of p.
func (g *Generator) emitNetwork(t time.Time, p proc, srcPort int, dstIP, dstHost string, dstPort int) {
	portName := "-"
	switch dstPort {
	case 443:
		portName = "https"
	case 80:
		portName = "http"
	case 445:
		portName = "microsoft-ds"
	case 389:
		portName = "ldap"
	}
	g.emitWin(t, sysmonEvent(p.Host, 3, 5, obj{
		{"RuleName", "-"},
		{"UtcTime", sysmonTime(t)},
		{"ProcessGuid", p.GUID},
		{"ProcessId", p.PID},
		{"Image", p.Image},
		{"User", p.User},
		{"Protocol", "tcp"},
		{"Initiated", true},
		{"SourceIsIpv6", false},
		{"SourceIp", p.Host.IP},
		{"SourceHostname", p.Host.FQDN()},
		{"SourcePort", srcPort},
		{"SourcePortName", "-"},
		{"DestinationIsIpv6", false},
		{"DestinationIp", dstIP},
		{"DestinationHostname", orDash(dstHost)},
		{"DestinationPort", dstPort},
		{"DestinationPortName", portName},
	}))
}

// emitFileCreate schedules Sysmon EID 11 for a file p created.
func (g *Generator) emitFileCreate(t time.Time, p proc, path string) {
	g.emitWin(t, sysmonEvent(p.Host, 11, 2, obj{
		{"RuleName", "-"},
		{"UtcTime", sysmonTime(t)},
		{"ProcessGuid", p.GUID},
		{"ProcessId", p.PID},
		{"Image", p.Image},
		{"TargetFilename", path},
		{"CreationUtcTime", sysmonTime(t)},
		{"User", p.User},
	}))
}

// logon describes one logon for 4624/4625.
type logon struct {
	Host        *host  // where the logon happens
	User        string // target account name
	UserDomain  string
	UserSID     string
	Type        int
	SrcIP       string
	SrcPort     int
	Workstation string
	LogonID     string
}

func logonProcess(typ int) (process, pkg string) {
	switch typ {
	case 2, 10, 11:
		return "User32 ", "Negotiate"
	case 5:
		return "Advapi  ", "Negotiate"
	}
	return "NtLmSsp ", "NTLM"
}

// emitLogon schedules a successful logon (4624).
func (g *Generator) emitLogon(t time.Time, l logon) {
	lp, ap := logonProcess(l.Type)
	if l.Type == 3 && strings.HasSuffix(l.User, "$") {
		lp, ap = "Kerberos", "Kerberos"
	}
	subjSID, subjName, subjDom, subjLogon, procID, procName := "S-1-0-0", "-", "-", "0x0", "0x0", "-"
	if l.Type == 2 || l.Type == 10 || l.Type == 11 || l.Type == 5 {
		subjSID, subjName, subjDom, subjLogon = "S-1-5-18", l.Host.Name+"$", Domain, "0x3e7"
		procID, procName = fmt.Sprintf("0x%x", 600+l.Host.pidBase%200*4), `C:\Windows\System32\svchost.exe`
		if l.Type != 5 {
			procName = `C:\Windows\System32\winlogon.exe`
		}
	}
	elevated := "%%1843"
	if l.Type == 5 || strings.HasPrefix(l.UserSID, "S-1-5-21") && l.Type != 3 {
		elevated = "%%1842"
	}
	g.emitWin(t, securityEvent(l.Host, 4624, 12544, kwSuccess, obj{
		{"SubjectUserSid", subjSID},
		{"SubjectUserName", subjName},
		{"SubjectDomainName", subjDom},
		{"SubjectLogonId", subjLogon},
		{"TargetUserSid", l.UserSID},
		{"TargetUserName", l.User},
		{"TargetDomainName", l.UserDomain},
		{"TargetLogonId", l.LogonID},
		{"LogonType", l.Type},
		{"LogonProcessName", lp},
		{"AuthenticationPackageName", ap},
		{"WorkstationName", orDash(l.Workstation)},
		{"LogonGuid", "00000000-0000-0000-0000-000000000000"},
		{"TransmittedServices", "-"},
		{"LmPackageName", lmPackage(ap)},
		{"KeyLength", 0},
		{"ProcessId", procID},
		{"ProcessName", procName},
		{"IpAddress", orDash(l.SrcIP)},
		{"IpPort", portOrDash(l.SrcPort)},
		{"ImpersonationLevel", "%%1833"},
		{"RestrictedAdminMode", "-"},
		{"TargetOutboundUserName", "-"},
		{"TargetOutboundDomainName", "-"},
		{"VirtualAccount", "%%1843"},
		{"TargetLinkedLogonId", "0x0"},
		{"ElevatedToken", elevated},
	}))
}

func lmPackage(authPkg string) string {
	if authPkg == "NTLM" {
		return "NTLM V2"
	}
	return "-"
}

// NTSTATUS codes of 4625.
const (
	statusBadPassword = "0xc000006a"
	statusNoSuchUser  = "0xc0000064"
)

// emitLogonFailure schedules a failed logon (4625).
func (g *Generator) emitLogonFailure(t time.Time, l logon, subStatus string) {
	lp, ap := logonProcess(l.Type)
	g.emitWin(t, winEvent{Prov: provSecurity, ID: 4625, Task: 12544, Keywords: kwFailure, Host: l.Host, Data: obj{
		{"SubjectUserSid", "S-1-0-0"},
		{"SubjectUserName", "-"},
		{"SubjectDomainName", "-"},
		{"SubjectLogonId", "0x0"},
		{"TargetUserSid", "S-1-0-0"},
		{"TargetUserName", l.User},
		{"TargetDomainName", l.UserDomain},
		{"Status", "0xc000006d"},
		{"FailureReason", "%%2313"},
		{"SubStatus", subStatus},
		{"LogonType", l.Type},
		{"LogonProcessName", lp},
		{"AuthenticationPackageName", ap},
		{"WorkstationName", orDash(l.Workstation)},
		{"TransmittedServices", "-"},
		{"LmPackageName", "-"},
		{"KeyLength", 0},
		{"ProcessId", "0x0"},
		{"ProcessName", "-"},
		{"IpAddress", orDash(l.SrcIP)},
		{"IpPort", portOrDash(l.SrcPort)},
	}})
}

// emitLogoff schedules 4634.
func (g *Generator) emitLogoff(t time.Time, l logon) {
	g.emitWin(t, securityEvent(l.Host, 4634, 12545, kwSuccess, obj{
		{"TargetUserSid", l.UserSID},
		{"TargetUserName", l.User},
		{"TargetDomainName", l.UserDomain},
		{"TargetLogonId", l.LogonID},
		{"LogonType", l.Type},
	}))
}

// adminPrivileges is the PrivilegeList of 4672 for an administrator, with
// the line breaks Windows puts between the names.
const adminPrivileges = "SeSecurityPrivilege\n\t\t\tSeBackupPrivilege\n\t\t\tSeRestorePrivilege\n\t\t\tSeTakeOwnershipPrivilege\n\t\t\tSeDebugPrivilege\n\t\t\tSeSystemEnvironmentPrivilege\n\t\t\tSeLoadDriverPrivilege\n\t\t\tSeImpersonatePrivilege\n\t\t\tSeDelegateSessionUserImpersonatePrivilege"

// emitSpecialLogon schedules 4672 for an account that logged on with
// administrative privileges.
func (g *Generator) emitSpecialLogon(t time.Time, l logon) {
	g.emitWin(t, securityEvent(l.Host, 4672, 12548, kwSuccess, obj{
		{"SubjectUserSid", l.UserSID},
		{"SubjectUserName", l.User},
		{"SubjectDomainName", l.UserDomain},
		{"SubjectLogonId", l.LogonID},
		{"PrivilegeList", adminPrivileges},
	}))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func portOrDash(p int) string {
	if p == 0 {
		return "-"
	}
	return fmt.Sprint(p)
}

func baseName(path string) string { return path[strings.LastIndexByte(path, '\\')+1:] }

// describe gives the FileVersion description Sysmon copies from the image.
func describe(image string) string {
	switch strings.ToLower(baseName(image)) {
	case "cmd.exe":
		return "Windows Command Processor"
	case "powershell.exe":
		return "Windows PowerShell"
	case "winword.exe":
		return "Microsoft Word"
	case "excel.exe":
		return "Microsoft Excel"
	case "outlook.exe":
		return "Microsoft Outlook"
	case "chrome.exe":
		return "Google Chrome"
	case "msedge.exe":
		return "Microsoft Edge"
	case "vssadmin.exe":
		return "Command Line Interface for Microsoft® Volume Shadow Copy Service "
	case "wmic.exe":
		return "WMI Commandline Utility"
	case "bcdedit.exe":
		return "Boot Configuration Data Editor"
	case "svchost.exe":
		return "Host Process for Windows Services"
	}
	return "-"
}

// fakeHashes derives stable, well-formed hashes from the image path so the
// same program always carries the same hashes.
func fakeHashes(image string) string {
	x := hashString(strings.ToLower(image))
	hex := func(n int) string {
		var b strings.Builder
		for b.Len() < n {
			// splitmix64: a cheap, well-spread sequence from one seed.
			x += 0x9E3779B97F4A7C15
			z := x
			z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
			z = (z ^ z>>27) * 0x94D049BB133111EB
			fmt.Fprintf(&b, "%016X", z^z>>31)
		}
		return b.String()[:n]
	}
	return "SHA1=" + hex(40) + ",MD5=" + hex(32) + ",SHA256=" + hex(64) + ",IMPHASH=" + hex(32)
}

// hashString is FNV-1a, enough to seed per-image values.
func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
