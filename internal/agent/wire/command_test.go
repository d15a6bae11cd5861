package wire

import (
	"crypto/ed25519"
	"strings"
	"testing"
	"time"
)

func TestVerifyCommand(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	otherPub, otherPriv, _ := ed25519.GenerateKey(nil)
	_ = otherPub
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	good := Command{ID: "c1", AgentID: "a1", Action: ActionBlockIP, Targets: []string{"192.0.2.7"}, TTLSeconds: 60, IssuedAt: now, Expires: now.Add(time.Minute)}
	sign := func(k ed25519.PrivateKey, c Command) SignedCommand {
		s, err := Sign(k, c)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tampered := sign(priv, good)
	tampered.Command = []byte(strings.Replace(string(tampered.Command), "192.0.2.7", "192.0.2.8", 1))
	expired := good
	expired.Expires = now
	other := good
	other.AgentID = "a2"
	unknown := good
	unknown.Action = "format-disk"
	noTargets := good
	noTargets.Targets = nil
	cases := []struct {
		name string
		pub  ed25519.PublicKey
		cmd  SignedCommand
		want string
	}{
		{"good", pub, sign(priv, good), ""},
		{"other key", pub, sign(otherPriv, good), "bad signature"},
		{"tampered", pub, tampered, "bad signature"},
		{"no key", nil, sign(priv, good), "enroll again"},
		{"expired", pub, sign(priv, expired), "expired"},
		{"other agent", pub, sign(priv, other), "not this one"},
		{"unknown action", pub, sign(priv, unknown), "unknown action"},
		{"block without targets", pub, sign(priv, noTargets), "needs targets"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Verify(c.pub, c.cmd, "a1", now)
			if c.want == "" {
				if err != nil || got.ID != "c1" {
					t.Fatalf("refused a good command: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one saying %q", err, c.want)
			}
		})
	}
}
