package kpi

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/yagura-soc/yagura/internal/incident"
	"github.com/yagura-soc/yagura/internal/store"
)

// Source prefixes of rule ids raised by hunting (see package hunt): a
// scheduled hunt's alerts carry "hunt:<id>", a retro-hunt's the Sigma
// rule's own id with the tag TagRetroHunt.
const (
	HuntRulePrefix = "hunt:"
	TagRetroHunt   = "yagura.retro_hunt"
)

// SourceOf names what raised an alert, for the counts by source.
func SourceOf(a store.Alert) string {
	switch {
	case a.Kind == store.KindRisk:
		return "risk"
	case strings.HasPrefix(a.RuleID, HuntRulePrefix):
		return "hunt"
	case slices.Contains(a.Tags, TagRetroHunt):
		return "retro_hunt"
	case strings.HasPrefix(a.RuleID, "intel"):
		return "intel"
	}
	return "sigma"
}

// FromStore turns stored alerts and cases into KPI records. An alert in a
// case takes its containment time from the case (the playbook's respond
// stage completed, as the SLA timers count it) and, when it was not
// closed itself, its resolution from the case's closing: a case is opened
// for an incident, so its alerts count as true positives.
func FromStore(alerts []store.Alert, cases []incident.Case) ([]Alert, []Case) {
	byID := make(map[string]*incident.Case, len(cases))
	outCases := make([]Case, 0, len(cases))
	for i := range cases {
		c := &cases[i]
		byID[c.Tenant+"/"+c.ID] = c
		outCases = append(outCases, Case{Tenant: c.Tenant, ID: c.ID, Severity: c.Severity, Created: c.CreatedAt,
			Contained: c.StageCompleted("respond"), Closed: c.ClosedAt})
	}
	out := make([]Alert, 0, len(alerts))
	for _, a := range alerts {
		r := Alert{Tenant: a.Tenant, ID: a.ID, RuleID: a.RuleID, RuleTitle: a.RuleTitle, Severity: a.Severity,
			Source: SourceOf(a), FirstEvent: a.FirstSeen, Created: a.CreatedAt,
			Acknowledged: a.AcknowledgedAt, InCase: a.CaseID != ""}
		if a.Status == store.StatusClosed {
			r.Resolution, r.Resolved = a.Resolution, a.ClosedAt
		}
		if c := byID[a.Tenant+"/"+a.CaseID]; c != nil {
			r.Contained = c.StageCompleted("respond")
			if r.Resolved == nil && c.ClosedAt != nil {
				r.Resolved, r.Resolution = c.ClosedAt, TruePositive
			}
		}
		out = append(out, r)
	}
	return out, outCases
}

// SLAFrom converts the playbook SLA policy.
func SLAFrom(p incident.SLAPolicy) SLA {
	out := SLA{}
	for sev, l := range p.Limits {
		out[sev] = SLALimits{Acknowledge: l.Acknowledge, Contain: l.Contain, Resolve: l.Resolve}
	}
	return out
}

// loadPage is how many rows Load reads per query.
const loadPage = 5000

// Load reads from one tenant's state what a report over [from, to) needs:
// the alerts created since the start of the previous period of the same
// length (the trend compares the two periods) and every case.
func Load(ctx context.Context, sc store.Scoped, from, to time.Time) ([]store.Alert, []incident.Case, error) {
	since := from.Add(-to.Sub(from))
	alerts, err := readAll(func(off int) ([]store.Alert, error) {
		// last_seen >= created_at, so this finds every alert created since.
		page, _, err := sc.Alerts().List(ctx, store.AlertFilter{From: since, Sort: "created_at", Limit: loadPage, Offset: off})
		return page, err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("reading alerts: %w", err)
	}
	cases, err := readAll(func(off int) ([]incident.Case, error) {
		page, _, err := sc.Cases().List(ctx, store.CaseFilter{Stage: -1, Limit: loadPage, Offset: off})
		return page, err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("reading cases: %w", err)
	}
	return alerts, cases, nil
}

// readAll reads page after page until one comes back short.
func readAll[T any](page func(offset int) ([]T, error)) ([]T, error) {
	var out []T
	for off := 0; ; off += loadPage {
		items, err := page(off)
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
		if len(items) < loadPage {
			return out, nil
		}
	}
}
