package casework

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	"github.com/oklog/ulid/v2"

	"github.com/yagura-soc/yagura/internal/incident"
	"github.com/yagura-soc/yagura/internal/store"
)

// MaxEvidenceBytes bounds one evidence upload.
const MaxEvidenceBytes = 256 << 20

// AddEvidence stores a file as evidence of the case's current stage. A
// requirement key, when given, must be one the current stage asks for.
// Evidence of a completed stage is immutable: nothing can be added to it
// or removed from it afterwards.
func (s *Service) AddEvidence(ctx context.Context, tenant string, actor Actor, id, name, contentType, requirement string, r io.Reader) (store.Evidence, error) {
	c, p, err := s.load(ctx, tenant, actor, id)
	if err != nil {
		return store.Evidence{}, err
	}
	if c.Status == incident.StatusClosed {
		return store.Evidence{}, fmt.Errorf("%w: the case is closed; its evidence is final", ErrInvalid)
	}
	stage := p.Stages[c.Stage]
	if requirement != "" && !slices.ContainsFunc(stage.Evidence, func(e incident.EvidenceRequirement) bool { return e.Key == requirement }) {
		keys := make([]string, len(stage.Evidence))
		for i, e := range stage.Evidence {
			keys[i] = e.Key
		}
		return store.Evidence{}, fmt.Errorf("%w: stage %q asks for %v, not %q", ErrInvalid, stage.Key, keys, requirement)
	}
	body, err := io.ReadAll(io.LimitReader(r, MaxEvidenceBytes+1))
	if err != nil {
		return store.Evidence{}, err
	}
	if len(body) > MaxEvidenceBytes {
		return store.Evidence{}, fmt.Errorf("%w: evidence over %d bytes", ErrInvalid, MaxEvidenceBytes)
	}
	return s.attach(ctx, tenant, actor, &c, p, name, contentType, requirement, body)
}

// attach stores body as evidence of the current stage, with custody and
// timeline entries.
func (s *Service) attach(ctx context.Context, tenant string, actor Actor, c *incident.Case, p incident.Playbook, name, contentType, requirement string, body []byte) (store.Evidence, error) {
	return s.attachTo(ctx, tenant, actor, c, p.Stages[c.Stage].Key, name, contentType, requirement, body)
}

func (s *Service) attachTo(ctx context.Context, tenant string, actor Actor, c *incident.Case, stage, name, contentType, requirement string, body []byte) (store.Evidence, error) {
	name = safeName(name)
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	sum, size, err := s.Blobs.Put(ctx, tenant, bytes.NewReader(body))
	if err != nil {
		return store.Evidence{}, err
	}
	ev := store.Evidence{ID: ulid.Make().String(), CaseID: c.ID, Stage: stage, Requirement: requirement, Name: name,
		ContentType: contentType, SHA256: sum, Size: size, AddedBy: actor.Name, AddedAt: s.now()}
	cs := s.State.Scope(tenant).Cases()
	if err := cs.AddEvidence(ctx, ev); err != nil {
		return ev, err
	}
	if err := cs.AddCustody(ctx, store.Custody{EvidenceID: ev.ID, Action: "added", Actor: actor.Name, Remote: actor.Remote, At: ev.AddedAt}); err != nil {
		return ev, err
	}
	s.timeline(ctx, tenant, c.ID, "evidence", actor.Name, fmt.Sprintf("Evidence added to %s: %s (SHA-256 %s…)", stage, name, sum[:12]),
		map[string]any{"evidence_id": ev.ID, "sha256": sum, "requirement": requirement})
	return ev, s.audit(ctx, tenant, actor, "case.evidence", c.ID, map[string]any{"evidence_id": ev.ID, "name": name, "sha256": sum, "stage": stage})
}

// safeName keeps a file name usable in a ZIP and a download header.
func safeName(name string) string {
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == '"' || r == '/' {
			return '_'
		}
		return r
	}, name)
	if name == "." || name == "" {
		name = "evidence"
	}
	if len(name) > 120 {
		name = name[:120]
	}
	return name
}

// ReadEvidence opens an evidence file and records that actor viewed it.
func (s *Service) ReadEvidence(ctx context.Context, tenant string, actor Actor, id, evidenceID string) (store.Evidence, io.ReadCloser, error) {
	if _, _, err := s.load(ctx, tenant, actor, id); err != nil {
		return store.Evidence{}, nil, err
	}
	all, err := s.State.Scope(tenant).Cases().Evidence(ctx, id)
	if err != nil {
		return store.Evidence{}, nil, err
	}
	i := slices.IndexFunc(all, func(e store.Evidence) bool { return e.ID == evidenceID })
	if i < 0 {
		return store.Evidence{}, nil, store.ErrNotFound
	}
	rc, err := s.Blobs.Open(ctx, tenant, all[i].SHA256)
	if err != nil {
		return all[i], nil, err
	}
	err = s.State.Scope(tenant).Cases().AddCustody(ctx, store.Custody{EvidenceID: evidenceID, Action: "viewed",
		Actor: actor.Name, Remote: actor.Remote, At: s.now()})
	if err != nil {
		rc.Close()
		return all[i], nil, err
	}
	return all[i], rc, nil
}

// AddTask adds a task to the current stage.
func (s *Service) AddTask(ctx context.Context, tenant string, actor Actor, id, title, assignee string) (store.Task, error) {
	c, p, err := s.load(ctx, tenant, actor, id)
	if err != nil {
		return store.Task{}, err
	}
	if strings.TrimSpace(title) == "" {
		return store.Task{}, fmt.Errorf("%w: a task needs a title", ErrInvalid)
	}
	t := store.Task{ID: ulid.Make().String(), CaseID: id, Stage: p.Stages[c.Stage].Key, Title: title, Assignee: assignee, CreatedAt: s.now()}
	if err := s.State.Scope(tenant).Cases().SaveTask(ctx, t); err != nil {
		return t, err
	}
	s.timeline(ctx, tenant, id, "task", actor.Name, "Task added: "+title, map[string]any{"task_id": t.ID})
	return t, s.audit(ctx, tenant, actor, "case.task", id, map[string]any{"task_id": t.ID, "title": title})
}

// SetTaskDone marks a task done or not done.
func (s *Service) SetTaskDone(ctx context.Context, tenant string, actor Actor, id, taskID string, done bool) (store.Task, error) {
	if _, _, err := s.load(ctx, tenant, actor, id); err != nil {
		return store.Task{}, err
	}
	tasks, err := s.State.Scope(tenant).Cases().Tasks(ctx, id)
	if err != nil {
		return store.Task{}, err
	}
	i := slices.IndexFunc(tasks, func(t store.Task) bool { return t.ID == taskID })
	if i < 0 {
		return store.Task{}, store.ErrNotFound
	}
	t := tasks[i]
	t.Done, t.DoneAt = done, nil
	if done {
		now := s.now()
		t.DoneAt = &now
	}
	if err := s.State.Scope(tenant).Cases().SaveTask(ctx, t); err != nil {
		return t, err
	}
	verb := "reopened"
	if done {
		verb = "done"
	}
	s.timeline(ctx, tenant, id, "task", actor.Name, "Task "+verb+": "+t.Title, map[string]any{"task_id": t.ID})
	return t, s.audit(ctx, tenant, actor, "case.task", id, map[string]any{"task_id": t.ID, "done": done})
}

// View is a case with everything a person needs to work on it.
type View struct {
	incident.Case
	PlaybookTitle string                         `json:"playbook_title"`
	CurrentStage  incident.Stage                 `json:"current_stage"`
	StageDefs     []incident.Stage               `json:"stage_definitions"`
	Missing       []incident.EvidenceRequirement `json:"missing_evidence"`
	SLA           []incident.Timer               `json:"sla"`
	Timeline      []store.TimelineEntry          `json:"timeline"`
	Evidence      []store.Evidence               `json:"evidence"`
	Custody       []store.Custody                `json:"custody"`
	Tasks         []store.Task                   `json:"tasks"`
	Actions       []store.Action                 `json:"actions"`
}

// Get returns the case view.
func (s *Service) Get(ctx context.Context, tenant string, actor Actor, id string) (View, error) {
	c, p, err := s.load(ctx, tenant, actor, id)
	if err != nil {
		return View{}, err
	}
	cs := s.State.Scope(tenant).Cases()
	v := View{Case: c, PlaybookTitle: p.Title, CurrentStage: p.Stages[c.Stage], StageDefs: p.Stages,
		SLA: c.Timers(s.settings(tenant).SLA, s.now()), Missing: []incident.EvidenceRequirement{}}
	if v.Timeline, err = cs.Timeline(ctx, id); err != nil {
		return v, err
	}
	if v.Evidence, err = cs.Evidence(ctx, id); err != nil {
		return v, err
	}
	if v.Custody, err = cs.Custody(ctx, id); err != nil {
		return v, err
	}
	if v.Tasks, err = cs.Tasks(ctx, id); err != nil {
		return v, err
	}
	if v.Actions, err = cs.Actions(ctx, id); err != nil {
		return v, err
	}
	if c.Status == incident.StatusOpen {
		attached := map[string]int{}
		for _, e := range v.Evidence {
			if e.Stage == v.CurrentStage.Key && e.Requirement != "" {
				attached[e.Requirement]++
			}
		}
		if m := c.Missing(p, attached); m != nil {
			v.Missing = m
		}
	}
	return v, nil
}
