package slack

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/yagura-soc/yagura/internal/notify"
	"github.com/yagura-soc/yagura/internal/notify/notifytest"
	"github.com/yagura-soc/yagura/internal/store"
)

func TestIncomingWebhook(t *testing.T) {
	var got message
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/hooks/T1/B2/xyz" || r.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		json.NewDecoder(r.Body).Decode(&got)
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	c, err := New(json.RawMessage(`{"url":"`+srv.URL+`/hooks/T1/B2/xyz","channel":"#soc","username":"yagura"}`), notify.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Send(context.Background(), notifytest.Message(store.EventAlertOpened)); err != nil {
		t.Fatal(err)
	}
	if got.Channel != "#soc" || got.Username != "yagura" || !strings.Contains(got.Text, "HIGH alert: Logon brute force") ||
		!strings.Contains(got.Text, "alert 01JALERT") {
		t.Errorf("message = %+v", got)
	}
}

func TestRejectedWebhookIsPermanentAndHidesTheURL(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no_service", http.StatusNotFound)
	}))
	defer srv.Close()
	c, _ := New(json.RawMessage(`{"url":"`+srv.URL+`/hooks/secret"}`), notify.Deps{})
	_, err := c.Send(context.Background(), notifytest.Message(store.EventAlertOpened))
	if err == nil || !notify.IsPermanent(err) || strings.Contains(err.Error(), "/hooks/secret") {
		t.Errorf("err = %v", err)
	}
}
