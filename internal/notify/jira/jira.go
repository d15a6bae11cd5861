// Package jira is the Jira REST connector (API v2, Cloud and Data
// Center): a new alert creates an issue (fields mapped from the alert),
// later events comment on it, and closing the alert transitions it. A
// label carrying the alert id makes creation idempotent: a retry finds
// the issue an earlier attempt created instead of opening a second one.
// It never logs or returns the API token.
package jira

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/yagura-soc/yagura/internal/notify"
	"github.com/yagura-soc/yagura/internal/store"
)

// Config is the channel's settings.
type Config struct {
	URL     string `json:"url"`   // https://example.atlassian.net
	User    string `json:"user"`  // with token: basic auth (Cloud)
	Token   string `json:"token"` // API token; without user: bearer (Data Center PAT)
	Project string `json:"project"`
	Type    string `json:"issue_type"` // default Task
	// Priorities maps alert severities to Jira priority names; unset
	// severities send no priority.
	Priorities map[string]string `json:"priorities"`
	// CloseTransition is the transition applied when the alert is
	// closed (default "Done").
	CloseTransition string `json:"close_transition"`
	// ProgressTransition, when set (e.g. "In Progress"), is applied when
	// the alert is acknowledged or taken in progress.
	ProgressTransition string `json:"progress_transition"`
}

// Kind describes the connector.
func Kind() notify.Kind { return notify.Kind{New: New, Updates: true, Secrets: []string{"token"}} }

// Connector talks to one Jira project.
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
	if cfg.Project == "" || cfg.Token == "" {
		return nil, fmt.Errorf("config: project and token are required")
	}
	if cfg.Type == "" {
		cfg.Type = "Task"
	}
	if cfg.CloseTransition == "" {
		cfg.CloseTransition = "Done"
	}
	cfg.URL = strings.TrimRight(cfg.URL, "/")
	return &Connector{cfg: cfg, deps: deps}, nil
}

// Label marks the issue of one alert.
func Label(alertID string) string { return "yagura-" + strings.ToLower(alertID) }

// Send handles each event of the message in order; it returns the issue key.
func (c *Connector) Send(ctx context.Context, m notify.Message) (string, error) {
	key := m.Ref
	for _, ev := range m.Events {
		if ev.Kind == store.EventChannelTest {
			if err := c.call(ctx, "GET", "/rest/api/2/project/"+url.PathEscape(c.cfg.Project), nil, nil); err != nil {
				return "", err
			}
			continue
		}
		k := key
		if m.Digest || k == "" { // a digest spans alerts: each has its own issue
			var err error
			if k, err = c.issueFor(ctx, ev); err != nil {
				return "", err
			}
		}
		if ev.Kind != store.EventAlertOpened {
			if err := c.comment(ctx, k, ev); err != nil {
				return "", err
			}
		}
		if ev.Kind == store.EventAlertUpdated {
			name := ""
			switch ev.Alert.Status {
			case store.StatusClosed:
				name = c.cfg.CloseTransition
			case store.StatusAcknowledged, store.StatusInProgress:
				name = c.cfg.ProgressTransition
			}
			if name != "" {
				if err := c.transition(ctx, k, name); err != nil {
					return "", err
				}
			}
		}
		key = k
	}
	if m.Digest {
		return "", nil
	}
	return key, nil
}

// issueFor finds the alert's issue by label or creates it.
func (c *Connector) issueFor(ctx context.Context, ev store.OutboxEvent) (string, error) {
	var found struct {
		Issues []struct {
			Key string `json:"key"`
		} `json:"issues"`
	}
	jql := fmt.Sprintf(`project = "%s" AND labels = "%s"`, c.cfg.Project, Label(ev.Alert.ID))
	if err := c.call(ctx, "GET", "/rest/api/2/search?maxResults=1&fields=key&jql="+url.QueryEscape(jql), nil, &found); err != nil {
		return "", err
	}
	if len(found.Issues) > 0 {
		return found.Issues[0].Key, nil
	}
	a := ev.Alert
	fields := map[string]any{
		"project":     map[string]string{"key": c.cfg.Project},
		"issuetype":   map[string]string{"name": c.cfg.Type},
		"summary":     truncate(fmt.Sprintf("[%s] %s", strings.ToUpper(a.Severity), a.RuleTitle), 250),
		"description": notify.Text(notify.Message{Events: []store.OutboxEvent{ev}}),
		"labels":      []string{"yagura", Label(a.ID), "severity-" + a.Severity},
	}
	if p := c.cfg.Priorities[a.Severity]; p != "" {
		fields["priority"] = map[string]string{"name": p}
	}
	var created struct {
		Key string `json:"key"`
	}
	if err := c.call(ctx, "POST", "/rest/api/2/issue", map[string]any{"fields": fields}, &created); err != nil {
		return "", err
	}
	if created.Key == "" {
		return "", fmt.Errorf("jira created an issue but returned no key")
	}
	return created.Key, nil
}

func (c *Connector) comment(ctx context.Context, key string, ev store.OutboxEvent) error {
	body := notify.Line(ev)
	if ev.Actor != "" {
		body += " — by " + ev.Actor
	}
	if ev.Alert.Resolution != "" {
		body += " — resolution " + ev.Alert.Resolution
	}
	return c.call(ctx, "POST", "/rest/api/2/issue/"+url.PathEscape(key)+"/comment", map[string]string{"body": body}, nil)
}

func (c *Connector) transition(ctx context.Context, key, name string) error {
	var list struct {
		Transitions []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"transitions"`
	}
	path := "/rest/api/2/issue/" + url.PathEscape(key) + "/transitions"
	if err := c.call(ctx, "GET", path, nil, &list); err != nil {
		return err
	}
	for _, t := range list.Transitions {
		if strings.EqualFold(t.Name, name) {
			return c.call(ctx, "POST", path, map[string]any{"transition": map[string]string{"id": t.ID}}, nil)
		}
	}
	return nil // already there, or the workflow has no such step: nothing to retry
}

func (c *Connector) call(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		body, _ = json.Marshal(in)
	}
	auth := &http.Request{Header: http.Header{}} // only to carry the headers
	auth.Header.Set("Accept", "application/json")
	if c.cfg.User != "" {
		auth.SetBasicAuth(c.cfg.User, c.cfg.Token)
	} else {
		auth.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	}
	what := "jira " + method + " " + strings.SplitN(path, "?", 2)[0]
	answer, err := notify.Call(ctx, c.deps.HTTP, what, method, c.cfg.URL+path, auth.Header, body)
	if err != nil {
		return err
	}
	if out != nil {
		if err := json.Unmarshal(answer, out); err != nil {
			return fmt.Errorf("jira %s: unreadable answer: %w", path, err)
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
