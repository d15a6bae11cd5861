package webhook

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	notifywebhook "github.com/yagura-soc/yagura/internal/notify/webhook"
	"github.com/yagura-soc/yagura/internal/respond"
)

// A real HTTP server checks the signature and the idempotency key.
func TestExecute(t *testing.T) {
	var got respond.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("X-Yagura-Signature") != notifywebhook.Sign("s3cret", body) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		json.Unmarshal(body, &got)
		if r.Header.Get("Idempotency-Key") != got.ID {
			http.Error(w, "no idempotency key", http.StatusBadRequest)
			return
		}
		if got.Target == "refuse" {
			http.Error(w, "policy forbids", http.StatusConflict)
			return
		}
		w.Write([]byte("queued"))
	}))
	defer srv.Close()
	ctx := context.Background()
	c := New(Config{Name: "fw", URL: srv.URL, Secret: "s3cret"}, nil)
	res, err := c.Execute(ctx, respond.Request{ID: "act-1", Type: respond.Block, Target: "203.0.113.7", CaseID: "c1"})
	if err != nil || !strings.Contains(res.Message, "queued") || got.Target != "203.0.113.7" || got.Type != "block" {
		t.Fatalf("Execute = %+v, %v (server saw %+v)", res, err, got)
	}
	if _, err := c.Execute(ctx, respond.Request{ID: "act-2", Type: respond.Block, Target: "refuse"}); err == nil || !strings.Contains(err.Error(), "policy forbids") {
		t.Errorf("refusal: %v", err)
	}
	bad := New(Config{Name: "fw", URL: srv.URL, Secret: "wrong"}, nil)
	if _, err := bad.Execute(ctx, respond.Request{ID: "act-3", Type: respond.Block, Target: "x"}); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("wrong secret: %v", err)
	}
}
