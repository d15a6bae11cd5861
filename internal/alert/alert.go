// Package alert turns detection matches into alerts: it names the severity,
// scores the risk, extracts the entities and computes the fingerprint that
// deduplicates repeats of the same detection. It decides nothing about
// persistence: the store's Upsert applies the dedup window.
package alert

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"

	"github.com/yagura-soc/yagura/internal/detect"
	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/store"
)

// Severities, lowest first.
var Severities = []string{"informational", "low", "medium", "high", "critical"}

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

// baseRisk is the risk score of a severity before context is considered.
var baseRisk = map[string]int{"informational": 10, "low": 25, "medium": 50, "high": 75, "critical": 90}

// RiskScore scores a match 0–100. For now it is the severity's base score;
// asset criticality and threat-intel confidence refine it as they arrive.
func RiskScore(m detect.Match) int { return baseRisk[Severity(m.Level)] }

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

// FromMatches builds alerts from matches, merging matches of one tenant
// with the same fingerprint so a burst costs one store write. The result
// is grouped by tenant.
func FromMatches(matches []detect.Match) map[string][]store.Alert {
	out := map[string][]store.Alert{}
	index := map[string]int{} // tenant + fingerprint → position in out[tenant]
	for _, m := range matches {
		entities := Entities(m)
		fp := Fingerprint(m.RuleID, entities, DefaultGroupBy)
		ids := eventIDs(m.Events)
		key := m.Tenant + "\x00" + fp
		if i, ok := index[key]; ok {
			a := &out[m.Tenant][i]
			a.Count++
			a.EventIDs = append(a.EventIDs, ids...)
			if m.Time.After(a.LastSeen) {
				a.LastSeen = m.Time
			}
			if m.Time.Before(a.FirstSeen) {
				a.FirstSeen = m.Time
			}
			continue
		}
		index[key] = len(out[m.Tenant])
		tags := m.Tags
		if tags == nil {
			tags = []string{}
		}
		out[m.Tenant] = append(out[m.Tenant], store.Alert{
			Tenant: m.Tenant, RuleID: m.RuleID, RuleTitle: m.RuleTitle,
			Severity: Severity(m.Level), RiskScore: RiskScore(m), Status: store.StatusNew,
			Count: 1, Entities: entities, Tags: tags, Fingerprint: fp, EventIDs: ids,
			FirstSeen: m.Time, LastSeen: m.Time,
		})
	}
	return out
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
