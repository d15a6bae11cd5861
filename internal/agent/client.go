package agent

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/yagura-soc/yagura/internal/agent/wire"
)

// client talks to the server's agent endpoints.
type client struct {
	base   string
	secret string
	http   *http.Client
}

// statusError is an answer other than success; Permanent says a retry of
// the same request cannot succeed.
type statusError struct {
	Code int
	Msg  string
}

func (e *statusError) Error() string { return fmt.Sprintf("server answered %d: %s", e.Code, e.Msg) }

// Permanent reports whether retrying the same request is pointless.
func (e *statusError) Permanent() bool {
	return e.Code == http.StatusBadRequest || e.Code == http.StatusRequestEntityTooLarge
}

// defaultRequestTimeout bounds a request unless agent.json says
// otherwise (request_timeout_seconds): long enough for a full batch on a
// slow link and a busy server, short enough that a dead connection does not
// stall delivery for long.
const defaultRequestTimeout = 2 * time.Minute

// newClient makes a client whose every request (dial, TLS, body, answer)
// ends within timeout. On a silent connection (a cut network) TCP alone
// gives up only after many minutes: unacknowledged data is retransmitted
// for about a quarter of an hour, keep-alive probes take minutes.
func newClient(server, secret, caFile string, timeout time.Duration) (*client, error) {
	server = strings.TrimRight(strings.TrimSpace(server), "/")
	if !strings.HasPrefix(server, "http://") && !strings.HasPrefix(server, "https://") {
		return nil, fmt.Errorf("server %q: give the URL with its scheme, e.g. https://yagura.example:8080", server)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 4
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA file %s holds no PEM certificate", caFile)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &client{base: server, secret: secret, http: &http.Client{Transport: tr, Timeout: timeout}}, nil
}

// do sends one request and decodes a JSON answer into out.
func (c *client) do(ctx context.Context, path, bearer string, body io.Reader, header map[string]string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+bearer)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("server unreachable: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		// Cut off in the middle of the answer (a timeout, a reset): not a
		// server that speaks another language.
		return fmt.Errorf("server unreachable: reading the answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error string `json:"error"`
		}
		msg := strings.TrimSpace(string(raw))
		if json.Unmarshal(raw, &e) == nil && e.Error != "" {
			msg = e.Error
		}
		return &statusError{Code: resp.StatusCode, Msg: msg}
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("server answer is not what an agent expects (is %s a Yagura server?): %w", c.base, err)
		}
	}
	return nil
}

func (c *client) enroll(ctx context.Context, token string, req wire.EnrollRequest) (wire.EnrollResponse, error) {
	body, _ := json.Marshal(req)
	var out wire.EnrollResponse
	err := c.do(ctx, wire.PathEnroll, token, bytes.NewReader(body), map[string]string{"Content-Type": "application/json"}, &out)
	if err == nil && !strings.HasPrefix(out.Secret, wire.SecretPrefix) {
		err = errors.New("the server's enrollment answer holds no agent secret")
	}
	return out, err
}

func (c *client) heartbeat(ctx context.Context, hb wire.Heartbeat) (wire.HeartbeatResponse, error) {
	body, _ := json.Marshal(hb)
	var out wire.HeartbeatResponse
	err := c.do(ctx, wire.PathHeartbeat, c.secret, bytes.NewReader(body), map[string]string{"Content-Type": "application/json"}, &out)
	return out, err
}

// batch posts one buffered batch (already gzip-compressed).
func (c *client) batch(ctx context.Context, payload []byte) (wire.BatchResponse, error) {
	var out wire.BatchResponse
	err := c.do(ctx, wire.PathBatch, c.secret, bytes.NewReader(payload),
		map[string]string{"Content-Type": "application/octet-stream", "Content-Encoding": "gzip"}, &out)
	return out, err
}
