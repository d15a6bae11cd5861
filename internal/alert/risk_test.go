package alert

import (
	"math"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/detect"
	"github.com/yagura-soc/yagura/internal/event"
)

func TestRiskScore(t *testing.T) {
	withFields := func(kv ...string) []*event.Event {
		f := event.Fields{}
		for i := 0; i+1 < len(kv); i += 2 {
			f[kv[i]] = kv[i+1]
		}
		return []*event.Event{{ECS: f}}
	}
	cases := []struct {
		name string
		m    detect.Match
		want int
	}{
		{"level only: low", detect.Match{Level: "low"}, 25},
		{"level only: high", detect.Match{Level: "high"}, 65},
		{"unknown level counts as medium", detect.Match{Level: "bogus"}, 45},
		{"critical host raises", detect.Match{Level: "medium", Events: withFields("host.criticality", "critical")}, 68},                           // 45×1.5
		{"low-criticality host lowers", detect.Match{Level: "medium", Events: withFields("host.criticality", "low")}, 36},                         // 45×0.8
		{"numeric criticality 4 is high", detect.Match{Level: "medium", Events: withFields("user.criticality", "4")}, 56},                         // 45×1.25
		{"host and user compound", detect.Match{Level: "medium", Events: withFields("host.criticality", "high", "user.criticality", "high")}, 70}, // 45×1.5625
		{"unknown criticality is neutral", detect.Match{Level: "medium", Events: withFields("host.criticality", "weird")}, 45},
		{"intel confidence adds", detect.Match{Level: "medium", Fields: event.Fields{"threat.indicator.confidence": int64(80)}}, 57}, // 45+12
		{"intel confidence as STIX word", detect.Match{Level: "medium", Fields: event.Fields{"threat.indicator.confidence": "High"}}, 58},
		{"intel confidence out of range is clamped", detect.Match{Level: "low", Fields: event.Fields{"threat.indicator.confidence": "500"}}, 40},
		{"garbage confidence is zero", detect.Match{Level: "low", Fields: event.Fields{"threat.indicator.confidence": "NaN"}}, 25},
		{"tactic bonus: the largest tag wins", detect.Match{Level: "high", Tags: []string{"attack.discovery", "attack.impact", "attack.t1486"}}, 80},
		{"tactic with dash", detect.Match{Level: "low", Tags: []string{"attack.credential-access"}}, 35},
		{"clamped at 100", detect.Match{Level: "critical", Tags: []string{"attack.impact"}, Events: withFields("host.criticality", "critical"),
			Fields: event.Fields{"threat.indicator.confidence": 100.0}}, 100},
	}
	r := DefaultRisk()
	for _, c := range cases {
		if got := r.Score(c.m); got != c.want {
			t.Errorf("%s: risk %d, want %d", c.name, got, c.want)
		}
	}
}

func TestRiskConfigMerge(t *testing.T) {
	r := DefaultRisk().Merge(RiskConfig{Levels: map[string]float64{"low": 30}, IntelWeight: 40})
	if r.Levels["low"] != 30 || r.Levels["high"] != 65 || r.IntelWeight != 40 || r.Tactics["impact"] != 15 {
		t.Errorf("merged = %+v", r)
	}
	if got := r.Score(detect.Match{Level: "low", Fields: event.Fields{"threat.indicator.confidence": "50"}}); got != 50 {
		t.Errorf("score with merged config = %d, want 50", got)
	}
}

func TestDecay(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name     string
		score    float64
		elapsed  time.Duration
		halfLife time.Duration
		want     float64
	}{
		{"no time passed", 80, 0, time.Hour, 80},
		{"one half-life halves", 80, time.Hour, time.Hour, 40},
		{"two half-lives quarter", 80, 2 * time.Hour, time.Hour, 20},
		{"half a half-life", 100, 30 * time.Minute, time.Hour, 100 / math.Sqrt2},
		{"no half-life: no decay", 80, 100 * time.Hour, 0, 80},
		{"clock going back: no growth", 80, -time.Hour, time.Hour, 80},
	}
	for _, c := range cases {
		got := Decay(c.score, t0, t0.Add(c.elapsed), c.halfLife)
		if math.Abs(got-c.want) > 1e-9 {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
