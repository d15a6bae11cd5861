package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/notify"
	"github.com/yagura-soc/yagura/internal/notify/connectors"
	"github.com/yagura-soc/yagura/internal/store"
)

func notifyRoutes() []route {
	return []route{
		{"GET", "/api/v1/channels", auth.PermNotify, (*Server).listChannels},
		{"POST", "/api/v1/channels", auth.PermNotify, (*Server).createChannel},
		{"GET", "/api/v1/channels/{id}", auth.PermNotify, (*Server).getChannel},
		{"PUT", "/api/v1/channels/{id}", auth.PermNotify, (*Server).updateChannel},
		{"DELETE", "/api/v1/channels/{id}", auth.PermNotify, (*Server).deleteChannel},
		{"POST", "/api/v1/channels/{id}/test", auth.PermNotify, (*Server).testChannel},
		{"GET", "/api/v1/routes", auth.PermNotify, (*Server).listRoutes},
		{"POST", "/api/v1/routes", auth.PermNotify, (*Server).createRoute},
		{"GET", "/api/v1/routes/{id}", auth.PermNotify, (*Server).getRoute},
		{"PUT", "/api/v1/routes/{id}", auth.PermNotify, (*Server).updateRoute},
		{"DELETE", "/api/v1/routes/{id}", auth.PermNotify, (*Server).deleteRoute},
		{"GET", "/api/v1/notifications", auth.PermAlertsRead, (*Server).listDeliveries},
		{"GET", "/api/v1/notifications/dead-letters", auth.PermAlertsRead, (*Server).listDeadLetters},
		{"POST", "/api/v1/notifications/{id}/retry", auth.PermNotify, (*Server).retryDelivery},
	}
}

func (s *Server) notifyKinds() map[string]notify.Kind {
	if s.deps.NotifyKinds != nil {
		return s.deps.NotifyKinds
	}
	return connectors.Kinds()
}

// shown hides a channel's secrets.
func (s *Server) shown(c store.Channel) store.Channel {
	c.Config = notify.Redact(c.Config, s.notifyKinds()[c.Kind].Secrets)
	return c
}

func (s *Server) listChannels(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	items, err := s.deps.State.Scope(p.Tenant).Notifications().Channels(r.Context())
	if err != nil {
		s.internalError(w, "listing channels failed", err)
		return
	}
	for i := range items {
		items[i] = s.shown(items[i])
	}
	writeJSON(w, http.StatusOK, list[store.Channel]{Items: items, Total: len(items)})
}

func (s *Server) channel(w http.ResponseWriter, r *http.Request, p auth.Principal) (store.Channel, bool) {
	c, err := s.deps.State.Scope(p.Tenant).Notifications().Channel(r.Context(), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no channel "+r.PathValue("id"))
		return c, false
	}
	if err != nil {
		s.internalError(w, "reading the channel failed", err)
		return c, false
	}
	return c, true
}

func (s *Server) getChannel(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if c, ok := s.channel(w, r, p); ok {
		writeJSON(w, http.StatusOK, s.shown(c))
	}
}

// channelBody is what a client sets on a channel. On update, secrets
// sent back as shown ("********") keep their stored value.
type channelBody struct {
	Name          string          `json:"name"`
	Kind          string          `json:"kind"`
	Config        json.RawMessage `json:"config"`
	RatePerMinute int             `json:"rate_per_minute"`
	Enabled       *bool           `json:"enabled"`
}

func (s *Server) readChannel(w http.ResponseWriter, r *http.Request, old *store.Channel) (store.Channel, bool) {
	var body channelBody
	if !decodeBody(w, r, &body) {
		return store.Channel{}, false
	}
	c := store.Channel{Name: strings.TrimSpace(body.Name), Kind: body.Kind, Config: body.Config,
		RatePerMinute: body.RatePerMinute, Enabled: body.Enabled == nil || *body.Enabled}
	if c.Name == "" || len(c.Name) > 100 {
		writeError(w, http.StatusBadRequest, "name must be 1 to 100 characters")
		return c, false
	}
	if c.RatePerMinute < 0 {
		writeError(w, http.StatusBadRequest, "rate_per_minute must be 0 (no limit) or more")
		return c, false
	}
	if old != nil {
		c.ID = old.ID
		c.Config = keepSecrets(c.Config, old.Config, s.notifyKinds()[c.Kind].Secrets)
	}
	if err := notify.Check(s.notifyKinds(), c, notify.Deps{}); err != nil {
		writeError(w, http.StatusBadRequest, "channel "+c.Name+": "+err.Error())
		return c, false
	}
	return c, true
}

// keepSecrets puts back stored secrets the client echoed as redacted.
func keepSecrets(in, old json.RawMessage, secrets []string) json.RawMessage {
	var m, o map[string]any
	if json.Unmarshal(in, &m) != nil || json.Unmarshal(old, &o) != nil {
		return in
	}
	for _, k := range secrets {
		if m[k] == "********" {
			m[k] = o[k]
		}
	}
	out, _ := json.Marshal(m)
	return out
}

func (s *Server) createChannel(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	c, ok := s.readChannel(w, r, nil)
	if !ok {
		return
	}
	c, err := s.deps.State.Scope(p.Tenant).Notifications().CreateChannel(r.Context(), c)
	if errors.Is(err, store.ErrConflict) {
		writeError(w, http.StatusConflict, "a channel named "+c.Name+" exists")
		return
	}
	if err != nil {
		s.internalError(w, "creating the channel failed", err)
		return
	}
	if !s.audited(w, r, p, "channel.create", "channel/"+c.ID, map[string]any{"name": c.Name, "kind": c.Kind}) {
		return
	}
	writeJSON(w, http.StatusCreated, s.shown(c))
}

func (s *Server) updateChannel(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	old, ok := s.channel(w, r, p)
	if !ok {
		return
	}
	c, ok := s.readChannel(w, r, &old)
	if !ok {
		return
	}
	c, err := s.deps.State.Scope(p.Tenant).Notifications().UpdateChannel(r.Context(), c)
	if errors.Is(err, store.ErrConflict) {
		writeError(w, http.StatusConflict, "a channel named "+c.Name+" exists")
		return
	}
	if err != nil {
		s.internalError(w, "updating the channel failed", err)
		return
	}
	if !s.audited(w, r, p, "channel.update", "channel/"+c.ID, map[string]any{"name": c.Name, "kind": c.Kind,
		"enabled": c.Enabled}) {
		return
	}
	writeJSON(w, http.StatusOK, s.shown(c))
}

func (s *Server) deleteChannel(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	id := r.PathValue("id")
	err := s.deps.State.Scope(p.Tenant).Notifications().DeleteChannel(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no channel "+id)
		return
	}
	if err != nil {
		s.internalError(w, "deleting the channel failed", err)
		return
	}
	if !s.audited(w, r, p, "channel.delete", "channel/"+id, nil) {
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// testChannel queues a test message to the channel through the outbox,
// so it takes the path real notifications take.
func (s *Server) testChannel(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	c, ok := s.channel(w, r, p)
	if !ok {
		return
	}
	now := s.deps.Now()
	ev := store.OutboxEvent{Kind: store.EventChannelTest, Channel: c.ID, Actor: p.Actor(), CreatedAt: now,
		Alert: store.Alert{ID: "test", Tenant: p.Tenant, Kind: store.KindDetection, RuleID: "yagura.test",
			RuleTitle: "Test notification from Yagura", Severity: "informational", Status: store.StatusNew, Count: 1,
			Entities: map[string]string{}, Tags: []string{}, EventIDs: []string{}, FirstSeen: now, LastSeen: now, CreatedAt: now}}
	if err := s.deps.State.Scope(p.Tenant).Notifications().Enqueue(r.Context(), ev); err != nil {
		s.internalError(w, "queueing the test failed", err)
		return
	}
	if !s.audited(w, r, p, "channel.test", "channel/"+c.ID, nil) {
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "queued",
		"see": "/api/v1/notifications?channel=" + c.ID})
}

func (s *Server) listRoutes(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	items, err := s.deps.State.Scope(p.Tenant).Notifications().Routes(r.Context())
	if err != nil {
		s.internalError(w, "listing routes failed", err)
		return
	}
	writeJSON(w, http.StatusOK, list[store.Route]{Items: items, Total: len(items)})
}

func (s *Server) getRoute(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	rt, err := s.deps.State.Scope(p.Tenant).Notifications().Route(r.Context(), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no route "+r.PathValue("id"))
		return
	}
	if err != nil {
		s.internalError(w, "reading the route failed", err)
		return
	}
	writeJSON(w, http.StatusOK, rt)
}

// routeBody is what a client sets on a route.
type routeBody struct {
	Name          string   `json:"name"`
	MinSeverity   string   `json:"min_severity"`
	Tags          []string `json:"tags"`
	Hours         string   `json:"hours"`
	TimeZone      string   `json:"time_zone"`
	Weekdays      []string `json:"weekdays"`
	Channels      []string `json:"channels"`
	DigestMinutes int      `json:"digest_minutes"`
	Escalation    []string `json:"escalation"`
	Enabled       *bool    `json:"enabled"`
}

func (s *Server) readRoute(w http.ResponseWriter, r *http.Request, p auth.Principal) (store.Route, bool) {
	var b routeBody
	if !decodeBody(w, r, &b) {
		return store.Route{}, false
	}
	rt := store.Route{Name: strings.TrimSpace(b.Name), MinSeverity: b.MinSeverity, Tags: b.Tags, Hours: b.Hours,
		TimeZone: b.TimeZone, Weekdays: b.Weekdays, Channels: b.Channels, DigestMinutes: b.DigestMinutes,
		Escalation: b.Escalation, Enabled: b.Enabled == nil || *b.Enabled}
	if err := notify.ValidateRoute(rt); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return rt, false
	}
	for _, id := range append(append([]string{}, rt.Channels...), rt.Escalation...) {
		if _, err := s.deps.State.Scope(p.Tenant).Notifications().Channel(r.Context(), id); err != nil {
			writeError(w, http.StatusBadRequest, "route "+rt.Name+": no channel "+id)
			return rt, false
		}
	}
	return rt, true
}

func (s *Server) createRoute(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	rt, ok := s.readRoute(w, r, p)
	if !ok {
		return
	}
	rt, err := s.deps.State.Scope(p.Tenant).Notifications().CreateRoute(r.Context(), rt)
	if errors.Is(err, store.ErrConflict) {
		writeError(w, http.StatusConflict, "a route named "+rt.Name+" exists")
		return
	}
	if err != nil {
		s.internalError(w, "creating the route failed", err)
		return
	}
	if !s.audited(w, r, p, "route.create", "route/"+rt.ID, map[string]any{"route": rt}) {
		return
	}
	writeJSON(w, http.StatusCreated, rt)
}

func (s *Server) updateRoute(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	rt, ok := s.readRoute(w, r, p)
	if !ok {
		return
	}
	rt.ID = r.PathValue("id")
	rt, err := s.deps.State.Scope(p.Tenant).Notifications().UpdateRoute(r.Context(), rt)
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "no route "+r.PathValue("id"))
		return
	case errors.Is(err, store.ErrConflict):
		writeError(w, http.StatusConflict, "a route named "+rt.Name+" exists")
		return
	case err != nil:
		s.internalError(w, "updating the route failed", err)
		return
	}
	if !s.audited(w, r, p, "route.update", "route/"+rt.ID, map[string]any{"route": rt}) {
		return
	}
	writeJSON(w, http.StatusOK, rt)
}

func (s *Server) deleteRoute(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	id := r.PathValue("id")
	err := s.deps.State.Scope(p.Tenant).Notifications().DeleteRoute(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no route "+id)
		return
	}
	if err != nil {
		s.internalError(w, "deleting the route failed", err)
		return
	}
	if !s.audited(w, r, p, "route.delete", "route/"+id, nil) {
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

var deliveryStates = []string{store.DeliveryPending, store.DeliveryDigest, store.DeliveryDigested, store.DeliveryDelivered, store.DeliveryDead}

func (s *Server) deliveries(w http.ResponseWriter, r *http.Request, p auth.Principal, state string) {
	q := r.URL.Query()
	f := store.DeliveryFilter{State: state, Channel: q.Get("channel")}
	if f.State == "" {
		f.State = q.Get("state")
	}
	if f.State != "" && !slices.Contains(deliveryStates, f.State) {
		writeError(w, http.StatusBadRequest, "state must be one of "+strings.Join(deliveryStates, ", "))
		return
	}
	var err error
	if f.Limit, f.Offset, err = parsePage(q, 100, 1000); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	items, total, err := s.deps.State.Scope(p.Tenant).Notifications().Deliveries(r.Context(), f)
	if err != nil {
		s.internalError(w, "listing notifications failed", err)
		return
	}
	writeJSON(w, http.StatusOK, list[store.Delivery]{Items: items, Total: total})
}

func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	s.deliveries(w, r, p, "")
}

func (s *Server) listDeadLetters(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	s.deliveries(w, r, p, store.DeliveryDead)
}

func (s *Server) retryDelivery(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	id := r.PathValue("id")
	err := s.deps.State.Scope(p.Tenant).Notifications().Requeue(r.Context(), id, s.deps.Now())
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no dead letter "+id)
		return
	}
	if err != nil {
		s.internalError(w, "requeueing failed", err)
		return
	}
	if !s.audited(w, r, p, "notification.retry", "notification/"+id, nil) {
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "queued"})
}
