package alert

import (
	"math"
	"strconv"
	"strings"

	"github.com/yagura-soc/yagura/internal/detect"
	"github.com/yagura-soc/yagura/internal/event"
)

// RiskConfig is the risk formula's tables (docs/alerting.md):
//
//	risk = clamp(level × host × user + intel_weight × confidence/100 + tactic, 0, 100)
//
// level is the rule level's base points, host and user are the
// criticality multipliers of the asset inventory (1 when unknown),
// confidence is the threat-intel confidence 0–100 of an intel hit, and
// tactic is the largest bonus among the ATT&CK tactics the rule is tagged with.
type RiskConfig struct {
	Levels      map[string]float64 `yaml:"levels"`
	Criticality map[string]float64 `yaml:"criticality"`
	IntelWeight float64            `yaml:"intel_weight"`
	Tactics     map[string]float64 `yaml:"tactics"`
}

// DefaultRisk is the formula out of the box.
func DefaultRisk() RiskConfig {
	return RiskConfig{
		Levels:      map[string]float64{"informational": 10, "low": 25, "medium": 45, "high": 65, "critical": 85},
		Criticality: map[string]float64{"low": 0.8, "medium": 1, "high": 1.25, "critical": 1.5},
		IntelWeight: 15,
		Tactics: map[string]float64{
			"impact": 15, "exfiltration": 12, "credential_access": 10, "lateral_movement": 10,
			"command_and_control": 10, "privilege_escalation": 8, "defense_evasion": 6, "persistence": 5,
			"execution": 4, "collection": 4, "initial_access": 4, "discovery": 2, "reconnaissance": 1,
		},
	}
}

// Merge overrides the defaults with the entries o sets.
func (r RiskConfig) Merge(o RiskConfig) RiskConfig {
	out := RiskConfig{Levels: map[string]float64{}, Criticality: map[string]float64{}, Tactics: map[string]float64{},
		IntelWeight: r.IntelWeight}
	for _, m := range []struct{ into, a, b map[string]float64 }{
		{out.Levels, r.Levels, o.Levels}, {out.Criticality, r.Criticality, o.Criticality}, {out.Tactics, r.Tactics, o.Tactics}} {
		for k, v := range m.a {
			m.into[k] = v
		}
		for k, v := range m.b {
			m.into[k] = v
		}
	}
	if o.IntelWeight != 0 {
		out.IntelWeight = o.IntelWeight
	}
	return out
}

// Criticality fields the asset inventory adds to events.
const (
	FieldHostCriticality = "host.criticality"
	FieldUserCriticality = "user.criticality"
	FieldIntelConfidence = "threat.indicator.confidence"
)

// Score computes a match's risk 0–100 with the formula above.
func (r RiskConfig) Score(m detect.Match) int {
	level := r.Levels[Severity(m.Level)]
	host := r.criticality(m.Events, FieldHostCriticality)
	user := r.criticality(m.Events, FieldUserCriticality)
	intel := r.IntelWeight * confidence(m) / 100
	tactic := 0.0
	for _, tag := range m.Tags {
		name, ok := strings.CutPrefix(strings.ToLower(tag), "attack.")
		if !ok {
			continue
		}
		name = strings.ReplaceAll(name, "-", "_")
		if b := r.Tactics[name]; b > tactic {
			tactic = b
		}
	}
	score := level*host*user + intel + tactic
	return int(math.Round(math.Max(0, math.Min(100, score))))
}

// criticality is the multiplier of the highest criticality any of the
// events carries for field: named levels (low … critical) or 1–5.
func (r RiskConfig) criticality(evs []*event.Event, field string) float64 {
	best, found := 0.0, false
	for _, ev := range evs {
		v, ok := ev.GetString(field)
		if !ok || v == "" {
			continue
		}
		name := strings.ToLower(strings.TrimSpace(v))
		if n, err := strconv.Atoi(name); err == nil { // 1–5 scales
			name = map[int]string{1: "low", 2: "low", 3: "medium", 4: "high", 5: "critical"}[min(max(n, 1), 5)]
		}
		if f, ok := r.Criticality[name]; ok && (!found || f > best) {
			best, found = f, true
		}
	}
	if !found {
		return 1
	}
	return best
}

// confidence reads the intel confidence (0–100; STIX names too) of a match.
func confidence(m detect.Match) float64 {
	var v any
	if m.Fields != nil {
		v = m.Fields[FieldIntelConfidence]
	}
	if v == nil {
		for _, ev := range m.Events {
			if x, ok := ev.Get(FieldIntelConfidence); ok {
				v = x
				break
			}
		}
	}
	s := strings.ToLower(strings.TrimSpace(event.String(v)))
	switch s {
	case "":
		return 0
	case "high":
		return 85
	case "medium":
		return 50
	case "low":
		return 15
	case "none":
		return 0
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) {
		return 0
	}
	return math.Max(0, math.Min(100, f))
}
