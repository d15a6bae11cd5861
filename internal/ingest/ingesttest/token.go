package ingesttest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/ingest"
	"github.com/yagura-soc/yagura/internal/store"
)

// Token creates tenant (when new) and an API token for it with role.
func (e *Env) Token(t testing.TB, tenant, role string) string {
	t.Helper()
	ctx := context.Background()
	if tenant != store.DefaultTenant {
		e.State.Tenants().Create(ctx, tenant) // an existing tenant is fine
	}
	secret, _, err := auth.CreateToken(ctx, e.State.Tokens(), tenant, role, "test", 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// HTTPDeps are the dependencies of an HTTP source on this Env.
func (e *Env) HTTPDeps() ingest.HTTPDeps {
	return ingest.HTTPDeps{Sink: e.Pipeline, Tokens: e.State.Tokens(), Metrics: e.Metrics, Log: e.Log,
		MaxBodyBytes: 1 << 20, MaxRecordBytes: 4096}
}

// Serve mounts an HTTP source's routes on a test server that is closed
// when the test ends.
func Serve(t testing.TB, routes []ingest.Route) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	for _, rt := range routes {
		mux.Handle(rt.Pattern(), rt.Handler)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}
