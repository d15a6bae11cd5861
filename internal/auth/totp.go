package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// TOTP parameters: RFC 6238 defaults, which every authenticator app uses.
const (
	totpDigits = 6
	totpStep   = 30 * time.Second
	// totpSkew accepts the previous and next step too: clocks drift.
	totpSkew = 1
)

// NewTOTPSecret returns a random 160-bit secret, base32 without padding.
func NewTOTPSecret() (string, error) {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("totp: random: %w", err)
	}
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b), nil
}

// TOTPURI is the otpauth:// URI authenticator apps read from a QR code.
func TOTPURI(secret, user, issuer string) string {
	label := url.PathEscape(issuer + ":" + user)
	return "otpauth://totp/" + label + "?secret=" + secret + "&issuer=" + url.QueryEscape(issuer) + "&digits=6&period=30"
}

// hotp computes RFC 4226's HOTP value with the given hash for a counter.
func hotp(key []byte, counter uint64, digits int) string {
	mac := hmac.New(sha1.New, key)
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	code := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, code%mod)
}

// TOTPCode is the code for secret at t (RFC 6238 with SHA-1, 30 s steps).
func TOTPCode(secret string, t time.Time) (string, error) {
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(strings.TrimRight(secret, "=")))
	if err != nil {
		return "", fmt.Errorf("totp: secret is not base32: %w", err)
	}
	return hotp(key, uint64(t.Unix()/int64(totpStep/time.Second)), totpDigits), nil
}

// VerifyTOTP checks code against secret at t, allowing one step of drift.
// It returns the step that matched so callers can refuse a replayed code.
func VerifyTOTP(secret, code string, t time.Time) (step int64, ok bool) {
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(strings.TrimRight(secret, "=")))
	if err != nil || len(code) != totpDigits {
		return 0, false
	}
	now := t.Unix() / int64(totpStep/time.Second)
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		want := hotp(key, uint64(now+d), totpDigits)
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return now + d, true
		}
	}
	return 0, false
}

// NewRecoveryCodes returns n one-time codes like "k3f9-x2pq-7rtm"; store
// them hashed (HashToken) and show them once.
func NewRecoveryCodes(n int) ([]string, error) {
	const alphabet = "abcdefghjkmnpqrstuvwxyz23456789" // no look-alikes
	codes := make([]string, n)
	buf := make([]byte, 12)
	for i := range codes {
		if _, err := rand.Read(buf); err != nil {
			return nil, fmt.Errorf("recovery codes: random: %w", err)
		}
		var b strings.Builder
		for j, c := range buf {
			if j > 0 && j%4 == 0 {
				b.WriteByte('-')
			}
			b.WriteByte(alphabet[int(c)%len(alphabet)])
		}
		codes[i] = b.String()
	}
	return codes, nil
}
