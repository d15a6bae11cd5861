// Package ticket is the generic ticket webhook: for ticketing systems
// without a dedicated connector (ServiceNow scripted REST, Zammad, GLPI,
// an in-house tracker). It POSTs one JSON ticket action per event —
// create, comment, escalate, close — with the alert's id as external id
// and a bearer token, and keeps the ticket id the receiver answers with
// ({"id": …}). It never logs or returns the token.
package ticket

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/yagura-soc/yagura/internal/notify"
	"github.com/yagura-soc/yagura/internal/store"
)

// Config is the channel's settings.
type Config struct {
	URL   string `json:"url"`
	Token string `json:"token"`
}

// Kind describes the connector.
func Kind() notify.Kind { return notify.Kind{New: New, Updates: true, Secrets: []string{"token"}} }

// Connector posts ticket actions to one endpoint.
type Connector struct {
	cfg  Config
	deps notify.Deps
}

// New checks the config and builds the connector.
func New(raw json.RawMessage, deps notify.Deps) (notify.Connector, error) {
	var cfg Config
	if err := notify.DecodeConfig(raw, &cfg); err != nil {
		return nil, err
	}
	if err := notify.CheckURL("url", cfg.URL); err != nil {
		return nil, err
	}
	return &Connector{cfg: cfg, deps: deps}, nil
}

// Action is the body of one request.
type Action struct {
	Action         string      `json:"action"` // create, comment, escalate, close, test
	IdempotencyKey string      `json:"idempotency_key"`
	TicketID       string      `json:"ticket_id,omitempty"`
	ExternalID     string      `json:"external_id"`
	Title          string      `json:"title"`
	Description    string      `json:"description"`
	Severity       string      `json:"severity"`
	Alert          store.Alert `json:"alert"`
}

func action(ev store.OutboxEvent, ref string) string {
	switch {
	case ev.Kind == store.EventChannelTest:
		return "test"
	case ev.Kind == store.EventAlertEscalated:
		return "escalate"
	case ev.Kind == store.EventAlertUpdated && ev.Alert.Status == store.StatusClosed:
		return "close"
	case ev.Kind == store.EventAlertOpened || ref == "":
		return "create"
	}
	return "comment"
}

// Send posts one action per event; it returns the ticket id.
func (c *Connector) Send(ctx context.Context, m notify.Message) (string, error) {
	ref := m.Ref
	for i, ev := range m.Events {
		a := Action{Action: action(ev, ref), IdempotencyKey: m.IdempotencyKey, TicketID: ref, ExternalID: ev.Alert.ID,
			Title: notify.Line(ev), Description: notify.Text(notify.Message{Events: []store.OutboxEvent{ev}}),
			Severity: ev.Alert.Severity, Alert: ev.Alert}
		if len(m.Events) > 1 {
			a.IdempotencyKey = fmt.Sprintf("%s/%d", m.IdempotencyKey, i)
			a.TicketID = ""
		}
		got, err := c.post(ctx, a)
		if err != nil {
			return "", err
		}
		if len(m.Events) == 1 && got != "" {
			ref = got
		}
	}
	if len(m.Events) > 1 {
		return "", nil
	}
	return ref, nil
}

func (c *Connector) post(ctx context.Context, a Action) (string, error) {
	body, _ := json.Marshal(a)
	header := http.Header{}
	header.Set("Idempotency-Key", a.IdempotencyKey)
	if c.cfg.Token != "" {
		header.Set("Authorization", "Bearer "+c.cfg.Token)
	}
	got, err := notify.Call(ctx, c.deps.HTTP, "ticket endpoint", http.MethodPost, c.cfg.URL, header, body)
	if err != nil {
		return "", err
	}
	var answer struct {
		ID string `json:"id"`
	}
	json.Unmarshal(got, &answer) // an empty or non-JSON answer is fine
	return answer.ID, nil
}
