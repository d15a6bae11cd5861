package demo

import (
	"encoding/base64"
	"fmt"
	"math/rand"
	"strings"
	"time"
	"unicode/utf16"
)

// activity is one kind of benign background activity. weight is its share
// of activities; lines is about how many records one activity writes, used
// to turn the events-per-second rate into activities per second.
type activity struct {
	name   string
	weight float64
	lines  float64
	run    func(g *Generator, at time.Time)
}

// activities is the benign mix of a working day at a small office.
var activities = []activity{
	{"user starts a program", 14, 2, (*Generator).bgProcess},
	{"program talks to a cloud service", 20, 1.3, (*Generator).bgNetwork},
	{"program writes a file", 12, 1, (*Generator).bgFile},
	{"file share access", 10, 2, (*Generator).bgShareLogon},
	{"workstation unlock", 2, 2.06, (*Generator).bgInteractiveLogon},
	{"computer account logon at the DC", 8, 2, (*Generator).bgMachineLogon},
	{"service starts on a server", 4, 2, (*Generator).bgServiceProcess},
	{"web site visit", 9, 4, (*Generator).bgWebVisit},
	{"search engine crawler", 2, 1, (*Generator).bgCrawler},
	{"outbound browsing", 9, 1, (*Generator).bgOutbound},
	{"inbound scan dropped", 5, 1, (*Generator).bgInboundDeny},
	{"internet ssh scanner", 0.6, 3.5, (*Generator).bgSSHScanner},
	{"cron job", 3, 7, (*Generator).bgCron},
	{"program runs on a Linux server", 5, 4, (*Generator).bgAuditExec},
	{"admin ssh session", 0.05, 3.03, (*Generator).bgAdminSSH},
	{"admin sudo", 0.1, 6, (*Generator).bgAdminSudo},
	{"mistyped password", 0.1, 2, (*Generator).bgTypo},
	{"management agent PowerShell", 0.02, 2, (*Generator).bgManagementPowerShell},
}

// meanLines is the average number of records per activity.
func meanLines() float64 {
	var w, l float64
	for _, a := range activities {
		w += a.weight
		l += a.weight * a.lines
	}
	return l / w
}

// background runs one random benign activity at t.
func (g *Generator) background(t time.Time) {
	var total float64
	for _, a := range activities {
		total += a.weight
	}
	x := g.rng.Float64() * total
	for _, a := range activities {
		if x < a.weight {
			a.run(g, t)
			return
		}
		x -= a.weight
	}
	activities[0].run(g, t)
}

func (g *Generator) randomUser() *user { return pick(g.rng, g.co.Users) }

func (g *Generator) ephemeralPort() int { return 49152 + g.rng.Intn(16000) }

// explorer is the user's desktop shell, parent of what they start.
func (g *Generator) explorer(u *user) proc {
	h := u.WS
	pid := 3000 + h.pidBase%2000*2
	return proc{Host: h, User: Domain + `\` + u.Name, SID: u.SID(), LogonID: logonID(u, h),
		PID: pid, GUID: processGUID(h, time.Unix(1700000000, 0), pid), Image: imgExplorer, Cmd: imgExplorer,
		Cwd: `C:\Windows\system32\`, Level: "Medium"}
}

var documents = []string{
	"Q3 budget.xlsx", "Board deck v4.pptx", "Contract draft.docx", "Invoice 10422.pdf",
	"Team roster.xlsx", "Meeting notes.docx", "Price list 2026.xlsx", "Onboarding checklist.docx",
	"Travel expenses.xlsx", "Project plan.docx", "Customer list.xlsx", "Policy update.pdf",
}

// userPrograms returns a benign program launch for u: image and command line.
func userProgram(rng *rand.Rand, u *user) (string, string) {
	doc := `C:\Users\` + u.Name + `\Documents\` + pick(rng, documents)
	switch rng.Intn(10) {
	case 0, 1:
		return imgChrome, `"` + imgChrome + `" --type=renderer --lang=en-US --first-renderer-process --launch-time-ticks=` + fmt.Sprint(1e9+rng.Int63n(9e9))
	case 2:
		return imgEdge, `"` + imgEdge + `" --single-argument https://intranet.` + DNSDomain + `/`
	case 3:
		return imgExcel, `"` + imgExcel + `" "` + doc + `"`
	case 4:
		return imgWord, `"` + imgWord + `" /n "` + doc + `"`
	case 5:
		t := fmt.Sprintf(imgTeams, u.Name)
		return t, `"` + t + `" --type=renderer --autostart`
	case 6:
		o := fmt.Sprintf(imgOneDrive, u.Name)
		return o, `"` + o + `" /background`
	case 7:
		return `C:\Windows\System32\notepad.exe`, `"C:\Windows\System32\notepad.exe" C:\Users\` + u.Name + `\Desktop\todo.txt`
	case 8:
		return `C:\Program Files\Adobe\Acrobat DC\Acrobat\Acrobat.exe`, `"C:\Program Files\Adobe\Acrobat DC\Acrobat\Acrobat.exe" "C:\Users\` + u.Name + `\Downloads\` + pick(rng, []string{"statement.pdf", "whitepaper.pdf", "manual.pdf"}) + `"`
	}
	if u.Admin {
		return imgCmd, `"C:\Windows\system32\cmd.exe" /c ` + pick(rng, []string{"ipconfig /all", "ping -n 4 10.10.0.10", "gpupdate /force", "whoami /groups", "nslookup fs-01." + DNSDomain})
	}
	return `C:\Windows\System32\calc.exe`, `"C:\Windows\System32\calc.exe"`
}

func (g *Generator) bgProcess(t time.Time) {
	u := g.randomUser()
	img, cmd := userProgram(g.rng, u)
	g.emitProcess(t, g.userProc(u, u.WS, t, img, cmd), g.explorer(u))
}

func (g *Generator) bgNetwork(t time.Time) {
	u := g.randomUser()
	svc := pick(g.rng, benignServices)
	img := pick(g.rng, []string{imgChrome, imgEdge, imgOutlook, fmt.Sprintf(imgTeams, u.Name), fmt.Sprintf(imgOneDrive, u.Name)})
	p := g.userProc(u, u.WS, t, img, `"`+img+`"`)
	dst := fmt.Sprintf("%s.%d", svc.Prefix, 1+g.rng.Intn(254))
	sport := g.ephemeralPort()
	g.emitNetwork(t, p, sport, dst, svc.Host, svc.Port)
	if g.rng.Intn(10) < 3 {
		g.emitFirewall(t.Add(time.Duration(1+g.rng.Intn(40))*time.Millisecond), flow{
			SrcIP: u.WS.IP, SrcPort: sport, DstIP: dst, DstPort: svc.Port, Proto: "tcp", Action: "allow",
			SrcZone: "lan", DstZone: "wan", Rule: 10, Sent: 800 + g.rng.Intn(40000), Rcvd: 2000 + g.rng.Intn(900000),
		})
	}
}

func (g *Generator) bgFile(t time.Time) {
	u := g.randomUser()
	var img, path string
	switch g.rng.Intn(4) {
	case 0:
		img, path = imgChrome, `C:\Users\`+u.Name+`\Downloads\`+pick(g.rng, []string{"report", "invoice", "slides", "photo", "setup"})+fmt.Sprintf("_%d", g.rng.Intn(900)+100)+pick(g.rng, []string{".pdf", ".docx", ".png", ".zip"})
	case 1:
		img, path = imgExcel, `C:\Users\`+u.Name+`\Documents\`+pick(g.rng, documents)
	case 2:
		img, path = imgOutlook, fmt.Sprintf(`C:\Users\%s\AppData\Local\Microsoft\Outlook\%s@example.com.ost.tmp%d`, u.Name, u.Name, g.rng.Intn(99))
	default:
		img, path = imgWord, fmt.Sprintf(`C:\Users\%s\AppData\Roaming\Microsoft\Word\~WRL%04d.tmp`, u.Name, g.rng.Intn(9999))
	}
	g.emitFileCreate(t, g.userProc(u, u.WS, t, img, `"`+img+`"`), path)
}

func (g *Generator) bgShareLogon(t time.Time) {
	u := g.randomUser()
	l := logon{Host: g.co.FS, User: u.Name, UserDomain: Domain, UserSID: u.SID(), Type: 3,
		SrcIP: u.WS.IP, SrcPort: g.ephemeralPort(), Workstation: u.WS.Name,
		LogonID: fmt.Sprintf("0x%x", 0x1000000+g.rng.Intn(0xffffff))}
	g.emitLogon(t, l)
	g.emitLogoff(t.Add(jitter(g.rng, 40*time.Second, 0.9)), l)
}

func (g *Generator) bgInteractiveLogon(t time.Time) {
	u := g.randomUser()
	l := logon{Host: u.WS, User: u.Name, UserDomain: Domain, UserSID: u.SID(), Type: pick(g.rng, []int{2, 7, 11}),
		Workstation: u.WS.Name, LogonID: logonID(u, u.WS), SrcIP: "127.0.0.1"}
	g.emitLogon(t, l)
	if u.Admin {
		g.emitSpecialLogon(t.Add(time.Millisecond), l)
	}
}

func (g *Generator) bgMachineLogon(t time.Time) {
	ws := pick(g.rng, g.co.Workstations)
	l := logon{Host: g.co.DC, User: ws.Name + "$", UserDomain: Domain,
		UserSID: fmt.Sprintf("%s-%d", domainSID, 2000+ws.pidBase%1000), Type: 3, SrcIP: ws.IP,
		SrcPort: g.ephemeralPort(), LogonID: fmt.Sprintf("0x%x", 0x3000000+g.rng.Intn(0xffffff))}
	g.emitLogon(t, l)
	g.emitLogoff(t.Add(jitter(g.rng, 2*time.Second, 0.5)), l)
}

func (g *Generator) bgServiceProcess(t time.Time) {
	h := pick(g.rng, []*host{g.co.DC, g.co.FS, g.co.App, pick(g.rng, g.co.Workstations)})
	parent := g.systemProc(h, t.Add(-time.Hour), imgServices, imgServices)
	parent.PID = 700 + h.pidBase%100*4
	cmd := pick(g.rng, []string{
		`C:\Windows\system32\svchost.exe -k netsvcs -p -s Schedule`,
		`C:\Windows\system32\svchost.exe -k LocalServiceNetworkRestricted -p -s EventLog`,
		`C:\Windows\System32\svchost.exe -k wsappx -p -s ClipSVC`,
		`C:\Windows\system32\svchost.exe -k netsvcs -p -s wuauserv`,
		`C:\Windows\servicing\TrustedInstaller.exe`,
		`"C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.25090.3009-0\MsMpEng.exe"`,
	})
	img := imgSvchost
	if !strings.HasPrefix(cmd, `C:\Windows\system32\svchost`) && !strings.HasPrefix(cmd, `C:\Windows\System32\svchost`) {
		img = strings.Trim(strings.SplitN(cmd, `.exe`, 2)[0]+".exe", `"`)
	}
	g.emitProcess(t, g.systemProc(h, t, img, cmd), parent)
}

var webPages = []string{
	"/", "/", "/", "/about", "/products", "/products/yagura-cloud", "/products/onprem", "/pricing",
	"/blog/", "/blog/2026/11/detecting-brute-force", "/blog/2026/10/sigma-at-scale", "/contact",
	"/careers", "/docs/getting-started", "/docs/api", "/search?q=pricing", "/search?q=sigma+rules",
	"/login", "/index.php?page=news&id=42",
}

var browserAgents = []string{
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
	"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
}

func (g *Generator) bgWebVisit(t time.Time) {
	ip := visitorIP(g.rng)
	ua := pick(g.rng, browserAgents)
	page := pick(g.rng, webPages)
	ref := pick(g.rng, []string{"", "https://www.google.com/", "https://www.bing.com/", "https://news.ycombinator.com/", "https://" + webSiteDNS + "/"})
	status := 200
	if g.rng.Intn(40) == 0 {
		page, status = pick(g.rng, []string{"/favicon.png", "/old-page.html", "/wp-login.php", "/blog/feed"}), 404
	}
	g.emitWeb(t, ip, "GET", page, status, 3000+g.rng.Intn(40000), ref, ua)
	if status != 200 {
		return
	}
	self := "https://" + webSiteDNS + page
	for i, asset := range []string{"/static/css/site.css", "/static/js/app.js", "/static/img/logo.svg", "/favicon.ico"} {
		if g.rng.Intn(3) == 0 {
			continue
		}
		st, size := 200, 500+g.rng.Intn(90000)
		if g.rng.Intn(3) == 0 {
			st, size = 304, 0
		}
		g.emitWeb(t.Add(time.Duration(80+40*i+g.rng.Intn(200))*time.Millisecond), ip, "GET", asset, st, size, self, ua)
	}
}

func (g *Generator) bgCrawler(t time.Time) {
	bots := []struct{ prefix, ua string }{
		{"66.249.66", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"},
		{"157.55.39", "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"},
	}
	b := pick(g.rng, bots)
	page := pick(g.rng, append([]string{"/robots.txt", "/sitemap.xml"}, webPages...))
	g.emitWeb(t, fmt.Sprintf("%s.%d", b.prefix, 1+g.rng.Intn(254)), "GET", page, 200, 1000+g.rng.Intn(30000), "", b.ua)
}

func (g *Generator) bgOutbound(t time.Time) {
	u := g.randomUser()
	svc := pick(g.rng, benignServices)
	port, proto := svc.Port, "tcp"
	if g.rng.Intn(5) == 0 {
		port, proto = 443, "udp" // QUIC
	}
	g.emitFirewall(t, flow{SrcIP: u.WS.IP, SrcPort: g.ephemeralPort(), DstIP: fmt.Sprintf("%s.%d", svc.Prefix, 1+g.rng.Intn(254)),
		DstPort: port, Proto: proto, Action: "allow", SrcZone: "lan", DstZone: "wan", Rule: 10,
		Sent: 500 + g.rng.Intn(20000), Rcvd: 1000 + g.rng.Intn(2000000)})
}

func (g *Generator) bgInboundDeny(t time.Time) {
	dport := pick(g.rng, []int{23, 445, 3389, 1433, 5900, 8080, 6379, 2323, 22})
	dst := pick(g.rng, []string{PublicWeb, PublicNAT, PublicSSH})
	if dport == 22 && dst == PublicSSH {
		dst = PublicNAT
	}
	g.emitFirewall(t, flow{SrcIP: visitorIP(g.rng), SrcPort: g.ephemeralPort(), DstIP: dst, DstPort: dport,
		Proto: "tcp", Action: "deny", SrcZone: "wan", DstZone: "dmz", Rule: 99})
}

// bgSSHScanner is the internet's constant trickle of login attempts
// against any exposed sshd: one or two guesses per address, never enough
// to look like a targeted brute force.
func (g *Generator) bgSSHScanner(t time.Time) {
	ip, port := visitorIP(g.rng), g.ephemeralPort()
	b := g.co.Bastion
	pid := g.pid(b)
	g.emitFirewall(t, flow{SrcIP: ip, SrcPort: port, DstIP: PublicSSH, DstPort: 22, Proto: "tcp", Action: "allow",
		SrcZone: "wan", DstZone: "dmz", Rule: 20, Sent: 2100, Rcvd: 3000})
	name := pick(g.rng, []string{"admin", "test", "oracle", "ubuntu", "user", "postgres", "git", "support"})
	n := 1 + g.rng.Intn(2)
	at := t.Add(400 * time.Millisecond)
	for i := 0; i < n; i++ {
		g.emitSyslog(at, facAuth, sevInfo, b.Name, "sshd", pid, fmt.Sprintf("Invalid user %s from %s port %d", name, ip, port))
		at = at.Add(jitter(g.rng, 2*time.Second, 0.5))
		g.emitSyslog(at, facAuth, sevInfo, b.Name, "sshd", pid, fmt.Sprintf("Failed password for invalid user %s from %s port %d ssh2", name, ip, port))
	}
	g.emitSyslog(at.Add(300*time.Millisecond), facAuth, sevInfo, b.Name, "sshd", pid, fmt.Sprintf("Connection closed by invalid user %s %s port %d [preauth]", name, ip, port))
}

// bgCron is a scheduled job: PAM session open, the command, session close.
func (g *Generator) bgCron(t time.Time) {
	h := pick(g.rng, g.co.linuxServers())
	job := pick(g.rng, []struct{ user, cmd string }{
		{"root", "cd / && run-parts --report /etc/cron.hourly"},
		{"root", "[ -x /usr/lib/php/sessionclean ] && if [ ! -d /run/systemd/system ]; then /usr/lib/php/sessionclean; fi"},
		{"root", "command -v debian-sa1 > /dev/null && debian-sa1 1 1"},
		{"backup", "/usr/local/bin/backup.sh --incremental >/dev/null 2>&1"},
		{"www-data", "/usr/bin/php /var/www/site/cron.php >/dev/null 2>&1"},
	})
	uid := 0
	switch job.user {
	case "backup":
		uid = 34
	case "www-data":
		uid = 33
	}
	pid := g.pid(h)
	g.emitSyslog(t, facAuthpriv, sevInfo, h.Name, "CRON", pid, fmt.Sprintf("pam_unix(cron:session): session opened for user %s(uid=%d) by (uid=0)", job.user, uid))
	g.emitSyslog(t.Add(2*time.Millisecond), facCron, sevInfo, h.Name, "CRON", pid, fmt.Sprintf("(%s) CMD (%s)", job.user, job.cmd))
	g.emitAudit(t.Add(5*time.Millisecond), auditExec{Host: h, PID: g.pid(h), PPID: pid, AUID: 4294967295, UID: uid,
		Exe: "/usr/bin/dash", Argv: []string{"/bin/sh", "-c", job.cmd}, Cwd: "/", TTY: "(none)", Session: 4294967295})
	g.emitSyslog(t.Add(jitter(g.rng, 2*time.Second, 0.8)), facAuthpriv, sevInfo, h.Name, "CRON", pid, fmt.Sprintf("pam_unix(cron:session): session closed for user %s", job.user))
}

func (g *Generator) bgAuditExec(t time.Time) {
	h := pick(g.rng, g.co.linuxServers())
	x := pick(g.rng, []struct {
		exe  string
		argv []string
		uid  int
	}{
		{"/usr/bin/python3.12", []string{"/usr/bin/python3", "/opt/app/worker.py", "--queue", "default"}, 1002},
		{"/usr/sbin/logrotate", []string{"/usr/sbin/logrotate", "/etc/logrotate.conf"}, 0},
		{"/usr/bin/du", []string{"du", "-sh", "/var/lib/postgresql"}, 114},
		{"/usr/lib/postgresql/16/bin/pg_dump", []string{"pg_dump", "-Fc", "app"}, 114},
		{"/usr/bin/curl", []string{"curl", "-fsS", "http://127.0.0.1:8080/healthz"}, 0},
		{"/usr/bin/systemctl", []string{"systemctl", "is-active", "apache2"}, 0},
		{"/usr/sbin/apache2ctl", []string{"apache2ctl", "graceful"}, 0},
	})
	g.emitAudit(t, auditExec{Host: h, PID: g.pid(h), PPID: 1, AUID: 4294967295, UID: x.uid, Exe: x.exe, Argv: x.argv,
		Cwd: "/", TTY: "(none)", Session: 4294967295})
}

// bgAdminSSH is an IT admin logging in from their workstation with a key.
func (g *Generator) bgAdminSSH(t time.Time) {
	u := pick(g.rng, g.co.admins())
	h := pick(g.rng, g.co.linuxServers())
	pid, port := g.pid(h), g.ephemeralPort()
	uid := g.co.linuxUID(u)
	g.emitSyslog(t, facAuth, sevInfo, h.Name, "sshd", pid, fmt.Sprintf("Accepted publickey for %s from %s port %d ssh2: ED25519 SHA256:%s", u.Name, u.WS.IP, port, fingerprint(u.Name)))
	g.emitSyslog(t.Add(20*time.Millisecond), facAuthpriv, sevInfo, h.Name, "sshd", pid, fmt.Sprintf("pam_unix(sshd:session): session opened for user %s(uid=%d) by (uid=0)", u.Name, uid))
	if g.rng.Intn(50) == 0 {
		// Now and then an admin works in a root shell: the honest false
		// positive of the "root shell after SSH login" rule.
		at := t.Add(jitter(g.rng, 30*time.Second, 0.5))
		g.emitSyslog(at, facAuthpriv, sevNotice, h.Name, "sudo", 0, fmt.Sprintf("%8s : TTY=pts/0 ; PWD=/home/%s ; USER=root ; COMMAND=/bin/bash", u.Name, u.Name))
	}
	g.emitSyslog(t.Add(jitter(g.rng, 5*time.Minute, 0.8)), facAuthpriv, sevInfo, h.Name, "sshd", pid, fmt.Sprintf("pam_unix(sshd:session): session closed for user %s", u.Name))
}

// bgAdminSudo is an admin running an ordinary maintenance command as root.
func (g *Generator) bgAdminSudo(t time.Time) {
	u := pick(g.rng, g.co.admins())
	h := pick(g.rng, g.co.linuxServers())
	cmd := pick(g.rng, [][]string{
		{"/usr/bin/systemctl", "restart", "apache2"},
		{"/usr/bin/apt", "list", "--upgradable"},
		{"/usr/bin/journalctl", "-u", "postgresql", "--since", "today"},
		{"/usr/bin/tail", "-n", "200", "/var/log/apache2/error.log"},
		{"/usr/bin/systemctl", "status", "postgresql"},
		{"/usr/sbin/ufw", "status"},
	})
	uid := g.co.linuxUID(u)
	pid := g.pid(h)
	g.emitSyslog(t, facAuthpriv, sevNotice, h.Name, "sudo", 0, fmt.Sprintf("%8s : TTY=pts/%d ; PWD=/home/%s ; USER=root ; COMMAND=%s", u.Name, g.rng.Intn(4), u.Name, strings.Join(cmd, " ")))
	g.emitSyslog(t.Add(3*time.Millisecond), facAuthpriv, sevInfo, h.Name, "sudo", pid, fmt.Sprintf("pam_unix(sudo:session): session opened for user root(uid=0) by %s(uid=%d)", u.Name, uid))
	g.emitAudit(t.Add(5*time.Millisecond), auditExec{Host: h, PID: g.pid(h), PPID: pid, AUID: uid, UID: 0, Exe: cmd[0], Argv: cmd,
		Cwd: "/home/" + u.Name, TTY: "pts0", Session: 3 + u.RID%50})
	g.emitSyslog(t.Add(jitter(g.rng, 3*time.Second, 0.8)), facAuthpriv, sevInfo, h.Name, "sudo", pid, "pam_unix(sudo:session): session closed for user root")
}

// bgTypo is a user mistyping their password once, then getting it right.
func (g *Generator) bgTypo(t time.Time) {
	u := g.randomUser()
	l := logon{Host: g.co.DC, User: u.Name, UserDomain: Domain, UserSID: u.SID(), Type: 3, SrcIP: u.WS.IP,
		SrcPort: g.ephemeralPort(), Workstation: u.WS.Name, LogonID: fmt.Sprintf("0x%x", 0x1000000+g.rng.Intn(0xffffff))}
	g.emitLogonFailure(t, l, statusBadPassword)
	g.emitLogon(t.Add(jitter(g.rng, 6*time.Second, 0.5)), l)
}

// bgManagementPowerShell is the endpoint management agent running an
// inventory script with -EncodedCommand: legitimate software that looks
// like the attackers' favourite trick, as it does in real networks.
func (g *Generator) bgManagementPowerShell(t time.Time) {
	ws := pick(g.rng, g.co.Workstations)
	agent := g.systemProc(ws, t.Add(-time.Minute), `C:\Program Files (x86)\Microsoft Intune Management Extension\AgentExecutor.exe`,
		`"C:\Program Files (x86)\Microsoft Intune Management Extension\agentexecutor.exe" -powershell -remediationScript`)
	script := "Get-CimInstance -ClassName Win32_OperatingSystem | Select-Object Caption,Version,LastBootUpTime | ConvertTo-Json -Compress"
	ps := g.systemProc(ws, t, imgPowerShell, `"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe" -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand `+encodePowerShell(script))
	g.emitProcess(t, ps, agent)
}

// encodePowerShell encodes a script for -EncodedCommand: base64 of UTF-16LE.
func encodePowerShell(script string) string {
	u := utf16.Encode([]rune(script))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		b[2*i], b[2*i+1] = byte(c), byte(c>>8)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// fingerprint is a stable, well-formed SSH key fingerprint for name.
func fingerprint(name string) string {
	h := hashString("key:" + name)
	var b [32]byte
	for i := range b {
		h = h*6364136223846793005 + 1442695040888963407
		b[i] = byte(h >> 56)
	}
	return strings.TrimRight(base64.StdEncoding.EncodeToString(b[:]), "=")
}
