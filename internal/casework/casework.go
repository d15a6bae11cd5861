// Package casework carries out incident response on cases: opening a case
// from alerts, attaching evidence, walking the playbook's stages, running
// response actions, and exporting evidence bundles. Each operation checks
// the playbook's guards (package incident), writes the case, its timeline
// and the audit trail, and never lets one tenant reach another's case.
//
// It is the one place that knows how these pieces fit; the HTTP API and
// the console call it and add nothing but transport.
package casework

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/yagura-soc/yagura/internal/alert"
	"github.com/yagura-soc/yagura/internal/incident"
	"github.com/yagura-soc/yagura/internal/respond"
	"github.com/yagura-soc/yagura/internal/store"
)

// Errors the transport maps to status codes.
var (
	// ErrInvalid wraps requests that cannot be carried out as asked (400).
	ErrInvalid = errors.New("invalid request")
	// ErrForbidden wraps role checks (403).
	ErrForbidden = errors.New("not allowed")
)

// Service is the case desk.
type Service struct {
	State      store.State
	Events     store.EventStore
	Blobs      store.Blobs
	Playbooks  incident.Playbooks
	Connectors map[string]respond.Connector
	// Settings returns a tenant's incident settings (escalation threshold,
	// SLA limits); nil means incident.DefaultSettings for every tenant.
	Settings func(tenant string) incident.Settings
	// AutoOpen opens cases by itself for new alerts that call for one;
	// the zero value opens none.
	AutoOpen AutoOpenPolicy
	// Notify tells a role about an escalation or an SLA warning; nil
	// records it on the timeline only.
	Notify func(ctx context.Context, tenant, role, subject, text string)
	Now    func() time.Time
}

// Actor is who acts.
type Actor struct {
	Name   string
	Role   string
	Remote string
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) settings(tenant string) incident.Settings {
	if s.Settings != nil {
		return s.Settings(tenant)
	}
	return incident.DefaultSettings()
}

func (s *Service) playbook(name string) (incident.Playbook, error) {
	p, ok := s.Playbooks[name]
	if !ok {
		names := make([]string, 0, len(s.Playbooks))
		for n := range s.Playbooks {
			names = append(names, n)
		}
		slices.Sort(names)
		return p, fmt.Errorf("%w: no playbook %q (have %s)", ErrInvalid, name, strings.Join(names, ", "))
	}
	return p, nil
}

// load reads a case the actor may see: the csirt role sees only cases
// handed over to the CSIRT; for everyone else that case does not exist.
func (s *Service) load(ctx context.Context, tenant string, actor Actor, id string) (incident.Case, incident.Playbook, error) {
	c, err := s.State.Scope(tenant).Cases().Get(ctx, id)
	if err != nil {
		return c, incident.Playbook{}, err
	}
	if actor.Role == "csirt" && !c.CSIRT {
		return c, incident.Playbook{}, store.ErrNotFound
	}
	p, err := s.playbook(c.Playbook)
	return c, p, err
}

func (s *Service) audit(ctx context.Context, tenant string, actor Actor, action, caseID string, details map[string]any) error {
	_, err := s.State.Scope(tenant).Audit().Append(ctx, store.AuditRecord{Actor: actor.Name, Role: actor.Role,
		Remote: actor.Remote, Action: action, Object: "case/" + caseID, Details: details})
	return err
}

func (s *Service) timeline(ctx context.Context, tenant, caseID, kind, actor, text string, data map[string]any) error {
	return s.State.Scope(tenant).Cases().AddTimeline(ctx, store.TimelineEntry{CaseID: caseID, At: s.now(),
		Kind: kind, Actor: actor, Text: text, Data: data})
}

// save writes a changed case and evaluates its escalation criterion.
func (s *Service) save(ctx context.Context, tenant string, c *incident.Case, p incident.Playbook) error {
	esc := c.Evaluate(p, s.settings(tenant), s.now())
	if err := s.State.Scope(tenant).Cases().Update(ctx, *c); err != nil {
		return err
	}
	if esc != nil {
		s.escalated(ctx, tenant, *c, *esc)
	}
	return nil
}

func (s *Service) escalated(ctx context.Context, tenant string, c incident.Case, e incident.Escalation) {
	text := fmt.Sprintf("Escalated to %s in stage %s (%s)", e.To, e.Stage, strings.ReplaceAll(e.Criterion, "_", " "))
	s.timeline(ctx, tenant, c.ID, "escalation", "system", text, map[string]any{"to": e.To, "criterion": e.Criterion})
	s.audit(ctx, tenant, Actor{Name: "system", Role: "playbook"}, "case.escalate", c.ID, map[string]any{"to": e.To, "stage": e.Stage})
	if s.Notify != nil {
		s.Notify(ctx, tenant, e.To, fmt.Sprintf("[Yagura] Case escalated: %s", c.Title), text)
	}
}

// OpenRequest opens a case.
type OpenRequest struct {
	Title    string   `json:"title"`
	AlertIDs []string `json:"alert_ids"`
	Playbook string   `json:"playbook"`
	Severity string   `json:"severity"`
}

// Open creates a case, links its alerts, takes their entities, severity
// and first malicious event time, and attaches their content as the
// Detect stage's "alert content" evidence.
func (s *Service) Open(ctx context.Context, tenant string, actor Actor, req OpenRequest) (incident.Case, error) {
	if strings.TrimSpace(req.Title) == "" {
		return incident.Case{}, fmt.Errorf("%w: a case needs a title", ErrInvalid)
	}
	if req.Playbook == "" {
		req.Playbook = incident.DefaultPlaybook
	}
	p, err := s.playbook(req.Playbook)
	if err != nil {
		return incident.Case{}, err
	}
	if req.Severity != "" && !slices.Contains(alert.Severities, req.Severity) {
		return incident.Case{}, fmt.Errorf("%w: severity must be one of %v", ErrInvalid, alert.Severities)
	}
	alerts, err := s.alerts(ctx, tenant, req.AlertIDs)
	if err != nil {
		return incident.Case{}, err
	}
	severity := req.Severity
	if severity == "" {
		severity = "low"
		for _, a := range alerts {
			if incident.AtLeast(a.Severity, severity) {
				severity = a.Severity
			}
		}
	}
	c := incident.NewCase(p, ulid.Make().String(), tenant, req.Title, severity, s.now())
	link(&c, alerts)
	if err := s.State.Scope(tenant).Cases().Create(ctx, c); err != nil {
		return c, err
	}
	s.timeline(ctx, tenant, c.ID, "case", actor.Name, "Case opened with playbook "+p.Title, map[string]any{"playbook": p.Name})
	for _, a := range alerts {
		s.timeline(ctx, tenant, c.ID, "alert", "system", fmt.Sprintf("Alert linked: %s (%s, %d hits)", a.RuleTitle, a.Severity, a.Count),
			map[string]any{"alert_id": a.ID})
	}
	if len(alerts) > 0 {
		body, _ := json.MarshalIndent(alerts, "", "  ")
		if _, err := s.attach(ctx, tenant, actor, &c, p, "alerts.json", "application/json", "alert_content", body); err != nil {
			return c, err
		}
	}
	if err := s.audit(ctx, tenant, actor, "case.create", c.ID, map[string]any{"title": c.Title, "alerts": req.AlertIDs, "playbook": p.Name}); err != nil {
		return c, err
	}
	if err := s.stampAlerts(ctx, tenant, c.ID, req.AlertIDs); err != nil {
		return c, err
	}
	return c, s.save(ctx, tenant, &c, p)
}

// stampAlerts records on each alert the case it belongs to.
func (s *Service) stampAlerts(ctx context.Context, tenant, caseID string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	return s.State.Scope(tenant).Alerts().Tx(ctx, func(tx store.AlertTx) error {
		for _, id := range ids {
			if _, _, err := tx.Update(ctx, id, store.AlertChange{CaseID: &caseID}); err != nil {
				return fmt.Errorf("linking alert %s: %w", id, err)
			}
		}
		return nil
	})
}

func (s *Service) alerts(ctx context.Context, tenant string, ids []string) ([]store.Alert, error) {
	out := make([]store.Alert, 0, len(ids))
	for _, id := range ids {
		a, err := s.State.Scope(tenant).Alerts().Get(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("%w: no alert %s", ErrInvalid, id)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// link adds alerts to a case: ids, entities and the earliest event time.
func link(c *incident.Case, alerts []store.Alert) {
	for _, a := range alerts {
		if !slices.Contains(c.AlertIDs, a.ID) {
			c.AlertIDs = append(c.AlertIDs, a.ID)
		}
		for k, v := range a.Entities {
			if e := k + "=" + v; !slices.Contains(c.Entities, e) {
				c.Entities = append(c.Entities, e)
			}
		}
		if first := a.FirstSeen; c.FirstEventAt == nil || first.Before(*c.FirstEventAt) {
			c.FirstEventAt = &first
		}
	}
	slices.Sort(c.Entities)
}

// Patch changes a case's attributes; nil fields stay.
type Patch struct {
	Title    *string         `json:"title"`
	Severity *string         `json:"severity"`
	Assignee *string         `json:"assignee"`
	Facts    map[string]bool `json:"facts"`
}

// Update applies a patch. Severity is the lead's decision.
func (s *Service) Update(ctx context.Context, tenant string, actor Actor, id string, pt Patch) (incident.Case, error) {
	c, p, err := s.load(ctx, tenant, actor, id)
	if err != nil {
		return c, err
	}
	if c.Status == incident.StatusClosed {
		return c, fmt.Errorf("%w: the case is closed", ErrInvalid)
	}
	changes := map[string]any{}
	if pt.Title != nil && strings.TrimSpace(*pt.Title) != "" {
		changes["title"] = []string{c.Title, *pt.Title}
		c.Title = *pt.Title
	}
	if pt.Severity != nil {
		if !slices.Contains(alert.Severities, *pt.Severity) {
			return c, fmt.Errorf("%w: severity must be one of %v", ErrInvalid, alert.Severities)
		}
		if actor.Role != "lead" && actor.Role != "admin" && actor.Role != "csirt" {
			return c, fmt.Errorf("%w: the incident severity is decided by a lead", ErrForbidden)
		}
		changes["severity"] = []string{c.Severity, *pt.Severity}
		c.Severity = *pt.Severity
	}
	if pt.Assignee != nil {
		changes["assignee"] = []string{c.Assignee, *pt.Assignee}
		c.Assignee = *pt.Assignee
	}
	for k, v := range pt.Facts {
		if _, known := incident.Criteria[k]; !known || k == "always" || k == "severity_at_least_threshold" {
			return c, fmt.Errorf("%w: unknown fact %q", ErrInvalid, k)
		}
		changes["fact."+k] = v
		c.Facts[k] = v
	}
	c.UpdatedAt = s.now()
	if err := s.save(ctx, tenant, &c, p); err != nil {
		return c, err
	}
	s.timeline(ctx, tenant, c.ID, "case", actor.Name, "Case updated", changes)
	return c, s.audit(ctx, tenant, actor, "case.update", c.ID, changes)
}

// Advance completes the current stage.
func (s *Service) Advance(ctx context.Context, tenant string, actor Actor, id, override string) (incident.Case, error) {
	c, p, err := s.load(ctx, tenant, actor, id)
	if err != nil {
		return c, err
	}
	evidence, err := s.State.Scope(tenant).Cases().Evidence(ctx, id)
	if err != nil {
		return c, err
	}
	stage := p.Stages[c.Stage]
	attached := map[string]int{}
	for _, e := range evidence {
		if e.Stage == stage.Key && e.Requirement != "" {
			attached[e.Requirement]++
		}
	}
	if err := c.Advance(p, incident.Actor{Name: actor.Name, Role: actor.Role}, attached, override, s.now()); err != nil {
		return c, err
	}
	if err := s.save(ctx, tenant, &c, p); err != nil {
		return c, err
	}
	rec := c.Stages[slices.IndexFunc(c.Stages, func(r incident.StageRecord) bool { return r.Key == stage.Key })]
	text := "Stage completed: " + stage.Name
	if rec.Override != "" {
		text += " (override: " + rec.Override + ")"
	}
	if c.Status == incident.StatusClosed {
		text += "; case closed"
	}
	s.timeline(ctx, tenant, c.ID, "stage", actor.Name, text, map[string]any{"stage": stage.Key, "override": rec.Override})
	return c, s.audit(ctx, tenant, actor, "case.stage", c.ID, map[string]any{"completed": stage.Key, "override": rec.Override, "status": c.Status})
}

// Comment adds a manual timeline entry.
func (s *Service) Comment(ctx context.Context, tenant string, actor Actor, id, text string) error {
	if _, _, err := s.load(ctx, tenant, actor, id); err != nil {
		return err
	}
	if strings.TrimSpace(text) == "" {
		return fmt.Errorf("%w: empty comment", ErrInvalid)
	}
	if err := s.timeline(ctx, tenant, id, "comment", actor.Name, text, nil); err != nil {
		return err
	}
	return s.audit(ctx, tenant, actor, "case.comment", id, nil)
}

// LinkAlerts adds alerts to an open case.
func (s *Service) LinkAlerts(ctx context.Context, tenant string, actor Actor, id string, ids []string) (incident.Case, error) {
	c, p, err := s.load(ctx, tenant, actor, id)
	if err != nil {
		return c, err
	}
	alerts, err := s.alerts(ctx, tenant, ids)
	if err != nil {
		return c, err
	}
	link(&c, alerts)
	c.UpdatedAt = s.now()
	if err := s.save(ctx, tenant, &c, p); err != nil {
		return c, err
	}
	for _, a := range alerts {
		s.timeline(ctx, tenant, c.ID, "alert", actor.Name, "Alert linked: "+a.RuleTitle, map[string]any{"alert_id": a.ID})
	}
	if err := s.stampAlerts(ctx, tenant, c.ID, ids); err != nil {
		return c, err
	}
	return c, s.audit(ctx, tenant, actor, "case.link", c.ID, map[string]any{"alerts": ids})
}

// Merge folds case `from` into `into`: its alerts and entities move over
// and `from` is closed with a pointer to `into`.
func (s *Service) Merge(ctx context.Context, tenant string, actor Actor, into, from string) (incident.Case, error) {
	if into == from {
		return incident.Case{}, fmt.Errorf("%w: a case cannot be merged into itself", ErrInvalid)
	}
	dst, p, err := s.load(ctx, tenant, actor, into)
	if err != nil {
		return dst, err
	}
	src, _, err := s.load(ctx, tenant, actor, from)
	if err != nil {
		return dst, err
	}
	alerts, err := s.alerts(ctx, tenant, src.AlertIDs)
	if err != nil {
		return dst, err
	}
	link(&dst, alerts)
	dst.UpdatedAt = s.now()
	if err := s.save(ctx, tenant, &dst, p); err != nil {
		return dst, err
	}
	if err := s.stampAlerts(ctx, tenant, dst.ID, src.AlertIDs); err != nil {
		return dst, err
	}
	now := s.now()
	src.Status, src.ClosedAt, src.UpdatedAt = incident.StatusClosed, &now, now
	if err := s.State.Scope(tenant).Cases().Update(ctx, src); err != nil {
		return dst, err
	}
	s.timeline(ctx, tenant, dst.ID, "case", actor.Name, "Case "+src.ID+" merged into this case", map[string]any{"merged": src.ID})
	s.timeline(ctx, tenant, src.ID, "case", actor.Name, "Merged into case "+dst.ID+"; closed", map[string]any{"into": dst.ID})
	return dst, s.audit(ctx, tenant, actor, "case.merge", dst.ID, map[string]any{"merged": src.ID})
}

// Related lists open cases that share an entity with the case.
func (s *Service) Related(ctx context.Context, tenant string, actor Actor, id string) ([]incident.Case, error) {
	c, _, err := s.load(ctx, tenant, actor, id)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{c.ID: true}
	out := []incident.Case{}
	for _, e := range c.Entities {
		cs, _, err := s.State.Scope(tenant).Cases().List(ctx, store.CaseFilter{Stage: -1, Status: incident.StatusOpen, Entity: e, Limit: 20})
		if err != nil {
			return nil, err
		}
		for _, r := range cs {
			if !seen[r.ID] {
				seen[r.ID] = true
				out = append(out, r)
			}
		}
	}
	return out, nil
}
