// Package webhook is a response connector that posts each action as JSON
// to a URL (an automation platform, a firewall manager, a SOAR). The body is
// signed with HMAC-SHA256 in X-Yagura-Signature (the same signature as
// notification webhooks, so one receiver checks both) and carries the action id
// as Idempotency-Key, so the receiver can authenticate it and ignore
// retries. Any 2xx answer is success.
package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	notifywebhook "github.com/yagura-soc/yagura/internal/notify/webhook"
	"github.com/yagura-soc/yagura/internal/respond"
)

// Config of a webhook connector.
type Config struct {
	Name   string `yaml:"name"`
	URL    string `yaml:"url"`
	Secret string `yaml:"secret"` // HMAC key; never logged
}

// Connector posts actions to a URL.
type Connector struct {
	cfg    Config
	client *http.Client
}

// New makes a connector.
func New(cfg Config, client *http.Client) *Connector {
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	return &Connector{cfg: cfg, client: client}
}

// Name implements respond.Connector.
func (c *Connector) Name() string { return c.cfg.Name }

// Execute implements respond.Connector.
func (c *Connector) Execute(ctx context.Context, r respond.Request) (respond.Result, error) {
	body, err := json.Marshal(r)
	if err != nil {
		return respond.Result{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return respond.Result{}, fmt.Errorf("webhook %s: %w", c.cfg.Name, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", r.ID)
	req.Header.Set("X-Yagura-Signature", notifywebhook.Sign(c.cfg.Secret, body))
	resp, err := c.client.Do(req)
	if err != nil {
		return respond.Result{}, fmt.Errorf("webhook %s: %w", c.cfg.Name, err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		return respond.Result{}, fmt.Errorf("webhook %s answered %s: %s", c.cfg.Name, resp.Status, bytes.TrimSpace(msg))
	}
	return respond.Result{Message: fmt.Sprintf("%s: %s %s", c.cfg.Name, resp.Status, bytes.TrimSpace(msg))}, nil
}
