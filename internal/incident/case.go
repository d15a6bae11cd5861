package incident

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Case statuses.
const (
	StatusOpen   = "open"
	StatusClosed = "closed"
)

// Case is an incident under response.
type Case struct {
	ID          string          `json:"id"`
	Tenant      string          `json:"tenant"`
	Title       string          `json:"title"`
	Playbook    string          `json:"playbook"`
	Severity    string          `json:"severity"` // informational … critical
	Status      string          `json:"status"`
	Stage       int             `json:"stage"` // index into the playbook's stages
	Assignee    string          `json:"assignee,omitempty"`
	AlertIDs    []string        `json:"alert_ids"`
	Facts       map[string]bool `json:"facts"`    // answers to escalation criteria set by people
	Entities    []string        `json:"entities"` // "host.name=ws-01", … from the linked alerts
	Stages      []StageRecord   `json:"stages"`   // one per playbook stage
	Escalations []Escalation    `json:"escalations"`
	CSIRT       bool            `json:"csirt"` // handed over: the csirt role has access
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
	ClosedAt    *time.Time      `json:"closed_at,omitempty"`
	// FirstEventAt is the @timestamp of the earliest malicious event, for MTTD.
	FirstEventAt *time.Time `json:"first_event_at,omitempty"`
}

// StageRecord is what happened in one stage.
type StageRecord struct {
	Key         string     `json:"key"`
	EnteredAt   *time.Time `json:"entered_at,omitempty"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
	CompletedBy string     `json:"completed_by,omitempty"`
	// Override is the reason a lead or admin gave to complete a stage they
	// do not own or whose evidence is missing.
	Override string `json:"override,omitempty"`
}

// Escalation is one escalation raised by a criterion.
type Escalation struct {
	Stage     string    `json:"stage"`
	Criterion string    `json:"criterion"`
	To        string    `json:"to"` // role
	At        time.Time `json:"at"`
}

// Actor is who acts on a case.
type Actor struct {
	Name string
	Role string
}

// NewCase opens a case in the playbook's first stage.
func NewCase(p Playbook, id, tenant, title, severity string, now time.Time) Case {
	c := Case{ID: id, Tenant: tenant, Title: title, Playbook: p.Name, Severity: severity, Status: StatusOpen,
		AlertIDs: []string{}, Facts: map[string]bool{}, Entities: []string{}, Escalations: []Escalation{},
		CreatedAt: now, UpdatedAt: now}
	for _, s := range p.Stages {
		c.Stages = append(c.Stages, StageRecord{Key: s.Key})
	}
	c.Stages[0].EnteredAt = &now
	return c
}

// Guard errors: the API maps them to 409 (evidence) and 403 (role).
var (
	ErrEvidenceMissing = errors.New("required evidence is missing")
	ErrNotOwner        = errors.New("the acting role does not own this stage")
	ErrClosed          = errors.New("the case is closed")
)

// overrideRoles may complete any stage, with a recorded reason.
var overrideRoles = []string{"lead", "admin"}

// Missing lists the evidence keys of the current stage with nothing attached.
func (c Case) Missing(p Playbook, attached map[string]int) []EvidenceRequirement {
	var out []EvidenceRequirement
	for _, req := range p.Stages[c.Stage].Evidence {
		if attached[req.Key] == 0 {
			out = append(out, req)
		}
	}
	return out
}

// Advance completes the current stage and enters the next one; completing
// the last stage closes the case. attached counts the evidence items per
// requirement key in the current stage. The actor must hold an owner role
// of the stage; a lead or admin may act for the owner, and may skip
// missing evidence, only with an override reason, which is recorded.
func (c *Case) Advance(p Playbook, actor Actor, attached map[string]int, override string, now time.Time) error {
	if c.Status == StatusClosed {
		return ErrClosed
	}
	stage := p.Stages[c.Stage]
	owner := slices.Contains(stage.Owner, actor.Role)
	canOverride := slices.Contains(overrideRoles, actor.Role) && override != ""
	if !owner && !canOverride {
		return fmt.Errorf("%w: stage %q is owned by %v; a lead or admin may complete it with an override reason", ErrNotOwner, stage.Key, stage.Owner)
	}
	if missing := c.Missing(p, attached); len(missing) > 0 && !canOverride {
		names := make([]string, len(missing))
		for i, m := range missing {
			names[i] = m.Name
		}
		return fmt.Errorf("%w to leave %q: %v", ErrEvidenceMissing, stage.Key, names)
	}
	rec := &c.Stages[c.Stage]
	rec.CompletedAt, rec.CompletedBy = &now, actor.Name
	if !owner || len(c.Missing(p, attached)) > 0 {
		rec.Override = override
	}
	c.UpdatedAt = now
	if c.Stage == len(p.Stages)-1 {
		c.Status, c.ClosedAt = StatusClosed, &now
		return nil
	}
	c.Stage++
	c.Stages[c.Stage].EnteredAt = &now
	return nil
}

// StageCompleted reports when the stage with key was completed, if it was.
func (c Case) StageCompleted(key string) *time.Time {
	for _, s := range c.Stages {
		if s.Key == key {
			return s.CompletedAt
		}
	}
	return nil
}
