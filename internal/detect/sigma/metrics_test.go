package sigma

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestCollectors(t *testing.T) {
	eng := engineFromDocs(t, Options{}, failedLogonRule, threeFailures)
	reg := prometheus.NewRegistry()
	for _, c := range eng.Collectors() {
		if err := reg.Register(c); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 3; i++ {
		eng.Detect(logon(4625, "bob", time.Duration(i)*time.Second), nil)
	}
	eng.Detect(logon(4625, "bob", -time.Hour), nil) // far too late for the window
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			switch {
			case m.GetCounter() != nil:
				got[f.GetName()] = m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				got[f.GetName()] = m.GetGauge().GetValue()
			}
		}
	}
	want := map[string]float64{
		"yagura_sigma_rules":                       1,
		"yagura_sigma_rules_unmapped":              0,
		"yagura_correlation_matches_total":         1,
		"yagura_correlation_late_total":            1,
		"yagura_correlation_group_evictions_total": 0,
		"yagura_correlation_entry_evictions_total": 0,
	}
	for name, v := range want {
		if got[name] != v {
			t.Errorf("%s = %v, want %v", name, got[name], v)
		}
	}
}
