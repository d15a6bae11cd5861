package demo

import (
	"fmt"
	"math/rand"
	"strings"
)

// The company's names and addresses. Inside is RFC 1918; the company's own
// public addresses and every attacker live in the documentation ranges.
const (
	Domain     = "CORP"
	DNSDomain  = "corp.example.com"
	domainSID  = "S-1-5-21-1004336348-1177238915-682003330"
	PublicWeb  = "198.51.100.10" // the public web site, NATed to web-01
	PublicSSH  = "198.51.100.11" // the bastion's public address
	PublicNAT  = "198.51.100.2"  // outbound NAT address of the office
	webSiteDNS = "www.example.com"
)

// user is one employee. Admins also have Linux accounts and logon rights on
// the servers.
type user struct {
	Name    string // sAMAccountName, e.g. "jsmith"
	Display string
	RID     int
	Admin   bool
	WS      *host // the user's own workstation
}

func (u *user) SID() string { return fmt.Sprintf("%s-%d", domainSID, u.RID) }

// host is one machine of the company.
type host struct {
	Name    string // short name as the host calls itself: "WS-017", "web-01"
	IP      string
	Windows bool
	Server  bool
	// pidBase seeds plausible, stable process ids per host.
	pidBase int
}

// FQDN is the name Windows writes in System.Computer.
func (h *host) FQDN() string { return h.Name + "." + DNSDomain }

// company is the simulated organisation.
type company struct {
	Users        []*user
	Workstations []*host
	DC, FS, App  *host // Windows servers: domain controller, file server, intranet app server
	Bastion      *host // Linux SSH jump host, reachable from the internet
	Web          *host // Linux Apache server behind the public web site
	DB           *host // Linux database server
	Firewall     string
}

var firstNames = []string{
	"James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda",
	"David", "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica",
	"Thomas", "Sarah", "Carlos", "Karen", "Daniel", "Lisa", "Matthew", "Nancy",
	"Anthony", "Sandra", "Mark", "Ashley", "Kenji", "Emily", "Steven", "Aiko",
	"Andrew", "Michelle", "Paul", "Amanda", "Joshua", "Melissa", "Kevin", "Priya",
	"Brian", "Laura", "George", "Olga", "Timothy", "Fatima", "Ryan", "Ingrid",
	"Jacob", "Sofia", "Wei", "Hannah",
}

var lastNames = []string{
	"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
	"Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas",
	"Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White",
	"Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young",
	"Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
	"Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell",
	"Carter", "Roberts", "Tanaka", "Kowalski",
}

// newCompany builds the company from rng: same seed, same people.
func newCompany(rng *rand.Rand, users int) *company {
	c := &company{Firewall: "fw-01"}
	c.DC = &host{Name: "DC-01", IP: "10.10.0.10", Windows: true, Server: true}
	c.FS = &host{Name: "FS-01", IP: "10.10.0.20", Windows: true, Server: true}
	c.App = &host{Name: "APP-01", IP: "10.10.0.30", Windows: true, Server: true}
	c.Bastion = &host{Name: "bastion-01", IP: "10.10.2.5", Server: true}
	c.Web = &host{Name: "web-01", IP: "10.10.2.10", Server: true}
	c.DB = &host{Name: "db-01", IP: "10.10.2.30", Server: true}
	for _, h := range c.servers() {
		h.pidBase = 4 * (100 + rng.Intn(1000))
	}

	firsts := rng.Perm(len(firstNames))
	lasts := rng.Perm(len(lastNames))
	seen := map[string]bool{}
	for i := 0; i < users; i++ {
		first := firstNames[firsts[i%len(firsts)]]
		last := lastNames[lasts[i%len(lasts)]]
		name := strings.ToLower(first[:1] + last)
		for n := 2; seen[name]; n++ {
			name = strings.ToLower(first[:1]+last) + fmt.Sprint(n)
		}
		seen[name] = true
		ws := &host{
			Name:    fmt.Sprintf("WS-%03d", i+1),
			IP:      fmt.Sprintf("10.10.1.%d", 11+i),
			Windows: true,
			pidBase: 4 * (100 + rng.Intn(2000)), // Windows pids are multiples of four
		}
		c.Workstations = append(c.Workstations, ws)
		c.Users = append(c.Users, &user{
			Name:    name,
			Display: first + " " + last,
			RID:     1104 + i,
			Admin:   i < 3, // the first three run IT
			WS:      ws,
		})
	}
	return c
}

func (c *company) servers() []*host {
	return []*host{c.DC, c.FS, c.App, c.Bastion, c.Web, c.DB}
}

func (c *company) linuxServers() []*host { return []*host{c.Bastion, c.Web, c.DB} }

func (c *company) admins() []*user {
	var out []*user
	for _, u := range c.Users {
		if u.Admin {
			out = append(out, u)
		}
	}
	return out
}

// linuxUID gives admins stable uids on the Linux servers.
func (c *company) linuxUID(u *user) int {
	for i, a := range c.admins() {
		if a == u {
			return 1001 + i
		}
	}
	return 1500 + u.RID%500
}

// Addresses outside the company. Attackers only ever come from the
// documentation ranges, so a demo alert can never point at a real party;
// benign destinations come from well-known public service ranges.
func attackerIP(rng *rand.Rand) string {
	if rng.Intn(2) == 0 {
		return fmt.Sprintf("203.0.113.%d", 2+rng.Intn(250))
	}
	return fmt.Sprintf("192.0.2.%d", 2+rng.Intn(120))
}

// c2IP is kept apart from attackerIP's 192.0.2 half so a C2 address is never
// also a scanner in the same run.
func c2IP(rng *rand.Rand) string { return fmt.Sprintf("192.0.2.%d", 130+rng.Intn(120)) }

// benignService is a public destination employees talk to all day.
type benignService struct {
	Host   string
	Prefix string // first three octets
	Port   int
}

var benignServices = []benignService{
	{"outlook.office365.com", "52.97.146", 443},
	{"login.microsoftonline.com", "20.190.151", 443},
	{"teams.microsoft.com", "52.113.194", 443},
	{"corp-my.sharepoint.com", "13.107.136", 443},
	{"www.google.com", "142.250.185", 443},
	{"fonts.gstatic.com", "142.250.74", 443},
	{"github.com", "140.82.121", 443},
	{"slack.com", "34.237.73", 443},
	{"zoom.us", "170.114.52", 443},
	{"cdn.jsdelivr.net", "151.101.1", 443},
	{"www.wikipedia.org", "185.15.59", 443},
	{"ctldl.windowsupdate.com", "93.184.221", 80},
}

// visitorIP is a random internet visitor of the public web site. It avoids
// private, reserved and documentation space so that benign visitors and
// attackers never share an address.
func visitorIP(rng *rand.Rand) string {
	for {
		a := 1 + rng.Intn(223)
		switch a {
		case 10, 100, 127, 169, 172, 192, 198, 203:
			continue
		}
		return fmt.Sprintf("%d.%d.%d.%d", a, rng.Intn(256), rng.Intn(256), 1+rng.Intn(254))
	}
}
