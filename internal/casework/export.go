package casework

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/yagura-soc/yagura/internal/bundle"
	"github.com/yagura-soc/yagura/internal/store"
)

// Bundle writes the case's evidence bundle to w: the case, its alerts and
// their events, the timeline, custody, the case's audit trail and every
// evidence file, with a manifest of SHA-256s. The export is recorded in
// each file's chain of custody and, with the manifest's hash, in the
// audit trail. It returns the manifest's SHA-256.
func (s *Service) Bundle(ctx context.Context, tenant string, actor Actor, id string, w io.Writer) (string, error) {
	v, err := s.Get(ctx, tenant, actor, id)
	if err != nil {
		return "", err
	}
	b := bundle.NewWriter(w)
	if err := b.AddJSON("case.json", v); err != nil {
		return "", err
	}
	alerts, err := s.alerts(ctx, tenant, v.AlertIDs)
	if err != nil {
		return "", err
	}
	if err := b.AddJSON("alerts.json", alerts); err != nil {
		return "", err
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(s.writeEvents(ctx, tenant, alerts, pw)) }()
	if err := b.Add("events.jsonl", pr); err != nil {
		return "", err
	}
	trail, _, err := s.State.Scope(tenant).Audit().List(ctx, store.AuditFilter{Object: "case/" + id, Limit: 100000})
	if err != nil {
		return "", err
	}
	pr, pw = io.Pipe()
	go func() {
		enc := json.NewEncoder(pw)
		for _, r := range trail {
			if err := enc.Encode(r); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		pw.Close()
	}()
	if err := b.Add("audit.jsonl", pr); err != nil {
		return "", err
	}
	for _, e := range v.Evidence {
		rc, err := s.Blobs.Open(ctx, tenant, e.SHA256)
		if err != nil {
			return "", fmt.Errorf("evidence %s: %w", e.Name, err)
		}
		err = b.Add(fmt.Sprintf("evidence/%s-%s", e.SHA256[:16], e.Name), rc)
		rc.Close()
		if err != nil {
			return "", err
		}
	}
	sum, err := b.Close(bundle.Manifest{Tenant: tenant, CaseID: id, CreatedAt: s.now(), CreatedBy: actor.Name})
	if err != nil {
		return "", err
	}
	for _, e := range v.Evidence {
		s.State.Scope(tenant).Cases().AddCustody(ctx, store.Custody{EvidenceID: e.ID, Action: "exported", Actor: actor.Name, Remote: actor.Remote, At: s.now()})
	}
	s.timeline(ctx, tenant, id, "export", actor.Name, "Evidence bundle exported (manifest SHA-256 "+sum+")", map[string]any{"manifest_sha256": sum})
	return sum, s.audit(ctx, tenant, actor, "case.bundle", id, map[string]any{"manifest_sha256": sum, "files": len(v.Evidence)})
}

// writeEvents writes the events the case's alerts reference, as JSON lines.
func (s *Service) writeEvents(ctx context.Context, tenant string, alerts []store.Alert, w io.Writer) error {
	enc := json.NewEncoder(w)
	seen := map[string]bool{}
	for _, a := range alerts {
		for _, eid := range a.EventIDs {
			if seen[eid] {
				continue
			}
			seen[eid] = true
			page, err := s.Events.Search(ctx, store.EventQuery{Tenant: tenant, Terms: []store.Term{{Field: "event.id", Value: eid}}, Limit: 1})
			if err != nil {
				return err
			}
			for _, ev := range page.Items {
				if err := enc.Encode(map[string]any{"id": ev.ID, "@timestamp": ev.Timestamp, "source": ev.Source,
					"ecs": ev.ECS, "fields": ev.Fields, "event.original": ev.Raw}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
