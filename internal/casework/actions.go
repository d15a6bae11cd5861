package casework

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/yagura-soc/yagura/internal/incident"
	"github.com/yagura-soc/yagura/internal/respond"
	"github.com/yagura-soc/yagura/internal/store"
)

// Action statuses.
const (
	ActionPending  = "pending_approval"
	ActionRejected = "rejected"
	ActionDone     = "done"
	ActionDryRun   = "dry_run"
	ActionFailed   = "failed"
	ActionReverted = "reverted"
)

// approvers may approve actions and run them without approval.
var approvers = []string{"lead", "admin"}

// ActionRequest asks for a response action.
type ActionRequest struct {
	Type      string `json:"type"`
	Target    string `json:"target"`
	Connector string `json:"connector"`
	DryRun    bool   `json:"dry_run"`
	// ExpiresIn reverses the action automatically after this long ("24h").
	ExpiresIn string `json:"expires_in"`
}

// RequestAction records a response action. A responder's action waits for
// a lead's approval; a lead's or admin's runs at once. Dry runs go to the
// connector flagged as such and change nothing there.
func (s *Service) RequestAction(ctx context.Context, tenant string, actor Actor, id string, req ActionRequest) (store.Action, error) {
	c, _, err := s.load(ctx, tenant, actor, id)
	if err != nil {
		return store.Action{}, err
	}
	if c.Status == incident.StatusClosed {
		return store.Action{}, fmt.Errorf("%w: the case is closed", ErrInvalid)
	}
	if !slices.Contains([]string{respond.Block, respond.Isolate, respond.Disable}, req.Type) {
		return store.Action{}, fmt.Errorf("%w: action must be block, isolate or disable", ErrInvalid)
	}
	target, err := respond.Validate(req.Type, req.Target)
	if err != nil {
		return store.Action{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if _, err := s.connector(req.Connector); err != nil {
		return store.Action{}, err
	}
	now := s.now()
	a := store.Action{ID: ulid.Make().String(), CaseID: id, Type: req.Type, Target: target, Connector: req.Connector,
		DryRun: req.DryRun, Status: ActionPending, Requested: actor.Name, CreatedAt: now}
	if req.ExpiresIn != "" {
		d, err := time.ParseDuration(req.ExpiresIn)
		if err != nil || d <= 0 {
			return a, fmt.Errorf("%w: expires_in must be a duration such as 24h", ErrInvalid)
		}
		exp := now.Add(d)
		a.ExpiresAt = &exp
	}
	if err := s.State.Scope(tenant).Cases().SaveAction(ctx, a); err != nil {
		return a, err
	}
	s.timeline(ctx, tenant, id, "action", actor.Name, fmt.Sprintf("Action requested: %s %s", a.Type, a.Target), map[string]any{"action_id": a.ID, "dry_run": a.DryRun})
	s.audit(ctx, tenant, actor, "case.action.request", id, map[string]any{"action_id": a.ID, "type": a.Type, "target": a.Target, "dry_run": a.DryRun})
	if slices.Contains(approvers, actor.Role) || a.DryRun {
		return s.run(ctx, tenant, actor, &c, a)
	}
	return a, nil
}

func (s *Service) connector(name string) (respond.Connector, error) {
	if c, ok := s.Connectors[name]; ok {
		return c, nil
	}
	names := make([]string, 0, len(s.Connectors))
	for n := range s.Connectors {
		names = append(names, n)
	}
	slices.Sort(names)
	return nil, fmt.Errorf("%w: no response connector %q (configured: %v)", ErrInvalid, name, names)
}

// DecideAction approves (and runs) or rejects a pending action.
func (s *Service) DecideAction(ctx context.Context, tenant string, actor Actor, id, actionID string, approve bool) (store.Action, error) {
	if !slices.Contains(approvers, actor.Role) {
		return store.Action{}, fmt.Errorf("%w: only a lead or admin approves response actions", ErrForbidden)
	}
	c, a, err := s.action(ctx, tenant, actor, id, actionID)
	if err != nil {
		return a, err
	}
	if a.Status != ActionPending {
		return a, fmt.Errorf("%w: the action is %s, not waiting for approval", ErrInvalid, a.Status)
	}
	now := s.now()
	a.Approved, a.ApprovedAt = actor.Name, &now
	if !approve {
		a.Status = ActionRejected
		if err := s.State.Scope(tenant).Cases().SaveAction(ctx, a); err != nil {
			return a, err
		}
		s.timeline(ctx, tenant, id, "action", actor.Name, fmt.Sprintf("Action rejected: %s %s", a.Type, a.Target), map[string]any{"action_id": a.ID})
		return a, s.audit(ctx, tenant, actor, "case.action.reject", id, map[string]any{"action_id": a.ID})
	}
	s.audit(ctx, tenant, actor, "case.action.approve", id, map[string]any{"action_id": a.ID})
	return s.run(ctx, tenant, actor, &c, a)
}

// RevertAction undoes a done action (unblock, release, enable).
func (s *Service) RevertAction(ctx context.Context, tenant string, actor Actor, id, actionID string) (store.Action, error) {
	c, a, err := s.action(ctx, tenant, actor, id, actionID)
	if err != nil {
		return a, err
	}
	return s.revert(ctx, tenant, actor, &c, a)
}

func (s *Service) revert(ctx context.Context, tenant string, actor Actor, c *incident.Case, a store.Action) (store.Action, error) {
	if a.Status != ActionDone {
		return a, fmt.Errorf("%w: only a done action can be reverted (this one is %s)", ErrInvalid, a.Status)
	}
	rev, _ := respond.Reverse(a.Type)
	conn, err := s.connector(a.Connector)
	if err != nil {
		return a, err
	}
	res, err := conn.Execute(ctx, respond.Request{ID: a.ID + "-revert", Tenant: tenant, CaseID: a.CaseID, Type: rev,
		Target: a.Target, RequestedBy: actor.Name})
	if err != nil {
		s.timeline(ctx, tenant, a.CaseID, "action", actor.Name, fmt.Sprintf("Reversal failed: %s %s: %v", rev, a.Target, err), map[string]any{"action_id": a.ID})
		return a, fmt.Errorf("reverting: %w", err)
	}
	now := s.now()
	a.Status, a.RevertedAt, a.Result = ActionReverted, &now, a.Result+"; reverted: "+res.Message
	if err := s.State.Scope(tenant).Cases().SaveAction(ctx, a); err != nil {
		return a, err
	}
	s.record(ctx, tenant, actor, c, a, rev)
	return a, nil
}

func (s *Service) action(ctx context.Context, tenant string, actor Actor, id, actionID string) (incident.Case, store.Action, error) {
	c, _, err := s.load(ctx, tenant, actor, id)
	if err != nil {
		return c, store.Action{}, err
	}
	all, err := s.State.Scope(tenant).Cases().Actions(ctx, id)
	if err != nil {
		return c, store.Action{}, err
	}
	i := slices.IndexFunc(all, func(a store.Action) bool { return a.ID == actionID })
	if i < 0 {
		return c, store.Action{}, store.ErrNotFound
	}
	return c, all[i], nil
}

// run carries an action out through its connector and records the result
// as evidence of the Respond stage.
func (s *Service) run(ctx context.Context, tenant string, actor Actor, c *incident.Case, a store.Action) (store.Action, error) {
	conn, err := s.connector(a.Connector)
	if err != nil {
		return a, err
	}
	res, err := conn.Execute(ctx, respond.Request{ID: a.ID, Tenant: tenant, CaseID: a.CaseID, Type: a.Type, Target: a.Target,
		DryRun: a.DryRun, ExpiresAt: a.ExpiresAt, RequestedBy: a.Requested})
	now := s.now()
	a.DoneAt = &now
	switch {
	case err != nil:
		a.Status, a.Result = ActionFailed, err.Error()
	case a.DryRun:
		a.Status, a.Result = ActionDryRun, res.Message
	default:
		a.Status, a.Result = ActionDone, res.Message
	}
	if serr := s.State.Scope(tenant).Cases().SaveAction(ctx, a); serr != nil {
		return a, serr
	}
	s.record(ctx, tenant, actor, c, a, a.Type)
	if err != nil {
		return a, fmt.Errorf("the connector failed: %w", err)
	}
	return a, nil
}

// record writes an action's request, approval, result and times to the
// timeline, the audit trail and, as "actions taken", the evidence of the
// Respond stage (or of the current stage once Respond is completed).
func (s *Service) record(ctx context.Context, tenant string, actor Actor, c *incident.Case, a store.Action, verb string) {
	body, _ := json.MarshalIndent(struct {
		store.Action
		Verb string `json:"executed"`
	}{a, verb}, "", "  ")
	stage, requirement := "respond", "actions_taken"
	if c.StageCompleted("respond") != nil {
		p, _ := s.playbook(c.Playbook)
		stage, requirement = p.Stages[c.Stage].Key, ""
	}
	s.timeline(ctx, tenant, a.CaseID, "action", actor.Name, fmt.Sprintf("Action %s: %s %s — %s", a.Status, verb, a.Target, a.Result),
		map[string]any{"action_id": a.ID})
	s.audit(ctx, tenant, actor, "case.action."+a.Status, a.CaseID, map[string]any{"action_id": a.ID, "type": verb, "target": a.Target, "result": a.Result})
	if _, err := s.attachTo(ctx, tenant, actor, c, stage, fmt.Sprintf("action-%s-%s.json", verb, a.ID), "application/json", requirement, body); err != nil && !errors.Is(err, context.Canceled) {
		s.timeline(ctx, tenant, a.CaseID, "action", "system", "Recording the action as evidence failed: "+err.Error(), nil)
	}
}

// Tick does the case desk's time-driven work as of now: it reverts
// expired actions, evaluates escalation criteria, and warns about SLA
// timers that crossed into warning or breach since the last tick.
func (s *Service) Tick(ctx context.Context, tenant string) error {
	cs := s.State.Scope(tenant).Cases()
	open, _, err := cs.List(ctx, store.CaseFilter{Stage: -1, Status: incident.StatusOpen, Limit: 10000})
	if err != nil {
		return err
	}
	system := Actor{Name: "system", Role: "playbook"}
	if err := s.autoOpen(ctx, tenant, system); err != nil {
		return err
	}
	now := s.now()
	for _, c := range open {
		p, err := s.playbook(c.Playbook)
		if err != nil {
			continue
		}
		actions, err := cs.Actions(ctx, c.ID)
		if err != nil {
			return err
		}
		for _, a := range actions {
			if a.Status == ActionDone && a.ExpiresAt != nil && !now.Before(*a.ExpiresAt) {
				s.revert(ctx, tenant, system, &c, a)
			}
		}
		if esc := c.Evaluate(p, s.settings(tenant), now); esc != nil {
			if err := cs.Update(ctx, c); err != nil {
				return err
			}
			s.escalated(ctx, tenant, c, *esc)
		}
		if err := s.slaNotices(ctx, tenant, c); err != nil {
			return err
		}
	}
	return nil
}

// slaNotices adds one timeline entry per timer and state (warning,
// breached), so each crossing is announced once.
func (s *Service) slaNotices(ctx context.Context, tenant string, c incident.Case) error {
	tl, err := s.State.Scope(tenant).Cases().Timeline(ctx, c.ID)
	if err != nil {
		return err
	}
	announced := map[string]bool{}
	for _, e := range tl {
		if e.Kind == "sla" {
			announced[fmt.Sprint(e.Data["timer"], "/", e.Data["state"])] = true
		}
	}
	for _, t := range c.Timers(s.settings(tenant).SLA, s.now()) {
		if t.State != incident.TimerWarning && t.State != incident.TimerBreached {
			continue
		}
		if announced[t.Name+"/"+t.State] {
			continue
		}
		text := fmt.Sprintf("SLA %s %s: deadline %s", t.Name, t.State, t.Deadline.Format(time.RFC3339))
		s.timeline(ctx, tenant, c.ID, "sla", "system", text, map[string]any{"timer": t.Name, "state": t.State})
		if s.Notify != nil {
			s.Notify(ctx, tenant, "lead", "[Yagura] "+text+": "+c.Title, text)
		}
	}
	return nil
}
