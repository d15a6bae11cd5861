package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/crypto/argon2"
)

// argon2id parameters (RFC 9106's second recommended option, memory-bounded
// for a server that logs in a few users a second): 64 MiB, 3 passes.
const (
	argonTime    = 3
	argonMemory  = 64 * 1024
	argonThreads = 2
	argonKeyLen  = 32
)

// HashPassword returns an encoded argon2id hash in the PHC string format,
// so parameters can be raised later without breaking stored hashes.
func HashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: random: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// VerifyPassword checks password against an encoded hash in constant time.
func VerifyPassword(encoded, password string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	var mem, passes uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &passes, &threads); err != nil {
		return false
	}
	// Refuse absurd parameters from a tampered hash instead of allocating them.
	if mem == 0 || mem > 1<<21 || passes == 0 || passes > 20 || threads == 0 {
		return false
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(want) == 0 || len(want) > 128 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, passes, mem, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// PasswordPolicy is what a new password must satisfy.
type PasswordPolicy struct {
	MinLength     int
	MinClasses    int // of: lower, upper, digit, other
	ForbidUserSub bool
}

// DefaultPasswordPolicy follows NIST SP 800-63B's emphasis on length.
var DefaultPasswordPolicy = PasswordPolicy{MinLength: 12, MinClasses: 2, ForbidUserSub: true}

// ErrWeakPassword wraps every policy violation.
var ErrWeakPassword = errors.New("password does not meet the policy")

// Check reports why password is not acceptable for user, or nil.
func (p PasswordPolicy) Check(user, password string) error {
	if n := len([]rune(password)); n < p.MinLength {
		return fmt.Errorf("%w: it has %d characters, at least %d are required", ErrWeakPassword, n, p.MinLength)
	}
	var lower, upper, digit, other bool
	for _, r := range password {
		switch {
		case unicode.IsLower(r):
			lower = true
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsDigit(r):
			digit = true
		default:
			other = true
		}
	}
	classes := 0
	for _, b := range []bool{lower, upper, digit, other} {
		if b {
			classes++
		}
	}
	if classes < p.MinClasses {
		return fmt.Errorf("%w: mix at least %d of lower-case, upper-case, digits and symbols", ErrWeakPassword, p.MinClasses)
	}
	if p.ForbidUserSub && user != "" && strings.Contains(strings.ToLower(password), strings.ToLower(user)) {
		return fmt.Errorf("%w: it must not contain the user name", ErrWeakPassword)
	}
	return nil
}
