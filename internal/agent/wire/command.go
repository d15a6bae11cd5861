package wire

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Containment actions the server may ask of an agent.
const (
	ActionIsolate   = "isolate"    // cut the host off from all but the server
	ActionRelease   = "release"    // undo isolate exactly
	ActionBlockIP   = "block-ip"   // drop traffic to and from Targets for TTLSeconds
	ActionUnblockIP = "unblock-ip" // remove every block
)

// Command is one containment order for one agent.
type Command struct {
	ID         string    `json:"id"`
	AgentID    string    `json:"agent_id"`
	Action     string    `json:"action"`
	Targets    []string  `json:"targets,omitempty"` // block-ip: addresses or CIDRs
	TTLSeconds int64     `json:"ttl_seconds,omitempty"`
	IssuedAt   time.Time `json:"issued_at"`
	Expires    time.Time `json:"expires"`
}

// SignedCommand is a command as the server sends it: the exact JSON bytes
// that were signed, and the ed25519 signature over them.
type SignedCommand struct {
	Command   json.RawMessage `json:"command"`
	Signature []byte          `json:"signature"`
}

// CommandResult is an agent's report on a command.
type CommandResult struct {
	ID    string `json:"id"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// Sign signs a command with the server's key.
func Sign(key ed25519.PrivateKey, c Command) (SignedCommand, error) {
	body, err := json.Marshal(c)
	if err != nil {
		return SignedCommand{}, err
	}
	return SignedCommand{Command: body, Signature: ed25519.Sign(key, body)}, nil
}

// Verify checks a command before an agent obeys it: the server's
// signature, that it names this agent, that it has not expired, and that
// the action is known. Anything else is refused with the reason.
func Verify(pub ed25519.PublicKey, s SignedCommand, agentID string, now time.Time) (Command, error) {
	if len(pub) != ed25519.PublicKeySize {
		return Command{}, errors.New("no command key from enrollment: enroll again to accept commands")
	}
	if !ed25519.Verify(pub, s.Command, s.Signature) {
		return Command{}, errors.New("bad signature: command not from this agent's server")
	}
	var c Command
	if err := json.Unmarshal(s.Command, &c); err != nil {
		return Command{}, fmt.Errorf("signed command unreadable: %w", err)
	}
	switch {
	case c.AgentID != agentID:
		return c, fmt.Errorf("command %s is for agent %s, not this one", c.ID, c.AgentID)
	case !now.Before(c.Expires):
		return c, fmt.Errorf("command %s expired at %s", c.ID, c.Expires.Format(time.RFC3339))
	}
	switch c.Action {
	case ActionIsolate, ActionRelease, ActionUnblockIP:
	case ActionBlockIP:
		if len(c.Targets) == 0 || c.TTLSeconds <= 0 {
			return c, fmt.Errorf("command %s: block-ip needs targets and a duration", c.ID)
		}
	default:
		return c, fmt.Errorf("command %s: unknown action %q", c.ID, c.Action)
	}
	return c, nil
}
