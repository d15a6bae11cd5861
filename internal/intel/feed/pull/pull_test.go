package pull

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/intel/feed"
	"github.com/yagura-soc/yagura/internal/intel/feed/text"
)

func readText(r io.Reader, s Source) (feed.Result, error) { return text.Read(r, s.Options, s.Type) }

// A feed server with an ETag: the second pull is a 304 and stores
// nothing; a changed list is fetched again.
func TestConditionalPull(t *testing.T) {
	body, etag := "203.0.113.1\n", `"v1"`
	var conditional []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer secret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		conditional = append(conditional, r.Header.Get("If-None-Match"))
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		io.WriteString(w, body)
	}))
	defer srv.Close()
	var stored []string
	store := func(_ context.Context, tenant string, res feed.Result) error {
		for _, i := range res.IOCs {
			stored = append(stored, tenant+"/"+i.Source()+"/"+i.Value)
		}
		return nil
	}
	p := New(Source{Name: "blocklist", Tenant: "acme", URL: srv.URL, Format: "text", Token: "secret"}, readText, store, nil, nil)
	ctx := context.Background()
	for k, want := range []bool{true, false} {
		changed, err := p.Once(ctx)
		if err != nil || changed != want {
			t.Fatalf("pull %d: changed %v, %v; want %v", k+1, changed, err, want)
		}
	}
	body, etag = "203.0.113.2\n", `"v2"`
	if changed, err := p.Once(ctx); !changed || err != nil {
		t.Fatalf("pull after a change: %v %v", changed, err)
	}
	if strings.Join(stored, ",") != "acme/blocklist/203.0.113.1,acme/blocklist/203.0.113.2" {
		t.Errorf("stored %v", stored)
	}
	if strings.Join(conditional, ",") != `,"v1","v1"` {
		t.Errorf("If-None-Match sent: %q", conditional)
	}
}

// Failures back off exponentially; Retry-After wins when longer; a
// success resets the count; a failed store does not keep the validators.
func TestBackoff(t *testing.T) {
	status := []int{500, 500, 503, 200, 200}
	var n int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code := status[min(n, len(status)-1)]
		n++
		if code == 503 {
			w.Header().Set("Retry-After", "7200")
		}
		if code != 200 {
			w.WriteHeader(code)
			return
		}
		if r.Header.Get("If-None-Match") != "" {
			t.Error("validators kept after a failed store")
		}
		w.Header().Set("ETag", `"x"`)
		io.WriteString(w, "203.0.113.9\n")
	}))
	defer srv.Close()
	stores := 0
	store := func(context.Context, string, feed.Result) error {
		stores++
		if stores == 1 {
			return errors.New("disk full")
		}
		return nil
	}
	p := New(Source{Name: "f", URL: srv.URL, Format: "text", Every: 10 * time.Minute}, readText, store, nil, nil)
	var waits []time.Duration
	ctx, cancel := context.WithCancel(context.Background())
	p.sleep = func(_ context.Context, d time.Duration) error {
		waits = append(waits, d)
		if len(waits) == 5 {
			cancel()
			return context.Canceled
		}
		return nil
	}
	p.Run(ctx)
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Hour, 4 * time.Minute, 10 * time.Minute}
	if len(waits) != len(want) {
		t.Fatalf("waits %v", waits)
	}
	for k := range want {
		if waits[k] != want[k] {
			t.Errorf("wait %d = %v, want %v (all: %v)", k, waits[k], want[k], waits)
		}
	}
	if Backoff(20) != time.Hour {
		t.Errorf("backoff is not capped: %v", Backoff(20))
	}
}
