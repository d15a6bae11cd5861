// Package authlog reads the authentication messages Linux programs write to
// syslog (auth.log, secure): OpenSSH's sshd, sudo, su, login and PAM
// modules. It is a secondary parser: the syslog parsers (rfc3164, rfc5424)
// find the program name and message, and the normalizer hands those here
// to learn the user, source address and port, outcome and method.
//
// Matching is by literal prefixes and markers, never regular expressions,
// because sshd brute force floods are the busiest auth traffic there is.
// Pure functions: no I/O, no shared state, never panics.
package authlog

import (
	"strconv"
	"strings"
)

// Result is what an authentication message says.
type Result struct {
	Program    string // sshd, sudo, su, login, or the PAM service
	Action     string // ECS event.action: ssh_login, invalid_user, sudo, su, session_opened, session_closed, authentication_failure, disconnect
	Outcome    string // success, failure, or "" when the message does not say
	User       string // the account that logs in or acts
	TargetUser string // the account switched to (sudo USER=, su to)
	SourceIP   string // remote address as written
	SourcePort int
	Method     string // password, publickey, keyboard-interactive, none, …
	Command    string // sudo COMMAND=
	TTY        string
	Cwd        string // sudo PWD=
	Invalid    bool   // the user does not exist (sshd "invalid user")
	Count      int    // attempts a message stands for (PAM "5 more", sudo "3 incorrect")
}

// programs are the programs (before any "(pam_unix)" suffix) that write
// to the auth facility; the normalizer files all their messages as
// linux.auth, understood or not.
var programs = map[string]bool{"sshd": true, "sudo": true, "su": true, "login": true,
	"gdm": true, "gdm-password": true, "passwd": true, "systemd-logind": true, "unix_chkpwd": true,
	"sshd-session": true, "polkitd": true, "chage": true, "useradd": true, "userdel": true, "usermod": true, "groupadd": true}

// BaseProgram strips a "(pam_unix)"-style suffix and a path:
// "sshd(pam_unix)" → "sshd", "/usr/sbin/sshd" → "sshd".
func BaseProgram(program string) string {
	if i := strings.IndexByte(program, '('); i > 0 {
		program = program[:i]
	}
	if i := strings.LastIndexByte(program, '/'); i >= 0 {
		program = program[i+1:]
	}
	return program
}

// IsAuth reports whether a syslog message is an authentication one: its
// program writes to the auth facility, or it comes from a PAM module.
func IsAuth(program, message string) bool {
	return programs[BaseProgram(program)] || strings.HasPrefix(message, "pam_")
}

// Parse reads one message of program. ok is false when the message says
// nothing this package understands.
func Parse(program, message string) (Result, bool) {
	r := Result{Program: BaseProgram(program)}
	msg := strings.TrimSpace(message)
	if svc, rest, ok := pamPrefix(msg); ok {
		r.Program = svc
		return pam(r, rest)
	}
	if strings.HasPrefix(msg, "authentication failure;") || strings.HasPrefix(msg, "check pass;") {
		return pam(r, msg)
	}
	switch r.Program {
	case "sshd", "sshd-session":
		r.Program = "sshd"
		return sshd(r, msg)
	case "sudo":
		return sudo(r, msg)
	case "su":
		return su(r, msg)
	case "login":
		return login(r, msg)
	}
	if strings.HasPrefix(msg, "PAM ") {
		return pam(r, msg)
	}
	return r, false
}

// pamPrefix splits "pam_unix(sshd:auth): rest" into the service and rest.
func pamPrefix(msg string) (service, rest string, ok bool) {
	if !strings.HasPrefix(msg, "pam_") {
		return "", "", false
	}
	open := strings.IndexByte(msg, '(')
	end := strings.Index(msg, "): ")
	if open < 0 || end < open {
		return "", "", false
	}
	svc, _, _ := strings.Cut(msg[open+1:end], ":")
	return svc, msg[end+3:], true
}

// pam reads PAM's "authentication failure; logname= uid=0 ... rhost=h user=u",
// "session opened for user root by alice(uid=0)" and "PAM 5 more
// authentication failures; ...".
func pam(r Result, msg string) (Result, bool) {
	switch {
	case strings.HasPrefix(msg, "authentication failure;"), strings.HasPrefix(msg, "PAM "):
		if strings.HasPrefix(msg, "PAM ") {
			if n, err := strconv.Atoi(word(msg[4:])); err == nil {
				r.Count = n
			}
			if strings.Contains(msg, "ignoring max retries") {
				return r, false
			}
		}
		r.Action, r.Outcome, r.Method = "authentication_failure", "failure", "password"
		r.User = pamValue(msg, "user=")
		r.SourceIP = pamValue(msg, "rhost=")
		if r.TTY = pamValue(msg, "tty="); r.TTY == "" {
			r.TTY = ""
		}
		if r.Program == "su" || r.Program == "sudo" {
			r.TargetUser, r.User = r.User, pamValue(msg, "ruser=")
			if r.User == "" {
				r.User = r.TargetUser
				r.TargetUser = ""
			}
		}
		return r, true
	case strings.HasPrefix(msg, "check pass; user unknown"):
		r.Action, r.Outcome, r.Invalid = "authentication_failure", "failure", true
		return r, true
	case strings.HasPrefix(msg, "session opened for user "):
		r.Action, r.Outcome = "session_opened", "success"
		rest := msg[len("session opened for user "):]
		r.User = trimUID(word(rest))
		if by, ok := after(rest, " by "); ok {
			by = trimUID(word(by))
			if by != "" && (r.Program == "su" || r.Program == "sudo") {
				r.TargetUser, r.User = r.User, by
			}
		}
		return r, true
	case strings.HasPrefix(msg, "session closed for user "):
		r.Action, r.Outcome = "session_closed", "success"
		r.User = trimUID(word(msg[len("session closed for user "):]))
		return r, true
	}
	return r, false
}

// trimUID removes "(uid=0)" and a trailing ':' from a user word.
func trimUID(s string) string {
	if i := strings.IndexByte(s, '('); i >= 0 {
		s = s[:i]
	}
	return strings.TrimRight(s, ":")
}

// pamValue returns the value of "key=" in PAM's space-separated list.
func pamValue(msg, key string) string {
	i := strings.Index(msg, " "+key)
	if i < 0 {
		return ""
	}
	return word(msg[i+1+len(key):])
}

func word(s string) string {
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		return s[:i]
	}
	return s
}

func after(s, marker string) (string, bool) {
	if i := strings.Index(s, marker); i >= 0 {
		return s[i+len(marker):], true
	}
	return "", false
}

// fromPort reads "ADDR port N" at the start of s.
func fromPort(r *Result, s string) {
	r.SourceIP = strings.Trim(word(s), "[]")
	if p, ok := after(s, " port "); ok {
		if n, err := strconv.Atoi(word(p)); err == nil && n > 0 && n < 65536 {
			r.SourcePort = n
		}
	}
}

func sshd(r Result, msg string) (Result, bool) {
	msg = strings.TrimPrefix(msg, "error: ")
	if inner, ok := strings.CutPrefix(msg, "message repeated "); ok {
		// "message repeated 2 times: [ Failed password for root from … ]"
		if n, err := strconv.Atoi(word(inner)); err == nil {
			r.Count = n
		}
		if i := strings.Index(inner, "[ "); i >= 0 {
			msg = strings.TrimSuffix(inner[i+2:], "]")
		}
	}
	for _, p := range []struct {
		prefix, outcome string
	}{{"Accepted ", "success"}, {"Failed ", "failure"}, {"Postponed ", ""}} {
		rest, ok := strings.CutPrefix(msg, p.prefix)
		if !ok {
			continue
		}
		// "<method> for [invalid user ]<user> from <addr> port <n> ssh2"
		r.Method = word(rest)
		rest, ok = after(rest, " for ")
		if !ok {
			return r, false
		}
		if u, inv := strings.CutPrefix(rest, "invalid user "); inv {
			r.Invalid, rest = true, u
		}
		// User names may be empty or hold spaces; the address follows the last " from ".
		i := strings.LastIndex(rest, " from ")
		if i < 0 {
			return r, false
		}
		r.User = rest[:i]
		fromPort(&r, rest[i+6:])
		r.Action, r.Outcome = "ssh_login", p.outcome
		return r, true
	}
	switch {
	case strings.HasPrefix(msg, "Invalid user "), strings.HasPrefix(msg, "input_userauth_request: invalid user "):
		rest := msg[strings.Index(msg, "nvalid user ")+len("nvalid user "):]
		r.Action, r.Outcome, r.Invalid = "invalid_user", "failure", true
		if i := strings.LastIndex(rest, " from "); i >= 0 {
			r.User = rest[:i]
			fromPort(&r, rest[i+6:])
		} else {
			r.User = strings.TrimSuffix(rest, " [preauth]")
		}
		return r, true
	case strings.HasPrefix(msg, "maximum authentication attempts exceeded for "):
		rest := strings.TrimPrefix(msg[len("maximum authentication attempts exceeded for "):], "invalid user ")
		r.Action, r.Outcome = "authentication_failure", "failure"
		if i := strings.LastIndex(rest, " from "); i >= 0 {
			r.User = rest[:i]
			fromPort(&r, rest[i+6:])
		}
		return r, true
	case strings.HasPrefix(msg, "Disconnecting: Too many authentication failures"):
		r.Action, r.Outcome = "authentication_failure", "failure"
		if rest, ok := after(msg, " for "); ok {
			r.User = strings.TrimPrefix(word(rest), "invalid user ")
		}
		return r, true
	case strings.HasPrefix(msg, "Received disconnect from "), strings.HasPrefix(msg, "Connection closed by "),
		strings.HasPrefix(msg, "Disconnected from "), strings.HasPrefix(msg, "Connection reset by "),
		strings.HasPrefix(msg, "Did not receive identification string from "):
		rest, _ := after(msg, " from ")
		if rest == "" {
			rest, _ = after(msg, " by ")
		}
		rest = strings.TrimPrefix(strings.TrimPrefix(rest, "invalid user "), "user ")
		// "Disconnected from user alice 1.2.3.4 port 5" has a user first.
		if w := word(rest); !looksLikeAddr(w) && strings.Contains(rest, " port ") {
			r.User = w
			rest = strings.TrimPrefix(rest, w+" ")
		}
		fromPort(&r, strings.TrimSuffix(rest, ":"))
		r.SourceIP = strings.TrimSuffix(r.SourceIP, ":")
		r.Action = "disconnect"
		return r, true
	case strings.HasPrefix(msg, "Connection from "):
		fromPort(&r, msg[len("Connection from "):])
		r.Action = "connection"
		return r, true
	case strings.HasPrefix(msg, "reverse mapping checking getaddrinfo for "):
		if i := strings.IndexByte(msg, '['); i >= 0 {
			if j := strings.IndexByte(msg[i:], ']'); j > 0 {
				r.SourceIP = msg[i+1 : i+j]
			}
		}
		r.Action = "reverse_mapping_failed"
		return r, true
	}
	return r, false
}

func looksLikeAddr(w string) bool {
	if w == "" {
		return false
	}
	for i := 0; i < len(w); i++ {
		c := w[i]
		if !(c >= '0' && c <= '9' || c == '.' || c == ':' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == '[' || c == ']') {
			return false
		}
	}
	return true
}

// sudo reads "alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls"
// and its failures ("3 incorrect password attempts", "user NOT in sudoers").
func sudo(r Result, msg string) (Result, bool) {
	user, rest, ok := strings.Cut(msg, " : ")
	if !ok {
		return r, false
	}
	r.User = strings.TrimSpace(user)
	r.Action, r.Outcome = "sudo", "success"
	for _, part := range strings.Split(rest, " ; ") {
		k, v, kv := strings.Cut(strings.TrimSpace(part), "=")
		if !kv {
			low := strings.ToLower(part)
			if strings.Contains(low, "incorrect password") || strings.Contains(low, "not in sudoers") ||
				strings.Contains(low, "not allowed") || strings.Contains(low, "authentication failure") {
				r.Outcome = "failure"
				if n, err := strconv.Atoi(word(strings.TrimSpace(part))); err == nil {
					r.Count = n
				}
			}
			continue
		}
		switch k {
		case "TTY":
			r.TTY = v
		case "PWD":
			r.Cwd = v
		case "USER":
			r.TargetUser = v
		case "COMMAND":
			// COMMAND runs to the end even when it contains " ; ".
			r.Command = rest[strings.Index(rest, "COMMAND=")+len("COMMAND="):]
			return r, true
		}
	}
	return r, true
}

// su reads "(to root) alice on pts/0", "FAILED su for root by alice",
// "Successful su for root by alice" and util-linux "+ pts/0 alice:root".
func su(r Result, msg string) (Result, bool) {
	r.Action = "su"
	switch {
	case strings.HasPrefix(msg, "(to "):
		end := strings.IndexByte(msg, ')')
		if end < 0 {
			return r, false
		}
		r.TargetUser = msg[4:end]
		rest := strings.TrimSpace(msg[end+1:])
		r.User = word(rest)
		if tty, ok := after(rest, " on "); ok {
			r.TTY = word(tty)
		}
		r.Outcome = "success"
		return r, true
	case strings.HasPrefix(msg, "FAILED SU (to "):
		r, ok := su(r, msg[len("FAILED SU "):])
		r.Outcome = "failure"
		return r, ok
	case strings.HasPrefix(msg, "FAILED su for "), strings.HasPrefix(msg, "Successful su for "):
		r.Outcome = "success"
		if msg[0] == 'F' {
			r.Outcome = "failure"
		}
		rest := msg[strings.Index(msg, " for ")+5:]
		r.TargetUser = word(rest)
		if by, ok := after(rest, " by "); ok {
			r.User = word(by)
		}
		return r, true
	case len(msg) > 2 && (msg[0] == '+' || msg[0] == '-') && msg[1] == ' ':
		// "+ pts/0 alice:root" (success) or "- pts/0 alice:root" (failure)
		fields := strings.Fields(msg[2:])
		if len(fields) != 2 {
			return r, false
		}
		r.TTY = fields[0]
		r.User, r.TargetUser, _ = strings.Cut(fields[1], ":")
		r.Outcome = "success"
		if msg[0] == '-' {
			r.Outcome = "failure"
		}
		return r, true
	}
	return r, false
}

// login reads "FAILED LOGIN 1 FROM host FOR root, Authentication failure"
// and "ROOT LOGIN ON tty1".
func login(r Result, msg string) (Result, bool) {
	switch {
	case strings.HasPrefix(msg, "FAILED LOGIN"):
		r.Action, r.Outcome = "login", "failure"
		if from, ok := after(msg, " FROM "); ok {
			if h := word(from); h != "(null)" {
				r.SourceIP = h
			}
		}
		if u, ok := after(msg, " FOR "); ok {
			r.User = strings.TrimSuffix(word(u), ",")
		}
		return r, true
	case strings.HasPrefix(msg, "ROOT LOGIN ON "), strings.HasPrefix(msg, "LOGIN ON "):
		r.Action, r.Outcome = "login", "success"
		if strings.HasPrefix(msg, "ROOT") {
			r.User = "root"
		}
		if tty, ok := after(msg, " ON "); ok {
			r.TTY = word(tty)
		}
		if u, ok := after(msg, " BY "); ok {
			r.User = word(u)
		}
		return r, true
	}
	return r, false
}

// Auth is the summary the normalizer maps to ECS: who, from where, how,
// and whether it worked.
type Auth struct {
	Action     string // ssh_login, ssh_invalid_user, pam_failure, session_open, session_close, sudo, su, login, disconnect, …
	Outcome    string // success, failure, or "" when the message does not say
	User       string
	SourceIP   string
	SourcePort int
	Method     string
	TargetUser string
	Command    string
}

// actionNames renames Parse's actions to the event.action values the
// normalizer publishes.
var actionNames = map[string]string{
	"invalid_user":           "ssh_invalid_user",
	"authentication_failure": "pam_failure",
	"session_opened":         "session_open",
	"session_closed":         "session_close",
}

// Extract reads one message of program (see Parse) and returns its
// summary; ok is false, with a zero Auth, when the message is not an
// authentication message this package understands.
func Extract(program, message string) (Auth, bool) {
	r, ok := Parse(program, message)
	if !ok {
		return Auth{}, false
	}
	a := Auth{Action: r.Action, Outcome: r.Outcome, User: r.User, SourceIP: r.SourceIP, SourcePort: r.SourcePort,
		Method: r.Method, TargetUser: r.TargetUser, Command: r.Command}
	if n, renamed := actionNames[a.Action]; renamed {
		a.Action = n
	}
	switch a.Action {
	case "pam_failure":
		if r.Program == "sshd" && !strings.HasPrefix(strings.TrimSpace(message), "pam_") &&
			!strings.HasPrefix(strings.TrimSpace(message), "authentication failure;") && !strings.HasPrefix(strings.TrimSpace(message), "PAM ") {
			a.Action = "ssh_auth_failure" // sshd's own "maximum attempts" / "too many failures"
		}
		a.Method = ""
	case "session_open", "session_close":
		a.Outcome = ""
	}
	return a, true
}
