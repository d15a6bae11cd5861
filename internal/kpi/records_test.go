package kpi

import (
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/incident"
	"github.com/yagura-soc/yagura/internal/store"
)

func TestFromStore(t *testing.T) {
	c0 := at("2026-11-10T09:00:00Z")
	kase := incident.Case{ID: "C1", Tenant: "acme", Severity: "high", CreatedAt: c0.Add(time.Minute),
		Stages:   []incident.StageRecord{{Key: "detect", CompletedAt: ptr(c0.Add(time.Hour))}, {Key: "respond", CompletedAt: ptr(c0.Add(3 * time.Hour))}},
		ClosedAt: ptr(c0.Add(9 * time.Hour))}
	alerts := []store.Alert{
		{ID: "a1", Tenant: "acme", RuleID: "r1", Kind: store.KindDetection, Severity: "high", Status: store.StatusInProgress,
			FirstSeen: c0.Add(-time.Minute), CreatedAt: c0, AcknowledgedAt: ptr(c0.Add(time.Minute)), CaseID: "C1"},
		{ID: "a2", Tenant: "acme", RuleID: "hunt:h1", Kind: store.KindDetection, Severity: "low", Status: store.StatusClosed,
			Resolution: store.ResolutionFalsePositive, CreatedAt: c0, ClosedAt: ptr(c0.Add(time.Hour))},
		{ID: "a3", Tenant: "other", RuleID: "r1", Kind: store.KindRisk, CaseID: "C1"}, // same case id, other tenant
		{ID: "a4", Tenant: "acme", RuleID: "r9", Tags: []string{TagRetroHunt}},
	}
	got, cases := FromStore(alerts, []incident.Case{kase})
	if len(cases) != 1 || *cases[0].Contained != c0.Add(3*time.Hour) || *cases[0].Closed != c0.Add(9*time.Hour) {
		t.Errorf("case record %+v", cases)
	}
	a1 := got[0]
	if !a1.InCase || *a1.Contained != c0.Add(3*time.Hour) || *a1.Resolved != c0.Add(9*time.Hour) || a1.Resolution != TruePositive || a1.Source != "sigma" {
		t.Errorf("a1 = %+v", a1)
	}
	if a2 := got[1]; a2.Resolution != FalsePositive || *a2.Resolved != c0.Add(time.Hour) || a2.Source != "hunt" || a2.InCase {
		t.Errorf("a2 = %+v", a2)
	}
	if a3 := got[2]; a3.Contained != nil || a3.Source != "risk" {
		t.Errorf("a3 took another tenant's case: %+v", a3)
	}
	if got[3].Source != "retro_hunt" {
		t.Errorf("a4 source %q", got[3].Source)
	}
	if s := SLAFrom(incident.DefaultSLA()); s["critical"].Acknowledge != 15*time.Minute {
		t.Errorf("SLA %+v", s)
	}
}
