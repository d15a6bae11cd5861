// Package webhook is the generic webhook connector: the notification as
// JSON, POSTed with an HMAC-SHA256 signature of the body so the receiver
// can tell it came from Yagura. It never logs or returns the secret or the
// URL's path (which may embed a token).
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"

	"github.com/yagura-soc/yagura/internal/notify"
)

// Config is the channel's settings.
type Config struct {
	URL string `json:"url"`
	// Secret keys the X-Yagura-Signature HMAC; empty sends no signature.
	Secret  string            `json:"secret"`
	Headers map[string]string `json:"headers"`
}

// Kind describes the connector.
func Kind() notify.Kind {
	return notify.Kind{New: New, Updates: true, Secrets: []string{"secret", "url"}}
}

// Connector posts to one webhook.
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

// Sign is the X-Yagura-Signature value of body: "sha256=" and the hex
// HMAC-SHA256 of the raw body under secret.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Send posts the payload; any 2xx is success.
func (c *Connector) Send(ctx context.Context, m notify.Message) (string, error) {
	body, err := json.Marshal(notify.NewPayload(m))
	if err != nil {
		return "", notify.Permanent(err)
	}
	header := http.Header{}
	for k, v := range c.cfg.Headers {
		header.Set(k, v)
	}
	header.Set("User-Agent", "Yagura")
	header.Set("Idempotency-Key", m.IdempotencyKey)
	if c.cfg.Secret != "" {
		header.Set("X-Yagura-Signature", Sign(c.cfg.Secret, body))
	}
	_, err = notify.Call(ctx, c.deps.HTTP, "webhook", http.MethodPost, c.cfg.URL, header, body)
	return "", err
}
