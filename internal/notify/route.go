package notify

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/yagura-soc/yagura/internal/alert"
	"github.com/yagura-soc/yagura/internal/store"
)

// rank orders severities as alert.Severities does; an unknown one ranks
// lowest.
func rank(severity string) int { return max(slices.Index(alert.Severities, severity), 0) }

var weekdays = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday,
	"wed": time.Wednesday, "thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}

// ValidateRoute reports what is wrong with a route, or nil.
func ValidateRoute(r store.Route) error {
	if strings.TrimSpace(r.Name) == "" {
		return fmt.Errorf("a route needs a name")
	}
	if len(r.Channels) == 0 && len(r.Escalation) == 0 {
		return fmt.Errorf("route %q sends nowhere: give it channels or an escalation chain", r.Name)
	}
	if r.MinSeverity != "" && !slices.Contains(alert.Severities, r.MinSeverity) {
		return fmt.Errorf("min_severity %q: use informational, low, medium, high or critical", r.MinSeverity)
	}
	if r.Hours != "" {
		if _, _, err := parseHours(r.Hours); err != nil {
			return err
		}
	}
	if _, err := loadZone(r.TimeZone); err != nil {
		return err
	}
	for _, d := range r.Weekdays {
		if _, ok := weekdays[strings.ToLower(d)]; !ok {
			return fmt.Errorf("weekday %q: use mon, tue, wed, thu, fri, sat or sun", d)
		}
	}
	if r.DigestMinutes < 0 || r.DigestMinutes > 24*60 {
		return fmt.Errorf("digest_minutes must be 0 (off) to 1440")
	}
	return nil
}

func loadZone(name string) (*time.Location, error) {
	if name == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("time_zone %q is not an IANA zone name (e.g. Europe/Berlin)", name)
	}
	return loc, nil
}

// parseHours reads "08:00-18:00" into minutes of the day.
func parseHours(h string) (from, to int, err error) {
	a, b, ok := strings.Cut(h, "-")
	if !ok {
		return 0, 0, fmt.Errorf("hours %q: use HH:MM-HH:MM, e.g. 08:00-18:00", h)
	}
	parse := func(s string) (int, error) {
		t, err := time.Parse("15:04", strings.TrimSpace(s))
		if err != nil {
			return 0, fmt.Errorf("hours %q: %q is not HH:MM", h, s)
		}
		return t.Hour()*60 + t.Minute(), nil
	}
	if from, err = parse(a); err != nil {
		return
	}
	to, err = parse(b)
	return
}

// Matches reports whether route r takes alert a at time now.
func Matches(r store.Route, a store.Alert, now time.Time) bool {
	if !r.Enabled {
		return false
	}
	if r.MinSeverity != "" {
		if !slices.Contains(alert.Severities, r.MinSeverity) || rank(a.Severity) < rank(r.MinSeverity) {
			return false // a route that does not validate takes nothing
		}
	}
	if len(r.Tags) > 0 && !anyTag(r.Tags, a.Tags) {
		return false
	}
	loc, err := loadZone(r.TimeZone)
	if err != nil {
		return false
	}
	local := now.In(loc)
	if len(r.Weekdays) > 0 {
		ok := false
		for _, d := range r.Weekdays {
			if wd, known := weekdays[strings.ToLower(d)]; known && wd == local.Weekday() {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	if r.Hours != "" {
		from, to, err := parseHours(r.Hours)
		if err != nil {
			return false
		}
		m := local.Hour()*60 + local.Minute()
		in := from <= m && m < to
		if from > to { // wraps midnight, e.g. 18:00-08:00
			in = m >= from || m < to
		}
		if from == to {
			in = true
		}
		if !in {
			return false
		}
	}
	return true
}

func anyTag(want, have []string) bool {
	for _, w := range want {
		w = strings.ToLower(w)
		for _, h := range have {
			if strings.HasPrefix(strings.ToLower(h), w) {
				return true
			}
		}
	}
	return false
}

// Plan turns one outbox event into deliveries: which channels hear of
// it, and whether through a digest. Each channel gets an event at most
// once, even when several routes select it.
func Plan(ev store.OutboxEvent, routes []store.Route, channels map[string]store.Channel, kinds map[string]Kind, now time.Time) []store.Delivery {
	type target struct {
		channel string
		digest  int
	}
	var targets []target
	seen := map[string]int{} // channel → index in targets
	add := func(ch string, digest int) {
		c, ok := channels[ch]
		if !ok || !c.Enabled {
			return
		}
		if ev.Kind == store.EventAlertUpdated && !kinds[c.Kind].Updates {
			return
		}
		if i, ok := seen[ch]; ok {
			if digest == 0 { // an immediate route wins over a digest
				targets[i].digest = 0
			}
			return
		}
		seen[ch] = len(targets)
		targets = append(targets, target{ch, digest})
	}
	switch ev.Kind {
	case store.EventChannelTest:
		add(ev.Channel, 0)
	case store.EventAlertEscalated:
		for _, r := range routes {
			if Matches(r, ev.Alert, now) && ev.Step >= 1 && ev.Step <= len(r.Escalation) {
				add(r.Escalation[ev.Step-1], 0)
			}
		}
	default:
		for _, r := range routes {
			if Matches(r, ev.Alert, now) {
				digest := r.DigestMinutes
				if ev.Kind != store.EventAlertOpened {
					digest = 0 // updates of tickets are not worth waiting for
				}
				for _, ch := range r.Channels {
					add(ch, digest)
				}
			}
		}
	}
	out := make([]store.Delivery, 0, len(targets))
	for _, t := range targets {
		d := store.Delivery{EventID: ev.ID, Channel: t.channel, Kind: ev.Kind, AlertID: ev.AlertID,
			IdempotencyKey: ev.ID + "/" + t.channel, Events: []store.OutboxEvent{ev},
			State: store.DeliveryPending, NextAttempt: now}
		if t.digest > 0 {
			d.State = store.DeliveryDigest
			d.NextAttempt = now.Add(time.Duration(t.digest) * time.Minute) // when the digest is due
		}
		out = append(out, d)
	}
	return out
}

// MaxEscalationSteps is the longest escalation chain among routes.
func MaxEscalationSteps(routes []store.Route) int {
	n := 0
	for _, r := range routes {
		if r.Enabled && len(r.Escalation) > n {
			n = len(r.Escalation)
		}
	}
	return n
}
