package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/yagura-soc/yagura/internal/store"
)

// streamLife bounds one live stream; the browser's EventSource reconnects
// by itself, so a long shift is many short streams.
const streamLife = 10 * time.Minute

// streamAlert is what the queue needs to announce a new alert.
type streamAlert struct {
	ID        string `json:"id"`
	RuleTitle string `json:"rule_title"`
	Severity  string `json:"severity"`
	Created   string `json:"created_at"`
}

// streamAlerts sends the tenant's new alerts as server-sent events: it
// polls the store every few seconds for alerts created after ?since= (the
// time the queue was rendered) and sends each once. Polling keeps the
// stream independent of which process wrote the alert.
func (s *Server) streamAlerts(w http.ResponseWriter, r *http.Request, v *view) {
	rc := http.NewResponseController(w)
	since, err := time.Parse(time.RFC3339Nano, r.URL.Query().Get("since"))
	if err != nil {
		since = s.deps.Now()
	}
	// A reconnecting EventSource says what it saw last.
	if last, err := time.Parse(time.RFC3339Nano, r.Header.Get("Last-Event-ID")); err == nil && last.After(since) {
		since = last
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "retry: 5000\n\n")
	if err := rc.Flush(); err != nil {
		return
	}
	alerts := s.deps.State.Scope(v.Tenant).Alerts()
	seen := map[string]bool{}
	tick := time.NewTicker(s.deps.StreamEvery)
	defer tick.Stop()
	end := time.NewTimer(streamLife)
	defer end.Stop()
	for {
		// The newest new alerts (index tenant, status, created_at). Not a
		// filter on last_seen: an alert raised now may be about old events.
		// More than a page between two polls is only ever shown as "many".
		items, _, err := alerts.List(r.Context(), store.AlertFilter{Status: store.StatusNew, Sort: "-created_at", Limit: 50})
		if err != nil {
			if r.Context().Err() == nil {
				s.deps.Log.Error("console alert stream", "err", err)
			}
			return
		}
		newest := since
		for i := len(items) - 1; i >= 0; i-- {
			a := items[i]
			if a.CreatedAt.Before(since) || seen[a.ID] {
				continue
			}
			seen[a.ID] = true
			newest = a.CreatedAt
			body, _ := json.Marshal(streamAlert{ID: a.ID, RuleTitle: a.RuleTitle, Severity: a.Severity, Created: v.Time(a.CreatedAt)})
			fmt.Fprintf(w, "id: %s\nevent: alert\ndata: %s\n\n", a.CreatedAt.Format(time.RFC3339Nano), body)
		}
		if newest.After(since) {
			since = newest
			// Only alerts at exactly the watermark can come again.
			for id := range seen {
				delete(seen, id)
			}
			for _, a := range items {
				if a.CreatedAt.Equal(since) {
					seen[a.ID] = true
				}
			}
		} else {
			// A comment line keeps proxies from closing an idle stream.
			fmt.Fprintf(w, ": idle\n\n")
		}
		if err := rc.Flush(); err != nil {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-s.deps.Stopping:
			return
		case <-end.C:
			return
		case <-tick.C:
		}
	}
}
