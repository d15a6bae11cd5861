package casework

import (
	"context"
	"fmt"

	"github.com/yagura-soc/yagura/internal/incident"
	"github.com/yagura-soc/yagura/internal/store"
)

// AutoOpenPolicy says which new alerts open a case without a person.
type AutoOpenPolicy struct {
	// Severity: new alerts at or above it open a case ("" opens none).
	Severity string
	// Risk: entity-risk alerts (many smaller alerts on one entity) open a
	// case whatever their severity.
	Risk bool
}

// autoOpen opens a case for each new alert the policy names that is in no
// case yet. The alert is stamped with its case, so a later tick does not
// open a second one.
func (s *Service) autoOpen(ctx context.Context, tenant string, actor Actor) error {
	pol := s.AutoOpen
	if pol.Severity == "" && !pol.Risk {
		return nil
	}
	candidates, _, err := s.State.Scope(tenant).Alerts().List(ctx, store.AlertFilter{Status: store.StatusNew, Limit: 500})
	if err != nil {
		return err
	}
	for _, a := range candidates {
		if a.CaseID != "" {
			continue
		}
		bySeverity := pol.Severity != "" && incident.AtLeast(a.Severity, pol.Severity)
		byRisk := pol.Risk && a.Kind == store.KindRisk
		if !bySeverity && !byRisk {
			continue
		}
		c, err := s.Open(ctx, tenant, actor, OpenRequest{Title: a.RuleTitle, AlertIDs: []string{a.ID}})
		if err != nil {
			return fmt.Errorf("auto-opening a case for alert %s: %w", a.ID, err)
		}
		s.timeline(ctx, tenant, c.ID, "case", actor.Name, "Opened automatically: "+reason(bySeverity, a.Severity), map[string]any{"alert_id": a.ID})
	}
	return nil
}

func reason(bySeverity bool, severity string) string {
	if bySeverity {
		return "a " + severity + " alert"
	}
	return "an entity crossed its risk threshold"
}
