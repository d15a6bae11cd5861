// Package alert turns detection matches into alerts: it names the severity,
// scores the risk, extracts the entities, computes the fingerprint that
// deduplicates repeats of the same detection, applies the tenant's
// suppressions and accumulates entity risk (risk-based alerting). Its Stage
// commits all of that, with the outbox events the changes cause, in one
// state-store transaction.
//
// It never sends anything (notify does, from the outbox) and never drops a
// match silently: a suppressed match is counted on its suppression.
package alert

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"sort"
	"strings"

	"github.com/yagura-soc/yagura/internal/detect"
	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/incident"
	"github.com/yagura-soc/yagura/internal/store"
)

// Severities, lowest first; the scale is incident's, which cases share.
var Severities = incident.Severities

// Severity maps a Sigma level to an alert severity; unknown levels count
// as medium so that a typo in a rule never hides an alert.
func Severity(level string) string {
	switch strings.ToLower(level) {
	case "informational", "info":
		return "informational"
	case "low":
		return "low"
	case "high":
		return "high"
	case "critical":
		return "critical"
	}
	return "medium"
}

// RiskScore scores a match 0–100 with the default formula (risk.go).
func RiskScore(m detect.Match) int { return DefaultRisk().Score(m) }

// entityFields are the ECS fields that name an alert's entities.
var entityFields = []string{
	"host.name", "user.name", "source.ip", "destination.ip",
	"process.executable", "file.hash.sha256", "url.original",
}

// DefaultGroupBy are the entities that, with the rule, make the default
// fingerprint: repeats of one rule on one host and user are one alert.
var DefaultGroupBy = []string{"host.name", "user.name"}

// Entities collects the entity fields of the match's events (first value
// of each field wins) and the correlation's group-by values.
func Entities(m detect.Match) map[string]string {
	out := map[string]string{}
	for _, ev := range m.Events {
		for _, f := range entityFields {
			if _, done := out[f]; done {
				continue
			}
			if v, ok := ev.GetString(f); ok && v != "" {
				out[f] = v
			}
		}
	}
	for k, v := range m.GroupBy {
		if _, done := out[k]; !done && v != "" {
			out[k] = v
		}
	}
	return out
}

// Fingerprint identifies repeats: the rule plus the group-by entities.
func Fingerprint(ruleID string, entities map[string]string, groupBy []string) string {
	h := sha256.New()
	h.Write([]byte(ruleID))
	keys := append([]string(nil), groupBy...)
	sort.Strings(keys)
	for _, k := range keys {
		h.Write([]byte{0})
		h.Write([]byte(k))
		h.Write([]byte{'='})
		h.Write([]byte(entities[k]))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// FromMatches builds alerts with the default grouping and risk formula.
func FromMatches(matches []detect.Match) map[string][]store.Alert {
	return Builder{Risk: DefaultRisk()}.Build(matches)
}

// Builder turns matches into alerts.
type Builder struct {
	// GroupBy overrides DefaultGroupBy per rule id.
	GroupBy map[string][]string
	Risk    RiskConfig
}

// groupBy is the fingerprint fields of a rule.
func (b Builder) groupBy(rule string) []string {
	if g, ok := b.GroupBy[rule]; ok {
		return g
	}
	return DefaultGroupBy
}

// Build merges matches of one tenant with the same fingerprint so a burst
// costs one store write. The result is grouped by tenant.
func (b Builder) Build(matches []detect.Match) map[string][]store.Alert {
	s := b.NewSet()
	for _, m := range matches {
		s.Add(m)
	}
	return s.out
}

// EventKeys are the event fields Build reads from a match's events: the
// entities, the fingerprint's group-by fields and the risk factors. A
// caller that decodes only some fields of stored events must include
// these for its alerts to come out as live detection's.
func (b Builder) EventKeys() []string {
	keys := append([]string{}, entityFields...)
	keys = append(keys, DefaultGroupBy...)
	for _, g := range b.GroupBy {
		keys = append(keys, g...)
	}
	keys = append(keys, FieldHostCriticality, FieldUserCriticality, FieldIntelConfidence)
	slices.Sort(keys)
	return slices.Compact(keys)
}

// Set merges matches into alerts one at a time, so a caller that sees
// matches as a stream (a retro-hunt over months of events) holds one
// alert per fingerprint rather than every match and its events.
type Set struct {
	b       Builder
	out     map[string][]store.Alert
	index   map[string]int // tenant + fingerprint → position in out[tenant]
	matches int
}

// NewSet starts an empty set that merges with b's grouping and risk.
func (b Builder) NewSet() *Set {
	return &Set{b: b, out: map[string][]store.Alert{}, index: map[string]int{}}
}

// Add merges one match; the set keeps no reference to its events.
func (s *Set) Add(m detect.Match) { s.add(m, Entities(m)) }

// Matches is how many matches were added.
func (s *Set) Matches() int { return s.matches }

// Alerts are the merged alerts of one tenant, in order of first match.
func (s *Set) Alerts(tenant string) []store.Alert { return s.out[tenant] }

// add merges one match whose entities the caller has already taken.
func (s *Set) add(m detect.Match, entities map[string]string) {
	s.matches++
	fp := Fingerprint(m.RuleID, entities, s.b.groupBy(m.RuleID))
	ids := eventIDs(m.Events)
	risk := s.b.Risk.Score(m)
	key := m.Tenant + "\x00" + fp
	if i, ok := s.index[key]; ok {
		a := &s.out[m.Tenant][i]
		a.Count++
		a.EventIDs = store.AppendBounded(a.EventIDs, ids, store.MaxAlertEventIDs)
		if m.Time.After(a.LastSeen) {
			a.LastSeen = m.Time
		}
		if m.Time.Before(a.FirstSeen) {
			a.FirstSeen = m.Time
		}
		if risk > a.RiskScore {
			a.RiskScore = risk
		}
		return
	}
	s.index[key] = len(s.out[m.Tenant])
	tags := m.Tags
	if tags == nil {
		tags = []string{}
	}
	s.out[m.Tenant] = append(s.out[m.Tenant], store.Alert{
		Tenant: m.Tenant, Kind: store.KindDetection, RuleID: m.RuleID, RuleTitle: m.RuleTitle, RuleLevel: m.Level,
		Severity: Severity(m.Level), RiskScore: risk, Status: store.StatusNew,
		Count: 1, Entities: entities, Tags: tags, Fingerprint: fp, EventIDs: store.AppendBounded(nil, ids, store.MaxAlertEventIDs),
		FirstSeen: m.Time, LastSeen: m.Time,
	})
}

func eventIDs(evs []*event.Event) []string {
	ids := make([]string, 0, len(evs))
	for _, ev := range evs {
		if ev.ID != "" {
			ids = append(ids, ev.ID)
		}
	}
	return ids
}
