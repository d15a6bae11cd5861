package service

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/yagura-soc/yagura/internal/alert"
	"github.com/yagura-soc/yagura/internal/detect"
	"github.com/yagura-soc/yagura/internal/intel"
	"github.com/yagura-soc/yagura/internal/intel/match"
	"github.com/yagura-soc/yagura/internal/store"
)

// RetroTag marks alerts raised by a retro-hunt: the events are old, the
// indicator is new.
const RetroTag = "intel.retrospective"

// maxRetroCandidates bounds the events read per indicator.
const maxRetroCandidates = 1000

// startRetroHunt searches the new indicators' history in the background
// and says what it does.
func (s *Service) startRetroHunt(tenant string, created []intel.IOC) string {
	switch {
	case len(created) == 0:
		return ""
	case s.events == nil || s.cfg.RetroHuntWindow < 0:
		return "off"
	case len(created) > s.cfg.RetroHuntMax:
		s.cfg.Log.Info("retro-hunt skipped for a bulk load", "tenant", tenant, "max", s.cfg.RetroHuntMax)
		return fmt.Sprintf("skipped: more new indicators than the per-import limit of %d", s.cfg.RetroHuntMax)
	}
	s.hunts.Add(1)
	go func() {
		defer s.hunts.Done()
		n, err := s.RetroHunt(context.Background(), tenant, created)
		if err != nil {
			s.cfg.Log.Warn("retro-hunt failed", "tenant", tenant, "err", err)
			return
		}
		s.cfg.Log.Info("retro-hunt done", "tenant", tenant, "indicators", len(created), "alerts", n)
	}()
	return fmt.Sprintf("started: %d new indicators, last %s", len(created), s.cfg.RetroHuntWindow)
}

// RetroHunt searches the tenant's events of the retro-hunt window for the
// given indicators and raises alerts tagged RetroTag for the hits. The
// event store is asked for candidates by text (cheap, may over-match);
// each candidate is then checked by a matcher holding only these
// indicators, so only real hits alert. It returns how many alerts were
// raised or updated.
func (s *Service) RetroHunt(ctx context.Context, tenant string, iocs []intel.IOC) (int, error) {
	if s.events == nil {
		return 0, nil
	}
	m := match.New(s.cfg.Warn)
	m.SetClock(s.cfg.Now)
	m.Replace(tenant, iocs)
	now := s.cfg.Now()
	from := now.Add(-s.cfg.RetroHuntWindow)
	seen := map[string]bool{}
	var matches []detect.Match
	for _, i := range iocs {
		term, ok := searchTerm(i)
		if !ok {
			continue
		}
		page, err := s.events.Search(ctx, store.EventQuery{Tenant: tenant, From: from, To: now.Add(1),
			Terms: []store.Term{{Value: term}}, Limit: maxRetroCandidates})
		if err != nil {
			return 0, fmt.Errorf("retro-hunt %s %s: %w", i.Type, i.Value, err)
		}
		for _, ev := range page.Items {
			if seen[ev.ID] {
				continue
			}
			found := m.Detect(ev, nil)
			if len(found) > 0 {
				seen[ev.ID] = true
				matches = append(matches, found...)
			}
		}
	}
	if len(matches) == 0 {
		return 0, nil
	}
	for k := range matches {
		matches[k].RuleTitle = "Retro-hunt: " + matches[k].RuleTitle
		matches[k].Tags = append(matches[k].Tags, RetroTag)
	}
	alerts := alert.FromMatches(matches)[tenant] // each takes its first match's tags, RetroTag among them
	stored, err := s.state.Scope(tenant).Alerts().Upsert(ctx, alerts, s.cfg.AlertWindow)
	if err != nil {
		return 0, fmt.Errorf("retro-hunt alerts: %w", err)
	}
	return len(stored), nil
}

// searchTerm is the text that any event naming the indicator contains.
// Networks are searched by their fixed leading octets (or groups); a
// network without any is not searched.
func searchTerm(i intel.IOC) (string, bool) {
	switch i.Type {
	case intel.CIDR:
		p, err := netip.ParsePrefix(i.Value)
		if err != nil {
			return "", false
		}
		s := p.Addr().String()
		if p.Addr().Is4() {
			octets := strings.Split(s, ".")
			n := p.Bits() / 8
			if n == 0 {
				return "", false
			}
			return strings.Join(octets[:n], ".") + ".", true
		}
		groups := p.Bits() / 16
		parts := strings.Split(p.Addr().StringExpanded(), ":")
		if groups == 0 {
			return "", false
		}
		for k := range parts {
			parts[k] = strings.TrimLeft(parts[k], "0")
			if parts[k] == "" {
				parts[k] = "0"
			}
		}
		return strings.Join(parts[:groups], ":") + ":", true
	case intel.URL:
		if _, rest, ok := strings.Cut(i.Value, "://"); ok {
			return rest, true
		}
	}
	return i.Value, true
}
