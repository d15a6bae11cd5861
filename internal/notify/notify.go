// Package notify delivers alert notifications from the durable outbox.
//
// The alert stage and the triage API write outbox events in the same
// transaction as the alert change that causes them. The Dispatcher then
// routes each event to channels (routes by severity, tags, time of day;
// digests; escalation chains), and delivers every Delivery at least once,
// with an idempotency key that stays the same on every attempt, retrying
// with exponential backoff and parking it as a dead letter after
// MaxAttempts. Every connector (notify/<kind>) has the same shape: a
// Config, New and Send.
//
// It must never lose a notification (state lives in the store, not in
// memory), never log a secret (channel passwords, webhook secrets, URLs
// that embed tokens), and never block the pipeline: it reads the outbox
// on its own schedule.
package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/yagura-soc/yagura/internal/store"
)

// Message is what a connector sends: one event, or the events of a digest.
type Message struct {
	Tenant         string
	Channel        store.Channel
	IdempotencyKey string
	Events         []store.OutboxEvent
	// Ref is what this channel's receiver called the alert before (a Jira
	// issue key); empty when the alert is new to the receiver.
	Ref string
	// Digest is set when Events were collected by a digest route.
	Digest bool
}

// Connector sends messages to one kind of receiver. Send returns the
// receiver's reference for the alert (e.g. an issue key), if it has one.
// Connectors are safe for concurrent use.
type Connector interface {
	Send(ctx context.Context, m Message) (ref string, err error)
}

// Deps are what connectors may use.
type Deps struct {
	HTTP *http.Client
	Now  func() time.Time
}

// Kind describes one connector kind.
type Kind struct {
	New func(config json.RawMessage, deps Deps) (Connector, error)
	// Updates: the receiver also wants status changes of alerts it has
	// seen (ticketing systems); chat and mail only hear of new alerts.
	Updates bool
	// Secrets are the config keys hidden when a channel is shown.
	Secrets []string
}

// permanent marks an error retrying cannot fix (a 4xx answer, a bad
// configuration): the delivery goes straight to the dead letters.
type permanent struct{ error }

func (p permanent) Unwrap() error { return p.error }

// Permanent wraps err as not worth retrying.
func Permanent(err error) error { return permanent{err} }

// IsPermanent reports whether err was marked Permanent.
func IsPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p)
}

// HTTPStatusError turns a non-2xx answer into an error: 4xx other than
// 408 and 429 are permanent, the rest retried. The body is not included:
// receivers echo requests, and requests may carry secrets.
func HTTPStatusError(what string, resp *http.Response) error {
	err := fmt.Errorf("%s answered %s", what, resp.Status)
	if resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != 408 && resp.StatusCode != 429 {
		return Permanent(err)
	}
	return err
}

// Call sends one HTTP request with client (http.DefaultClient when nil):
// header's fields, and body, when not nil, as JSON (its Content-Type
// application/json over header's). It returns the first 4 MiB of a 2xx answer's body; a
// body that cannot be read is returned short, for the caller's decoder to
// judge. Errors name what and never show u's path or query (webhook URLs
// embed their secret there); a non-2xx answer is an HTTPStatusError, and a
// request that cannot be built is Permanent.
func Call(ctx context.Context, client *http.Client, what, method, u string, header http.Header, body []byte) ([]byte, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, r)
	if err != nil {
		return nil, Permanent(fmt.Errorf("%s request: %w", what, RedactURL(err)))
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, RedactURL(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return nil, HTTPStatusError(what, resp)
	}
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	return answer, nil
}

// RedactURL returns an error about a request to u that does not contain
// u's path or query (webhook URLs embed their secret there).
func RedactURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		host := ue.URL
		if p, perr := url.Parse(ue.URL); perr == nil {
			host = p.Scheme + "://" + p.Host
		}
		return fmt.Errorf("%s %s: %w", ue.Op, host, ue.Err)
	}
	return err
}

// Redact hides the secret keys of a channel's config for display.
func Redact(config json.RawMessage, secrets []string) json.RawMessage {
	var m map[string]any
	if json.Unmarshal(config, &m) != nil {
		return json.RawMessage(`{}`)
	}
	for _, k := range secrets {
		if v, ok := m[k]; ok && v != "" {
			m[k] = "********"
		}
	}
	out, _ := json.Marshal(m)
	return out
}

// Payload is the JSON body of the webhook and ticket connectors.
type Payload struct {
	IdempotencyKey string         `json:"idempotency_key"`
	Tenant         string         `json:"tenant"`
	Digest         bool           `json:"digest"`
	Events         []PayloadEvent `json:"events"`
}

// PayloadEvent is one event of a payload.
type PayloadEvent struct {
	ID    string      `json:"id"`
	Kind  string      `json:"kind"`
	Step  int         `json:"escalation_step,omitempty"`
	Actor string      `json:"actor,omitempty"`
	At    time.Time   `json:"at"`
	Alert store.Alert `json:"alert"`
}

// NewPayload builds the JSON payload of a message.
func NewPayload(m Message) Payload {
	p := Payload{IdempotencyKey: m.IdempotencyKey, Tenant: m.Tenant, Digest: m.Digest, Events: []PayloadEvent{}}
	for _, ev := range m.Events {
		p.Events = append(p.Events, PayloadEvent{ID: ev.ID, Kind: ev.Kind, Step: ev.Step, Actor: ev.Actor,
			At: ev.CreatedAt, Alert: ev.Alert})
	}
	return p
}

// Subject is a one-line summary of a message.
func Subject(m Message) string {
	if len(m.Events) == 0 {
		return "[Yagura] (empty)"
	}
	if m.Digest || len(m.Events) > 1 {
		return fmt.Sprintf("[Yagura] %d alerts (digest)", len(m.Events))
	}
	return "[Yagura] " + Line(m.Events[0])
}

// Line describes one event in one line.
func Line(ev store.OutboxEvent) string {
	a := ev.Alert
	what := ""
	switch ev.Kind {
	case store.EventAlertEscalated:
		what = fmt.Sprintf("ESCALATION %d: unacknowledged ", ev.Step)
	case store.EventAlertUpdated:
		what = "updated (" + a.Status + ") "
	case store.EventChannelTest:
		return "test notification"
	}
	return fmt.Sprintf("%s%s alert: %s (risk %d)%s", what, strings.ToUpper(a.Severity), a.RuleTitle, a.RiskScore, entitiesText(a))
}

func entitiesText(a store.Alert) string {
	keys := make([]string, 0, len(a.Entities))
	for k := range a.Entities {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+"="+a.Entities[k])
	}
	if len(parts) == 0 {
		return ""
	}
	return " on " + strings.Join(parts, " ")
}

// Text renders a message as plain text, one paragraph per event.
func Text(m Message) string {
	var b strings.Builder
	for i, ev := range m.Events {
		if i > 0 {
			b.WriteString("\n")
		}
		a := ev.Alert
		fmt.Fprintf(&b, "%s\n", Line(ev))
		fmt.Fprintf(&b, "  alert %s · rule %s · status %s · count %d\n", a.ID, a.RuleID, a.Status, a.Count)
		fmt.Fprintf(&b, "  first seen %s · last seen %s\n", a.FirstSeen.Format(time.RFC3339), a.LastSeen.Format(time.RFC3339))
		if len(a.Tags) > 0 {
			fmt.Fprintf(&b, "  tags %s\n", strings.Join(a.Tags, ", "))
		}
	}
	return b.String()
}

// DecodeConfig reads a channel's JSON config strictly: an unknown key is
// an error, so a typo never silently falls back to a default.
func DecodeConfig(raw json.RawMessage, into any) error {
	if len(raw) == 0 {
		raw = json.RawMessage(`{}`)
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}

// CheckURL requires an absolute http(s) URL.
func CheckURL(name, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("config: %s must be an http:// or https:// URL", name)
	}
	return nil
}
