package ticket

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/yagura-soc/yagura/internal/notify"
	"github.com/yagura-soc/yagura/internal/notify/notifytest"
	"github.com/yagura-soc/yagura/internal/store"
)

func TestTicketActions(t *testing.T) {
	var got []Action
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tk-1" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var a Action
		json.NewDecoder(r.Body).Decode(&a)
		if a.IdempotencyKey != r.Header.Get("Idempotency-Key") {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		got = append(got, a)
		if a.Action == "create" {
			w.Write([]byte(`{"id":"T-42"}`))
		}
	}))
	defer srv.Close()
	c, err := New(json.RawMessage(`{"url":"`+srv.URL+`","token":"tk-1"}`), notify.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ref, err := c.Send(ctx, notifytest.Message(store.EventAlertOpened))
	if err != nil || ref != "T-42" {
		t.Fatalf("create: %q %v", ref, err)
	}
	m := notifytest.Message(store.EventAlertUpdated)
	m.Ref = ref
	m.Events[0].Alert.Status = store.StatusClosed
	if ref, err = c.Send(ctx, m); err != nil || ref != "T-42" {
		t.Fatalf("close: %q %v", ref, err)
	}
	if len(got) != 2 || got[0].Action != "create" || got[0].ExternalID != "01JALERT" || got[0].Severity != "high" ||
		got[1].Action != "close" || got[1].TicketID != "T-42" {
		t.Errorf("actions = %+v", got)
	}
	bad, _ := New(json.RawMessage(`{"url":"`+srv.URL+`","token":"nope"}`), notify.Deps{})
	if _, err := bad.Send(ctx, notifytest.Message(store.EventAlertOpened)); !notify.IsPermanent(err) {
		t.Errorf("unauthorized: %v", err)
	}
}
