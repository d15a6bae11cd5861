package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/yagura-soc/yagura/internal/intel/match"
	intelsvc "github.com/yagura-soc/yagura/internal/intel/service"
	"github.com/yagura-soc/yagura/internal/store"
)

// openIntel starts the threat-intelligence service around the matcher
// that sits in the detector chain: every tenant's indicators are loaded
// into it, and the API imports and exports through the service. A nil
// matcher means threat intelligence is off.
func openIntel(ctx context.Context, m *match.Matcher, events store.EventStore, state store.State, log *slog.Logger) (*intelsvc.Service, error) {
	if m == nil {
		return nil, nil
	}
	svc := intelsvc.New(state, events, intelsvc.Config{Matcher: m, Log: log})
	if err := svc.LoadAll(ctx); err != nil {
		return nil, err
	}
	return svc, nil
}

// maintainIntel writes indicator hit counters and announces expiries in
// the change feed until ctx ends.
func (s *Server) maintainIntel(ctx context.Context) {
	if s.intel != nil {
		s.intel.Maintain(ctx, 30*time.Second)
		s.intel.Wait() // retro-hunts write alerts; let them finish before the stores close
	}
}
