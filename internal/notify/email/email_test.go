package email

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/yagura-soc/yagura/internal/notify"
	"github.com/yagura-soc/yagura/internal/notify/notifytest"
	"github.com/yagura-soc/yagura/internal/store"
)

// received is what the test SMTP server saw of one session.
type received struct {
	tlsBeforeAuth bool
	user, pass    string
	from          string
	to            []string
	data          []byte
}

type backend struct {
	mu   sync.Mutex
	got  []received
	user string
	pass string
}

func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) { return &session{b: b, c: c}, nil }

type session struct {
	b   *backend
	c   *smtp.Conn
	cur received
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		_, isTLS := s.c.TLSConnectionState()
		s.cur.tlsBeforeAuth, s.cur.user, s.cur.pass = isTLS, user, pass
		if user != s.b.user || pass != s.b.pass {
			return errors.New("invalid credentials")
		}
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.cur.user == "" {
		return &smtp.SMTPError{Code: 530, Message: "authentication required"}
	}
	s.cur.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.to = append(s.cur.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = b
	s.b.mu.Lock()
	s.b.got = append(s.b.got, s.cur)
	s.b.mu.Unlock()
	return nil
}

func (s *session) Reset()        {}
func (s *session) Logout() error { return nil }

// startServer runs a real SMTP server (go-smtp) with STARTTLS and PLAIN auth.
func startServer(t *testing.T) (*backend, string, string) {
	cert, caPEM := notifytest.Cert(t)
	be := &backend{user: "yagura", pass: "s3cret-pass"}
	srv := smtp.NewServer(be)
	srv.Domain = "localhost"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return be, ln.Addr().String(), caPEM
}

func connector(t *testing.T, addr, caPEM, pass string) notify.Connector {
	host, port, _ := net.SplitHostPort(addr)
	cfg, _ := json.Marshal(map[string]any{"host": host, "port": json.Number(port), "username": "yagura", "password": pass,
		"from": "soc@example.org", "to": []string{"oncall@example.org", "lead@example.org"}, "ca_pem": caPEM})
	c, err := New(cfg, notify.Deps{Now: func() time.Time { return notifytest.T0 }})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSendOverSTARTTLSWithAuth(t *testing.T) {
	be, addr, caPEM := startServer(t)
	c := connector(t, addr, caPEM, "s3cret-pass")
	if _, err := c.Send(context.Background(), notifytest.Message(store.EventAlertOpened)); err != nil {
		t.Fatal(err)
	}
	if len(be.got) != 1 {
		t.Fatalf("server received %d messages, want 1", len(be.got))
	}
	got := be.got[0]
	if !got.tlsBeforeAuth || got.user != "yagura" || got.from != "soc@example.org" ||
		strings.Join(got.to, ",") != "oncall@example.org,lead@example.org" {
		t.Errorf("session = tls-before-auth %v user %q from %q to %v", got.tlsBeforeAuth, got.user, got.from, got.to)
	}
	msg, err := mail.ReadMessage(strings.NewReader(string(got.data)))
	if err != nil {
		t.Fatal(err)
	}
	h := msg.Header
	subject, _ := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if subject != "[Yagura] HIGH alert: Logon brute force (risk 72) on host.name=ws-01 user.name=bob" {
		t.Errorf("Subject = %q", subject)
	}
	if h.Get("From") != "soc@example.org" || h.Get("To") != "oncall@example.org, lead@example.org" ||
		h.Get("X-Yagura-Idempotency-Key") != "01JEVENT/01JCHAN" || !strings.HasSuffix(h.Get("Message-Id"), "@example.org>") ||
		h.Get("Date") != "Sun, 01 Mar 2026 12:00:00 +0000" {
		t.Errorf("headers = %v", h)
	}
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q: %v", h.Get("Content-Type"), err)
	}
	parts := map[string]string{}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart() // decodes quoted-printable
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		parts[ct] = string(b)
	}
	if !strings.Contains(parts["text/plain"], "alert 01JALERT · rule win_logon_brute_force · status new · count 3") {
		t.Errorf("text part = %q", parts["text/plain"])
	}
	if !strings.Contains(parts["text/html"], "<td>ws-01</td>") || !strings.Contains(parts["text/html"], "<code>01JALERT</code>") {
		t.Errorf("html part = %q", parts["text/html"])
	}
	if strings.Contains(string(got.data), "s3cret-pass") {
		t.Error("the password leaked into the message")
	}
}

func TestWrongPasswordIsPermanentAndNotShown(t *testing.T) {
	_, addr, caPEM := startServer(t)
	c := connector(t, addr, caPEM, "wrong-pass")
	_, err := c.Send(context.Background(), notifytest.Message(store.EventAlertOpened))
	if err == nil || !notify.IsPermanent(err) || strings.Contains(err.Error(), "wrong-pass") {
		t.Errorf("err = %v (permanent %v)", err, notify.IsPermanent(err))
	}
}

func TestUntrustedCertificateFails(t *testing.T) {
	_, addr, _ := startServer(t)
	_, otherCA := notifytest.Cert(t)
	c := connector(t, addr, otherCA, "s3cret-pass")
	if _, err := c.Send(context.Background(), notifytest.Message(store.EventAlertOpened)); err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("err = %v, want a STARTTLS certificate error", err)
	}
}

func TestConfigErrors(t *testing.T) {
	cases := map[string]string{
		"no host":              `{"from":"a@b.c","to":["d@e.f"]}`,
		"no recipients":        `{"host":"h","from":"a@b.c"}`,
		"header injection":     `{"host":"h","from":"a@b.c\r\nBcc: x@y.z","to":["d@e.f"]}`,
		"password in clear":    `{"host":"h","from":"a@b.c","to":["d@e.f"],"starttls":"none","password":"p"}`,
		"unknown key":          `{"host":"h","from":"a@b.c","to":["d@e.f"],"pasword":"p"}`,
		"ca_pem not a PEM":     `{"host":"h","from":"a@b.c","to":["d@e.f"],"ca_pem":"nope"}`,
		"bad starttls setting": `{"host":"h","from":"a@b.c","to":["d@e.f"],"starttls":"maybe"}`,
	}
	for name, cfg := range cases {
		if _, err := New(json.RawMessage(cfg), notify.Deps{}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestDigestIsOneMail(t *testing.T) {
	be, addr, caPEM := startServer(t)
	c := connector(t, addr, caPEM, "s3cret-pass")
	m := notifytest.Message(store.EventAlertOpened)
	second := m.Events[0]
	second.ID, second.Alert.ID, second.Alert.RuleTitle = "01JEVENT2", "01JALERT2", "Port scan"
	m.Events = append(m.Events, second)
	m.Digest = true
	if _, err := c.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if len(be.got) != 1 {
		t.Fatalf("%d mails, want one digest", len(be.got))
	}
	msg, _ := mail.ReadMessage(strings.NewReader(string(be.got[0].data)))
	body, _ := io.ReadAll(msg.Body)
	if msg.Header.Get("Subject") != "[Yagura] 2 alerts (digest)" || !strings.Contains(string(body), "01JALERT2") ||
		!strings.Contains(string(body), "01JALERT ") {
		t.Errorf("digest subject %q", msg.Header.Get("Subject"))
	}
}
