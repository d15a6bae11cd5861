package authlog

import "testing"

func TestExtract(t *testing.T) {
	cases := []struct {
		program, msg string
		want         Auth
		ok           bool
	}{
		{"sshd", "Failed password for invalid user admin from 203.0.113.7 port 51234 ssh2",
			Auth{Action: "ssh_login", Outcome: "failure", User: "admin", SourceIP: "203.0.113.7", SourcePort: 51234, Method: "password"}, true},
		{"sshd", "Failed password for root from 203.0.113.7 port 22 ssh2",
			Auth{Action: "ssh_login", Outcome: "failure", User: "root", SourceIP: "203.0.113.7", SourcePort: 22, Method: "password"}, true},
		{"sshd", "Accepted publickey for deploy from 10.0.0.5 port 40022 ssh2: RSA SHA256:abc",
			Auth{Action: "ssh_login", Outcome: "success", User: "deploy", SourceIP: "10.0.0.5", SourcePort: 40022, Method: "publickey"}, true},
		{"sshd", "Invalid user webmaster from 173.234.31.186",
			Auth{Action: "ssh_invalid_user", Outcome: "failure", User: "webmaster", SourceIP: "173.234.31.186"}, true},
		{"sshd", "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=112.95.230.3  user=root",
			Auth{Action: "pam_failure", Outcome: "failure", User: "root", SourceIP: "112.95.230.3"}, true},
		{"sshd(pam_unix)", "authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4",
			Auth{Action: "pam_failure", Outcome: "failure", SourceIP: "218.188.2.4"}, true},
		{"sshd", "pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)",
			Auth{Action: "session_open", User: "alice"}, true},
		{"sudo", "   alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/cat /etc/shadow",
			Auth{Action: "sudo", Outcome: "success", User: "alice", TargetUser: "root", Command: "/usr/bin/cat /etc/shadow"}, true},
		{"sudo", "mallory : 3 incorrect password attempts ; TTY=pts/1 ; PWD=/tmp ; USER=root ; COMMAND=/bin/bash",
			Auth{Action: "sudo", Outcome: "failure", User: "mallory", TargetUser: "root", Command: "/bin/bash"}, true},
		{"su", "(to root) alice on pts/1", Auth{Action: "su", Outcome: "success", User: "alice", TargetUser: "root"}, true},
		{"su", "FAILED SU (to root) bob on pts/2", Auth{Action: "su", Outcome: "failure", User: "bob", TargetUser: "root"}, true},
		{"CRON", "pam_unix(cron:session): session opened for user www-data(uid=33) by (uid=0)", Auth{Action: "session_open", User: "www-data"}, true},
		{"sshd", "Server listening on 0.0.0.0 port 22.", Auth{}, false},
		{"kernel", "eth0: link up", Auth{}, false},
	}
	for _, c := range cases {
		got, ok := Extract(c.program, c.msg)
		if ok != c.ok || got != c.want {
			t.Errorf("%s %q:\n got %+v, %v\nwant %+v, %v", c.program, c.msg, got, ok, c.want, c.ok)
		}
	}
}

func FuzzExtract(f *testing.F) {
	f.Add("sshd", "Failed password for invalid user admin from 203.0.113.7 port 51234 ssh2")
	f.Add("sudo", "a : USER=root ; COMMAND=x")
	f.Add("su", "FAILED SU (")
	f.Add("su", "FAILED SU x")
	f.Fuzz(func(t *testing.T, program, msg string) { Extract(program, msg) })
}
