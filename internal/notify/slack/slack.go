// Package slack is the connector for Slack-compatible incoming webhooks
// (Slack, Mattermost, Microsoft Teams' legacy connectors, Rocket.Chat):
// a JSON body with "text". It never logs or returns the webhook URL, whose
// path is the secret.
package slack

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/yagura-soc/yagura/internal/notify"
)

// Config is the channel's settings.
type Config struct {
	URL      string `json:"url"`
	Username string `json:"username"`
	Channel  string `json:"channel"`
}

// Kind describes the connector.
func Kind() notify.Kind { return notify.Kind{New: New, Secrets: []string{"url"}} }

// Connector posts to one incoming webhook.
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

// message is the incoming-webhook body.
type message struct {
	Text     string `json:"text"`
	Username string `json:"username,omitempty"`
	Channel  string `json:"channel,omitempty"`
}

// Send posts the message; any 2xx is success.
func (c *Connector) Send(ctx context.Context, m notify.Message) (string, error) {
	text := "*" + notify.Subject(m) + "*\n```\n" + notify.Text(m) + "```"
	body, _ := json.Marshal(message{Text: text, Username: c.cfg.Username, Channel: c.cfg.Channel})
	_, err := notify.Call(ctx, c.deps.HTTP, "slack webhook", http.MethodPost, c.cfg.URL, nil, body)
	return "", err
}
