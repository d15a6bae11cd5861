package alert

import (
	"fmt"
	"math"
	"time"

	"github.com/yagura-soc/yagura/internal/store"
)

// EntityRiskConfig is risk-based alerting: each new alert adds its risk
// score × Weight to each of its entities; an entity's score halves every
// HalfLife; an entity at or above Threshold raises a risk alert.
type EntityRiskConfig struct {
	HalfLife  time.Duration
	Threshold float64
	Weight    float64
	// Fields maps the entity fields that accumulate risk to entity types.
	Fields map[string]string
}

// DefaultEntityRisk: a day's half-life, and a threshold four low alerts
// (or two high ones) reach within hours.
func DefaultEntityRisk() EntityRiskConfig {
	return EntityRiskConfig{HalfLife: 24 * time.Hour, Threshold: 100, Weight: 1,
		Fields: map[string]string{"host.name": "host", "user.name": "user"}}
}

// EntityTypes maps the entity types of the API to alert entity fields.
var EntityTypes = map[string]string{
	"host": "host.name", "user": "user.name", "ip": "source.ip", "destination_ip": "destination.ip",
	"process": "process.executable", "hash": "file.hash.sha256", "url": "url.original",
}

// Decay is score, last updated at, as of now.
func Decay(score float64, at, now time.Time, halfLife time.Duration) float64 {
	if halfLife <= 0 || !now.After(at) {
		return score
	}
	return score * math.Pow(0.5, float64(now.Sub(at))/float64(halfLife))
}

// RiskAlertRule is the rule id of risk alerts.
const RiskAlertRule = "yagura.entity_risk"

// riskAlert is the alert raised for an entity over the threshold.
func riskAlert(field, typ, value string, score, threshold float64, contributing []string, at time.Time) store.Alert {
	sev := "high"
	if score >= 2*threshold {
		sev = "critical"
	}
	return store.Alert{
		Kind: store.KindRisk, RuleID: RiskAlertRule, RuleLevel: sev,
		RuleTitle: fmt.Sprintf("High accumulated risk on %s %s", typ, value),
		Severity:  sev, RiskScore: int(math.Min(100, math.Round(score))), Status: store.StatusNew, Count: 1,
		Entities: map[string]string{field: value}, Tags: []string{}, EventIDs: []string{},
		Fingerprint:  Fingerprint(RiskAlertRule, map[string]string{"type": typ, "value": value}, []string{"type", "value"}),
		Contributing: contributing, FirstSeen: at, LastSeen: at,
	}
}
