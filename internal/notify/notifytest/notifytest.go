// Package notifytest holds what the connector tests share: a sample
// message and a throwaway TLS certificate. Test code only; it sends nothing.
package notifytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/notify"
	"github.com/yagura-soc/yagura/internal/store"
)

// T0 is the tests' fixed time.
var T0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// Alert is a sample alert.
func Alert() store.Alert {
	return store.Alert{ID: "01JALERT", Tenant: "default", Kind: store.KindDetection, RuleID: "win_logon_brute_force",
		RuleTitle: "Logon brute force", RuleLevel: "high", Severity: "high", RiskScore: 72, Status: store.StatusNew, Count: 3,
		Entities: map[string]string{"host.name": "ws-01", "user.name": "bob"}, Tags: []string{"attack.credential_access"},
		FirstSeen: T0, LastSeen: T0.Add(time.Minute), CreatedAt: T0, UpdatedAt: T0}
}

// Message is a one-event message about Alert.
func Message(kind string) notify.Message {
	a := Alert()
	return notify.Message{Tenant: "default", IdempotencyKey: "01JEVENT/01JCHAN",
		Events: []store.OutboxEvent{{ID: "01JEVENT", Kind: kind, AlertID: a.ID, Alert: a, CreatedAt: T0}}}
}

// Cert is a self-signed certificate for 127.0.0.1 and localhost, and its PEM.
func Cert(t *testing.T) (tls.Certificate, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "yagura test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	cert, err := tls.X509KeyPair(certPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	if err != nil {
		t.Fatal(err)
	}
	return cert, string(certPEM)
}
