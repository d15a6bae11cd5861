package store

import (
	"context"
	"encoding/json"
	"time"
)

// Outbox event kinds: what happened to an alert that people may need to hear.
const (
	EventAlertOpened    = "alert.opened"
	EventAlertUpdated   = "alert.updated"
	EventAlertEscalated = "alert.escalated"
	EventChannelTest    = "channel.test"
)

// OutboxEvent is a notification-worthy change, written in the same
// transaction as the change itself. The router turns it into one Delivery
// per channel its routes select.
type OutboxEvent struct {
	ID      string `json:"id"`
	Kind    string `json:"kind"`
	AlertID string `json:"alert_id"`
	// Alert is the alert as it was when the event happened.
	Alert Alert `json:"alert"`
	// Step is the escalation step (1 = first) of an escalation event.
	Step int `json:"step,omitempty"`
	// Channel, when set, targets one channel directly (a channel test).
	Channel   string    `json:"channel,omitempty"`
	Actor     string    `json:"actor,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Channel is a notification target: one connector with its settings.
type Channel struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Kind names the connector: webhook, slack, email, jira, ticket.
	Kind string `json:"kind"`
	// Config is the connector's own settings (URL, secret, SMTP server…).
	Config json.RawMessage `json:"config"`
	// RatePerMinute throttles the channel: deliveries beyond it wait for
	// the next minute, they are not dropped. 0 means unthrottled.
	RatePerMinute int       `json:"rate_per_minute"`
	Enabled       bool      `json:"enabled"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// Route sends alert events to channels. A route matches an event when
// every criterion it sets holds.
type Route struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// MinSeverity: alerts at or above it; empty means all.
	MinSeverity string `json:"min_severity,omitempty"`
	// Tags: the alert carries at least one of them (prefix match, so
	// "attack.credential" matches "attack.credential_access"); empty means all.
	Tags []string `json:"tags,omitempty"`
	// Hours limits the route to a daily window, "08:00-18:00" (may wrap
	// midnight), in TimeZone (IANA name, default UTC); empty means always.
	Hours    string `json:"hours,omitempty"`
	TimeZone string `json:"time_zone,omitempty"`
	// Weekdays limits the route to days, e.g. ["mon","tue"]; empty means every day.
	Weekdays []string `json:"weekdays,omitempty"`
	Channels []string `json:"channels"`
	// DigestMinutes > 0 collects the route's events into one message per
	// channel every that many minutes.
	DigestMinutes int `json:"digest_minutes,omitempty"`
	// Escalation is the chain of channels notified, one step after
	// another, while a matching alert stays unacknowledged past its
	// severity's limit.
	Escalation []string  `json:"escalation,omitempty"`
	Enabled    bool      `json:"enabled"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Delivery states.
const (
	DeliveryPending   = "pending"   // waiting to be sent (or retried)
	DeliveryDigest    = "digest"    // waiting to be folded into a digest
	DeliveryDigested  = "digested"  // folded into a digest delivery
	DeliveryDelivered = "delivered" // the receiver accepted it
	DeliveryDead      = "dead"      // gave up after the maximum attempts
)

// Delivery is one event (or one digest of events) to one channel.
type Delivery struct {
	ID      string `json:"id"`
	EventID string `json:"event_id"`
	Channel string `json:"channel"`
	Kind    string `json:"kind"`
	AlertID string `json:"alert_id,omitempty"`
	// IdempotencyKey is the same on every attempt, so a receiver can drop
	// the repeats that at-least-once delivery may cause.
	IdempotencyKey string `json:"idempotency_key"`
	// Events are what to deliver: one event, or all of a digest.
	Events      []OutboxEvent `json:"events"`
	State       string        `json:"state"`
	Attempts    int           `json:"attempts"`
	NextAttempt time.Time     `json:"next_attempt"`
	LastError   string        `json:"last_error,omitempty"`
	CreatedAt   time.Time     `json:"created_at"`
	DeliveredAt *time.Time    `json:"delivered_at,omitempty"`
}

// DeliveryFilter selects deliveries; zero fields do not filter.
type DeliveryFilter struct {
	State   string
	Channel string
	Limit   int
	Offset  int
}

// Notifications are one tenant's channels, routes and outbox.
type Notifications interface {
	CreateChannel(ctx context.Context, c Channel) (Channel, error)
	Channel(ctx context.Context, id string) (Channel, error)
	Channels(ctx context.Context) ([]Channel, error)
	UpdateChannel(ctx context.Context, c Channel) (Channel, error)
	DeleteChannel(ctx context.Context, id string) error

	CreateRoute(ctx context.Context, r Route) (Route, error)
	Route(ctx context.Context, id string) (Route, error)
	Routes(ctx context.Context) ([]Route, error)
	UpdateRoute(ctx context.Context, r Route) (Route, error)
	DeleteRoute(ctx context.Context, id string) error

	// Enqueue writes one outbox event on its own (a channel test).
	Enqueue(ctx context.Context, ev OutboxEvent) error
	// Unrouted returns outbox events not yet routed, oldest first.
	Unrouted(ctx context.Context, limit int) ([]OutboxEvent, error)
	// Routed stores an event's deliveries and marks it routed, in one
	// transaction: an event is routed exactly once.
	Routed(ctx context.Context, eventID string, deliveries []Delivery) error
	// Due returns pending deliveries whose next attempt is at or before now.
	Due(ctx context.Context, now time.Time, limit int) ([]Delivery, error)
	// Delivered marks a delivery done; ref is the receiver's reference
	// (e.g. a Jira issue key), kept per channel and alert.
	Delivered(ctx context.Context, id string, at time.Time, ref string) error
	// Failed records a failed attempt: retried at next, or parked as dead.
	Failed(ctx context.Context, id, reason string, next time.Time, dead bool) error
	Deliveries(ctx context.Context, f DeliveryFilter) ([]Delivery, int, error)
	Delivery(ctx context.Context, id string) (Delivery, error)
	// Requeue puts a dead delivery back to pending, due at now.
	Requeue(ctx context.Context, id string, now time.Time) error
	// Digests returns the deliveries waiting in digest state per channel.
	Digests(ctx context.Context) (map[string][]Delivery, error)
	// FoldDigest replaces waiting digest deliveries by one delivery.
	FoldDigest(ctx context.Context, folded []string, d Delivery) error
	// Ref returns the receiver's reference for an alert on a channel.
	Ref(ctx context.Context, channel, alertID string) (string, error)
	// Prune deletes routed outbox events and delivered (or digested)
	// deliveries created before t; dead letters stay until retried.
	Prune(ctx context.Context, before time.Time) (int64, error)
}
