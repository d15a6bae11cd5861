package jira

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/yagura-soc/yagura/internal/notify"
	"github.com/yagura-soc/yagura/internal/notify/notifytest"
	"github.com/yagura-soc/yagura/internal/store"
)

// fakeJira checks each REST call the connector makes and keeps issues.
type fakeJira struct {
	t      *testing.T
	mu     sync.Mutex
	calls  []string
	issues map[string]map[string]any // key → fields
	labels map[string]string         // label → key
	notes  map[string][]string       // key → comments
	status map[string]string         // key → status
}

func newFakeJira(t *testing.T) (*fakeJira, *httptest.Server) {
	f := &fakeJira{t: t, issues: map[string]map[string]any{}, labels: map[string]string{},
		notes: map[string][]string{}, status: map[string]string{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeJira) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, r.Method+" "+r.URL.Path)
	if u, p, ok := r.BasicAuth(); !ok || u != "bot@example.org" || p != "api-token-1" {
		http.Error(w, `{"errorMessages":["unauthorized"]}`, http.StatusUnauthorized)
		return
	}
	if r.Method == "POST" && r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "content type", http.StatusUnsupportedMediaType)
		return
	}
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/rest/api/2/"), "/")
	switch {
	case r.Method == "GET" && parts[0] == "search":
		jql := r.URL.Query().Get("jql")
		out := map[string]any{"issues": []any{}}
		for label, key := range f.labels {
			if strings.Contains(jql, `project = "SOC"`) && strings.Contains(jql, `labels = "`+label+`"`) {
				out["issues"] = []any{map[string]string{"key": key}}
			}
		}
		json.NewEncoder(w).Encode(out)
	case r.Method == "POST" && len(parts) == 1 && parts[0] == "issue":
		var body struct {
			Fields map[string]any `json:"fields"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		key := fmt.Sprintf("SOC-%d", len(f.issues)+1)
		f.issues[key] = body.Fields
		f.status[key] = "To Do"
		for _, l := range body.Fields["labels"].([]any) {
			f.labels[l.(string)] = key
		}
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(map[string]string{"id": "10001", "key": key})
	case len(parts) == 3 && parts[0] == "issue" && parts[2] == "comment" && r.Method == "POST":
		var body map[string]string
		json.NewDecoder(r.Body).Decode(&body)
		f.notes[parts[1]] = append(f.notes[parts[1]], body["body"])
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte(`{"id":"1"}`))
	case len(parts) == 3 && parts[0] == "issue" && parts[2] == "transitions" && r.Method == "GET":
		w.Write([]byte(`{"transitions":[{"id":"21","name":"In Progress"},{"id":"31","name":"Done"}]}`))
	case len(parts) == 3 && parts[0] == "issue" && parts[2] == "transitions" && r.Method == "POST":
		var body struct {
			Transition struct{ ID string } `json:"transition"`
		}
		json.NewDecoder(r.Body).Decode(&body)
		switch body.Transition.ID {
		case "21":
			f.status[parts[1]] = "In Progress"
		case "31":
			f.status[parts[1]] = "Done"
		default:
			http.Error(w, "bad transition", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case r.Method == "GET" && parts[0] == "project" && len(parts) == 2 && parts[1] == "SOC":
		w.Write([]byte(`{"key":"SOC"}`))
	default:
		http.Error(w, "unexpected call "+r.Method+" "+r.URL.Path, http.StatusNotFound)
	}
}

func newConnector(t *testing.T, url string) notify.Connector {
	c, err := New(json.RawMessage(`{"url":"`+url+`/","user":"bot@example.org","token":"api-token-1","project":"SOC",
		"priorities":{"high":"High"},"progress_transition":"In Progress"}`), notify.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestIssueLifecycle(t *testing.T) {
	f, srv := newFakeJira(t)
	c := newConnector(t, srv.URL)
	ctx := context.Background()

	// A new alert creates an issue with fields mapped from the alert.
	key, err := c.Send(ctx, notifytest.Message(store.EventAlertOpened))
	if err != nil || key != "SOC-1" {
		t.Fatalf("create: key %q, %v", key, err)
	}
	fields := f.issues["SOC-1"]
	if fields["summary"] != "[HIGH] Logon brute force" || fields["issuetype"].(map[string]any)["name"] != "Task" ||
		fields["priority"].(map[string]any)["name"] != "High" || fields["project"].(map[string]any)["key"] != "SOC" ||
		!strings.Contains(fields["description"].(string), "alert 01JALERT") {
		t.Errorf("issue fields = %v", fields)
	}

	// A retry of the same creation (the answer was lost) finds the issue.
	key, err = c.Send(ctx, notifytest.Message(store.EventAlertOpened))
	if err != nil || key != "SOC-1" || len(f.issues) != 1 {
		t.Errorf("retried create: key %q, %d issues, %v", key, len(f.issues), err)
	}

	// Escalation comments on the known issue.
	m := notifytest.Message(store.EventAlertEscalated)
	m.Events[0].Step, m.Ref = 1, "SOC-1"
	if _, err := c.Send(ctx, m); err != nil {
		t.Fatal(err)
	}
	// Taking the alert in progress comments and moves the issue along.
	m = notifytest.Message(store.EventAlertUpdated)
	m.Ref = "SOC-1"
	m.Events[0].Alert.Status = store.StatusInProgress
	if _, err := c.Send(ctx, m); err != nil || f.status["SOC-1"] != "In Progress" {
		t.Fatalf("in progress: status %q, %v", f.status["SOC-1"], err)
	}
	// Closing the alert comments and transitions the issue.
	m = notifytest.Message(store.EventAlertUpdated)
	m.Ref = "SOC-1"
	m.Events[0].Alert.Status, m.Events[0].Alert.Resolution, m.Events[0].Actor = store.StatusClosed, "true_positive", "alice"
	if _, err := c.Send(ctx, m); err != nil {
		t.Fatal(err)
	}
	if len(f.notes["SOC-1"]) != 3 || !strings.Contains(f.notes["SOC-1"][0], "ESCALATION 1") ||
		!strings.Contains(f.notes["SOC-1"][2], "by alice — resolution true_positive") || f.status["SOC-1"] != "Done" {
		t.Errorf("comments %q, status %q", f.notes["SOC-1"], f.status["SOC-1"])
	}
	want := []string{
		"GET /rest/api/2/search", "POST /rest/api/2/issue",
		"GET /rest/api/2/search",
		"POST /rest/api/2/issue/SOC-1/comment",
		"POST /rest/api/2/issue/SOC-1/comment", "GET /rest/api/2/issue/SOC-1/transitions", "POST /rest/api/2/issue/SOC-1/transitions",
		"POST /rest/api/2/issue/SOC-1/comment", "GET /rest/api/2/issue/SOC-1/transitions", "POST /rest/api/2/issue/SOC-1/transitions",
	}
	if strings.Join(f.calls, "\n") != strings.Join(want, "\n") {
		t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(f.calls, "\n"), strings.Join(want, "\n"))
	}
}

func TestChannelTestAndBadToken(t *testing.T) {
	_, srv := newFakeJira(t)
	if _, err := newConnector(t, srv.URL).Send(context.Background(), notifytest.Message(store.EventChannelTest)); err != nil {
		t.Errorf("test message: %v", err)
	}
	bad, _ := New(json.RawMessage(`{"url":"`+srv.URL+`","user":"bot@example.org","token":"wrong-token","project":"SOC"}`), notify.Deps{})
	_, err := bad.Send(context.Background(), notifytest.Message(store.EventAlertOpened))
	if err == nil || !notify.IsPermanent(err) || strings.Contains(err.Error(), "wrong-token") {
		t.Errorf("bad token: %v", err)
	}
}
