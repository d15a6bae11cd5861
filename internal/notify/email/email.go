// Package email is the SMTP connector: a multipart/alternative message
// (plain text and HTML) sent with STARTTLS (required unless disabled) and
// optional PLAIN authentication. It never logs or returns the password.
package email

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/yagura-soc/yagura/internal/notify"
)

// Config is the channel's settings.
type Config struct {
	Host     string   `json:"host"`
	Port     int      `json:"port"` // default 587
	Username string   `json:"username"`
	Password string   `json:"password"`
	From     string   `json:"from"`
	To       []string `json:"to"`
	// StartTLS is "required" (default) or "none" (only for a relay on
	// the same host: credentials and alerts would cross the network in clear).
	StartTLS string `json:"starttls"`
	// CAPEM adds a CA (PEM) to trust, for a relay with a private CA.
	CAPEM string `json:"ca_pem"`
}

// Kind describes the connector.
func Kind() notify.Kind { return notify.Kind{New: New, Secrets: []string{"password"}} }

// Connector sends mail through one SMTP server.
type Connector struct {
	cfg   Config
	roots *x509.CertPool
	deps  notify.Deps
}

// New checks the config and builds the connector.
func New(raw json.RawMessage, deps notify.Deps) (notify.Connector, error) {
	var cfg Config
	if err := notify.DecodeConfig(raw, &cfg); err != nil {
		return nil, err
	}
	if cfg.Port == 0 {
		cfg.Port = 587
	}
	if cfg.StartTLS == "" {
		cfg.StartTLS = "required"
	}
	switch {
	case cfg.Host == "":
		return nil, fmt.Errorf("config: host names the SMTP server")
	case cfg.From == "" || len(cfg.To) == 0:
		return nil, fmt.Errorf("config: from and to (a list) are required")
	case cfg.StartTLS != "required" && cfg.StartTLS != "none":
		return nil, fmt.Errorf("config: starttls is required or none")
	case cfg.StartTLS == "none" && cfg.Password != "":
		return nil, fmt.Errorf("config: a password is never sent without STARTTLS; set starttls to required")
	}
	for _, a := range append([]string{cfg.From}, cfg.To...) {
		if strings.ContainsAny(a, "\r\n<>") || !strings.Contains(a, "@") {
			return nil, fmt.Errorf("config: %q is not a plain e-mail address", a)
		}
	}
	c := &Connector{cfg: cfg, deps: deps}
	if cfg.CAPEM != "" {
		c.roots = x509.NewCertPool()
		if !c.roots.AppendCertsFromPEM([]byte(cfg.CAPEM)) {
			return nil, fmt.Errorf("config: ca_pem holds no PEM certificate")
		}
	}
	if deps.Now == nil {
		c.deps.Now = func() time.Time { return time.Now().UTC() }
	}
	return c, nil
}

// Send delivers one message to every recipient.
func (c *Connector) Send(ctx context.Context, m notify.Message) (string, error) {
	msg, err := c.compose(m)
	if err != nil {
		return "", notify.Permanent(err)
	}
	addr := net.JoinHostPort(c.cfg.Host, strconv.Itoa(c.cfg.Port))
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", fmt.Errorf("smtp: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	client, err := smtp.NewClient(conn, c.cfg.Host)
	if err != nil {
		conn.Close()
		return "", fmt.Errorf("smtp: greeting: %w", err)
	}
	defer client.Close()
	if err := client.Hello("yagura"); err != nil {
		return "", fmt.Errorf("smtp: EHLO: %w", err)
	}
	if c.cfg.StartTLS == "required" {
		if ok, _ := client.Extension("STARTTLS"); !ok {
			return "", fmt.Errorf("smtp: %s does not offer STARTTLS, which this channel requires", addr)
		}
		if err := client.StartTLS(&tls.Config{ServerName: c.cfg.Host, RootCAs: c.roots, MinVersion: tls.VersionTLS12}); err != nil {
			return "", fmt.Errorf("smtp: STARTTLS: %w", err)
		}
	}
	if c.cfg.Username != "" {
		if err := client.Auth(smtp.PlainAuth("", c.cfg.Username, c.cfg.Password, c.cfg.Host)); err != nil {
			return "", notify.Permanent(fmt.Errorf("smtp: authentication as %s failed: %v", c.cfg.Username, err))
		}
	}
	if err := client.Mail(c.cfg.From); err != nil {
		return "", fmt.Errorf("smtp: MAIL FROM: %w", err)
	}
	for _, to := range c.cfg.To {
		if err := client.Rcpt(to); err != nil {
			return "", fmt.Errorf("smtp: RCPT TO %s: %w", to, err)
		}
	}
	w, err := client.Data()
	if err != nil {
		return "", fmt.Errorf("smtp: DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return "", fmt.Errorf("smtp: DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return "", fmt.Errorf("smtp: message refused: %w", err)
	}
	return "", client.Quit()
}

var htmlBody = template.Must(template.New("mail").Parse(`<!doctype html>
<html><body style="font-family:sans-serif">
<h2>{{.Subject}}</h2>
{{range .Events}}<table style="border-collapse:collapse;margin-bottom:1em">
<tr><th align="left">Alert</th><td>{{.Alert.RuleTitle}}</td></tr>
<tr><th align="left">Event</th><td>{{.Kind}}{{if .Step}} (step {{.Step}}){{end}}</td></tr>
<tr><th align="left">Severity</th><td>{{.Alert.Severity}} · risk {{.Alert.RiskScore}}</td></tr>
<tr><th align="left">Status</th><td>{{.Alert.Status}}</td></tr>
<tr><th align="left">Count</th><td>{{.Alert.Count}}</td></tr>
{{range $k, $v := .Alert.Entities}}<tr><th align="left">{{$k}}</th><td>{{$v}}</td></tr>
{{end}}<tr><th align="left">ID</th><td><code>{{.Alert.ID}}</code></td></tr>
</table>
{{end}}</body></html>
`))

// compose builds the RFC 5322 message.
func (c *Connector) compose(m notify.Message) ([]byte, error) {
	var html bytes.Buffer
	if err := htmlBody.Execute(&html, struct {
		Subject string
		Events  any
	}{notify.Subject(m), m.Events}); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	sum := sha256.Sum256([]byte(m.IdempotencyKey))
	domain := c.cfg.From[strings.LastIndex(c.cfg.From, "@")+1:]
	fmt.Fprintf(&buf, "From: %s\r\n", c.cfg.From)
	fmt.Fprintf(&buf, "To: %s\r\n", strings.Join(c.cfg.To, ", "))
	fmt.Fprintf(&buf, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", notify.Subject(m)))
	fmt.Fprintf(&buf, "Date: %s\r\n", c.deps.Now().Format(time.RFC1123Z))
	// The same Message-ID on every attempt lets mail systems drop repeats.
	fmt.Fprintf(&buf, "Message-ID: <%s@%s>\r\n", hex.EncodeToString(sum[:16]), domain)
	fmt.Fprintf(&buf, "X-Yagura-Idempotency-Key: %s\r\n", m.IdempotencyKey)
	fmt.Fprintf(&buf, "MIME-Version: 1.0\r\n")
	fmt.Fprintf(&buf, "Content-Type: multipart/alternative; boundary=%s\r\n\r\n", mw.Boundary())
	for _, part := range []struct{ ctype, body string }{
		{"text/plain; charset=utf-8", notify.Text(m)}, {"text/html; charset=utf-8", html.String()}} {
		h.Set("Content-Type", part.ctype)
		h.Set("Content-Transfer-Encoding", "quoted-printable")
		w, err := mw.CreatePart(h)
		if err != nil {
			return nil, err
		}
		qp := quotedprintable.NewWriter(w)
		qp.Write([]byte(part.body))
		qp.Close()
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
