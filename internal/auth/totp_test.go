package auth

import (
	"encoding/base32"
	"strings"
	"testing"
	"time"
)

// RFC 6238 Appendix B test vectors for SHA-1 (8 digits there; the same
// truncation gives the last 6 digits here).
func TestTOTPRFC6238Vectors(t *testing.T) {
	secret := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte("12345678901234567890"))
	cases := []struct {
		unix int64
		want string // RFC value, 8 digits
	}{
		{59, "94287082"},
		{1111111109, "07081804"},
		{1111111111, "14050471"},
		{1234567890, "89005924"},
		{2000000000, "69279037"},
		{20000000000, "65353130"},
	}
	for _, c := range cases {
		got, err := TOTPCode(secret, time.Unix(c.unix, 0))
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want[2:] {
			t.Errorf("T=%d: %s, want %s", c.unix, got, c.want[2:])
		}
		key, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
		if full := hotp(key, uint64(c.unix/30), 8); full != c.want {
			t.Errorf("T=%d: 8-digit %s, want %s", c.unix, full, c.want)
		}
	}
}

func TestVerifyTOTP(t *testing.T) {
	secret, err := NewTOTPSecret()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	code, _ := TOTPCode(secret, now)
	cases := []struct {
		name string
		code string
		at   time.Time
		ok   bool
	}{
		{"same step", code, now, true},
		{"one step later (drift)", code, now.Add(30 * time.Second), true},
		{"two steps later", code, now.Add(61 * time.Second), false},
		{"wrong code", "000000", now, code == "000000"},
		{"wrong length", "12345", now, false},
	}
	for _, c := range cases {
		if _, ok := VerifyTOTP(secret, c.code, c.at); ok != c.ok {
			t.Errorf("%s: ok=%v, want %v", c.name, ok, c.ok)
		}
	}
	if _, ok := VerifyTOTP("not base32!", code, now); ok {
		t.Error("bad secret verified")
	}
	if uri := TOTPURI(secret, "alice", "Yagura"); !strings.HasPrefix(uri, "otpauth://totp/Yagura:alice?secret="+secret) {
		t.Errorf("uri %s", uri)
	}
}

func TestRecoveryCodes(t *testing.T) {
	codes, err := NewRecoveryCodes(10)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, c := range codes {
		if len(c) != 14 || strings.Count(c, "-") != 2 || seen[c] {
			t.Errorf("code %q", c)
		}
		seen[c] = true
	}
}

func TestPasswords(t *testing.T) {
	h, err := HashPassword("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=2$") {
		t.Errorf("hash %q", h)
	}
	if !VerifyPassword(h, "correct horse battery staple") || VerifyPassword(h, "Correct horse battery staple") {
		t.Error("verify is wrong")
	}
	for _, bad := range []string{"", "$argon2id$v=19$m=99999999,t=3,p=2$AAAA$AAAA", "$bcrypt$x", strings.Replace(h, "t=3", "t=0", 1)} {
		if VerifyPassword(bad, "x") {
			t.Errorf("verified against %q", bad)
		}
	}
	policy := DefaultPasswordPolicy
	cases := []struct {
		user, pw string
		ok       bool
	}{
		{"alice", "short1A", false},
		{"alice", "alllowercaseletters", false},
		{"alice", "Alice-is-my-password1", false},
		{"alice", "purple-Tractor-42", true},
		{"alice", "長いパスフレーズです12345", true},
	}
	for _, c := range cases {
		if err := policy.Check(c.user, c.pw); (err == nil) != c.ok {
			t.Errorf("Check(%q) = %v, want ok=%v", c.pw, err, c.ok)
		}
	}
}
