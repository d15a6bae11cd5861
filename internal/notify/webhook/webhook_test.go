package webhook

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/yagura-soc/yagura/internal/notify"
	"github.com/yagura-soc/yagura/internal/notify/notifytest"
	"github.com/yagura-soc/yagura/internal/store"
)

// A real HTTP server checks the signature the way a receiver would.
func TestSignedDelivery(t *testing.T) {
	const secret = "wh-secret-123"
	var got notify.Payload
	var sigOK bool
	var idem string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sigOK = hmac.Equal([]byte(r.Header.Get("X-Yagura-Signature")), []byte(Sign(secret, body)))
		idem = r.Header.Get("Idempotency-Key")
		json.Unmarshal(body, &got)
		if r.Header.Get("X-Team") != "blue" || r.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(http.StatusBadRequest)
		}
	}))
	defer srv.Close()
	c, err := New(json.RawMessage(`{"url":"`+srv.URL+`/hook","secret":"`+secret+`","headers":{"X-Team":"blue"}}`), notify.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Send(context.Background(), notifytest.Message(store.EventAlertOpened)); err != nil {
		t.Fatal(err)
	}
	if !sigOK || idem != "01JEVENT/01JCHAN" || got.IdempotencyKey != idem || len(got.Events) != 1 ||
		got.Events[0].Alert.ID != "01JALERT" || got.Events[0].Kind != "alert.opened" {
		t.Errorf("signature ok %v, idempotency %q, payload %+v", sigOK, idem, got)
	}
}

func TestSignatureIsHMACSHA256(t *testing.T) {
	// RFC 4231 test case 2.
	got := Sign("Jefe", []byte("what do ya want for nothing?"))
	if got != "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" {
		t.Errorf("Sign = %s", got)
	}
}

func TestStatusErrors(t *testing.T) {
	cases := []struct {
		code      int
		wantErr   bool
		permanent bool
	}{{200, false, false}, {204, false, false}, {400, true, true}, {404, true, true}, {408, true, false},
		{429, true, false}, {500, true, false}, {503, true, false}}
	for _, c := range cases {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(c.code) }))
		conn, _ := New(json.RawMessage(`{"url":"`+srv.URL+`/secret-path-token"}`), notify.Deps{})
		_, err := conn.Send(context.Background(), notifytest.Message(store.EventAlertOpened))
		srv.Close()
		if (err != nil) != c.wantErr || notify.IsPermanent(err) != c.permanent {
			t.Errorf("status %d: err %v permanent %v", c.code, err, notify.IsPermanent(err))
		}
		if err != nil && strings.Contains(err.Error(), "secret-path-token") {
			t.Errorf("status %d: error shows the URL path: %v", c.code, err)
		}
	}
}

func TestUnreachableErrorHidesThePath(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c, _ := New(json.RawMessage(`{"url":"`+url+`/T000/B000/XXXXsecret"}`), notify.Deps{})
	_, err := c.Send(context.Background(), notifytest.Message(store.EventAlertOpened))
	if err == nil || notify.IsPermanent(err) || strings.Contains(err.Error(), "XXXXsecret") {
		t.Errorf("err = %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []string{`{}`, `{"url":"ftp://x"}`, `{"url":"http://x","sekret":"a"}`, `not json`} {
		if _, err := New(json.RawMessage(cfg), notify.Deps{}); err == nil {
			t.Errorf("%s accepted", cfg)
		}
	}
}
