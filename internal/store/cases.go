package store

import (
	"context"
	"time"

	"github.com/yagura-soc/yagura/internal/incident"
)

// CaseFilter selects cases; zero fields do not filter.
type CaseFilter struct {
	Status   string
	Stage    int // -1: any
	Severity string
	Assignee string
	Playbook string
	Text     string // in the title
	CSIRT    bool   // only cases handed to the CSIRT
	Entity   string // "host.name=ws-01"
	// UpdatedBefore selects cases last changed before it (retention).
	UpdatedBefore time.Time
	Limit         int
	Offset        int
}

// TimelineEntry is one line of a case's history.
type TimelineEntry struct {
	ID     int64          `json:"id"`
	CaseID string         `json:"case_id"`
	At     time.Time      `json:"at"`
	Kind   string         `json:"kind"` // alert, stage, escalation, evidence, action, comment, note, task, sla
	Actor  string         `json:"actor"`
	Text   string         `json:"text"`
	Data   map[string]any `json:"data,omitempty"`
}

// Evidence is a file attached to a case, stored by its SHA-256.
type Evidence struct {
	ID          string    `json:"id"`
	CaseID      string    `json:"case_id"`
	Stage       string    `json:"stage"`                 // stage key it was attached in
	Requirement string    `json:"requirement,omitempty"` // evidence key it satisfies
	Name        string    `json:"name"`
	ContentType string    `json:"content_type"`
	SHA256      string    `json:"sha256"`
	Size        int64     `json:"size"`
	AddedBy     string    `json:"added_by"`
	AddedAt     time.Time `json:"added_at"`
}

// Custody is one event in an evidence item's chain of custody.
type Custody struct {
	EvidenceID string    `json:"evidence_id"`
	Action     string    `json:"action"` // added, viewed, exported
	Actor      string    `json:"actor"`
	Remote     string    `json:"remote"`
	At         time.Time `json:"at"`
}

// Task is a to-do of a case.
type Task struct {
	ID        string     `json:"id"`
	CaseID    string     `json:"case_id"`
	Stage     string     `json:"stage"`
	Title     string     `json:"title"`
	Assignee  string     `json:"assignee,omitempty"`
	Done      bool       `json:"done"`
	CreatedAt time.Time  `json:"created_at"`
	DoneAt    *time.Time `json:"done_at,omitempty"`
}

// Action is a response action run from a case.
type Action struct {
	ID         string     `json:"id"`
	CaseID     string     `json:"case_id"`
	Type       string     `json:"type"` // block, isolate, disable
	Target     string     `json:"target"`
	Connector  string     `json:"connector"`
	DryRun     bool       `json:"dry_run"`
	Status     string     `json:"status"` // pending_approval, approved, done, failed, reverted, rejected
	Result     string     `json:"result,omitempty"`
	Requested  string     `json:"requested_by"`
	Approved   string     `json:"approved_by,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	ApprovedAt *time.Time `json:"approved_at,omitempty"`
	DoneAt     *time.Time `json:"done_at,omitempty"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	RevertedAt *time.Time `json:"reverted_at,omitempty"`
}

// Cases stores one tenant's cases and everything attached to them.
type Cases interface {
	Create(ctx context.Context, c incident.Case) error
	Get(ctx context.Context, id string) (incident.Case, error)
	// Delete removes a case with its timeline, tasks, actions, evidence
	// records and custody (retention). It returns the SHA-256 of evidence
	// files no other case of the tenant still refers to, for the caller to
	// delete from the blob store.
	Delete(ctx context.Context, id string) (unreferenced []string, err error)
	Update(ctx context.Context, c incident.Case) error
	List(ctx context.Context, f CaseFilter) ([]incident.Case, int, error)

	AddTimeline(ctx context.Context, e TimelineEntry) error
	Timeline(ctx context.Context, caseID string) ([]TimelineEntry, error)

	AddEvidence(ctx context.Context, e Evidence) error
	Evidence(ctx context.Context, caseID string) ([]Evidence, error)
	AddCustody(ctx context.Context, c Custody) error
	Custody(ctx context.Context, caseID string) ([]Custody, error)

	SaveTask(ctx context.Context, t Task) error
	Tasks(ctx context.Context, caseID string) ([]Task, error)

	SaveAction(ctx context.Context, a Action) error
	Actions(ctx context.Context, caseID string) ([]Action, error)
}
