package ingest

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/metrics"
	"github.com/yagura-soc/yagura/internal/pipeline"
	"github.com/yagura-soc/yagura/internal/store"
)

// Route is one endpoint of an HTTP source. Path is written as in the
// OpenAPI document ("/", "/{index}/_bulk"); the server mounts it beside
// the REST API.
type Route struct {
	Method  string
	Path    string
	Handler http.HandlerFunc
}

// Pattern is the route as a net/http ServeMux pattern. "/" alone would
// match every path there, so it is anchored.
func (r Route) Pattern() string {
	if r.Path == "/" {
		return r.Method + " /{$}"
	}
	return r.Method + " " + r.Path
}

// HTTPDeps are what every HTTP source is built from.
type HTTPDeps struct {
	Sink    Sink
	Tokens  store.Tokens // API tokens; credentials are checked through auth
	Metrics *metrics.Metrics
	Log     *slog.Logger
	// MaxBodyBytes bounds a request body after decompression.
	MaxBodyBytes int64
	// MaxRecordBytes cuts longer records (they are flagged truncated).
	MaxRecordBytes int
	// Ready reports whether intake is open (nil: always).
	Ready func() error
	Now   func() time.Time
}

// WithDefaults fills the zero values.
func (d HTTPDeps) WithDefaults() HTTPDeps {
	if d.MaxBodyBytes <= 0 {
		d.MaxBodyBytes = 16 << 20
	}
	if d.MaxRecordBytes <= 0 {
		d.MaxRecordBytes = DefaultMaxRecordBytes
	}
	if d.Now == nil {
		d.Now = func() time.Time { return time.Now().UTC() }
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return d
}

// ErrForbidden means the credential is valid but its role may not send
// events.
var ErrForbidden = errors.New("this token's role may not send events (use a token with role ingest)")

// AuthenticateIngest resolves a token secret and checks that its role may
// send events. Errors are auth.ErrUnauthenticated, ErrForbidden, or a
// store failure.
func AuthenticateIngest(ctx context.Context, tokens store.Tokens, secret string, now time.Time) (auth.Principal, error) {
	p, err := auth.Authenticate(ctx, tokens, strings.TrimSpace(secret), now)
	if err != nil {
		return p, err
	}
	if !auth.Allowed(p.Role, auth.PermEventsWrite) {
		return p, ErrForbidden
	}
	return p, nil
}

// ErrBodyTooLarge is returned by ReadBody for bodies over the limit.
var ErrBodyTooLarge = errors.New("request body too large")

// ReadBody reads a request body, gunzipping it when the client says so,
// and refuses more than max bytes (after decompression, so a small gzip
// bomb cannot exhaust memory).
func ReadBody(w http.ResponseWriter, r *http.Request, max int64) ([]byte, error) {
	var body io.Reader = http.MaxBytesReader(w, r.Body, max)
	switch strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))) {
	case "", "identity":
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(body)
		if err != nil {
			return nil, fmt.Errorf("the body is not valid gzip: %w", err)
		}
		defer zr.Close()
		body = zr
	default:
		return nil, fmt.Errorf("unsupported Content-Encoding %q (send identity or gzip)", r.Header.Get("Content-Encoding"))
	}
	b, err := io.ReadAll(io.LimitReader(body, max+1))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) || int64(len(b)) > max {
		return nil, fmt.Errorf("%w: over %d bytes; send smaller batches", ErrBodyTooLarge, max)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the request body: %w", err)
	}
	return b, nil
}

// Submit hands a batch to the sink and waits until it is durable (or the
// client went away). A closed pipeline is pipeline.ErrClosed.
func Submit(ctx context.Context, sink Sink, b pipeline.Batch) (pipeline.Result, error) {
	ch, err := sink.Enqueue(ctx, b)
	if err != nil {
		return pipeline.Result{}, err
	}
	select {
	case res := <-ch:
		return res, res.Err
	case <-ctx.Done():
		return pipeline.Result{}, ctx.Err()
	}
}

// SecurityHeaders sets the headers every response of Yagura carries.
func SecurityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
}
