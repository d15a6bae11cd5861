package server

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// useRules connects the reloadable detector to the state store (tenants'
// disabled rules) and its instruments to the metrics registry.
func (s *Server) useRules(ctx context.Context) error {
	if s.deps.Rules == nil {
		return nil
	}
	if err := s.deps.Rules.UseState(ctx, s.State); err != nil {
		return fmt.Errorf("detection rules: %w", err)
	}
	s.Metrics.Registry.MustRegister(s.deps.Rules.Collectors()...)
	return nil
}

// reloadRulesOnHangup reloads the detection rules on every SIGHUP until ctx
// ends. A refused reload leaves the running rules; the detector logs why.
func (s *Server) reloadRulesOnHangup(ctx context.Context) {
	if s.deps.Rules == nil {
		return
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			s.log.Info("SIGHUP: reloading detection rules")
			s.deps.Rules.Reload(ctx)
		}
	}
}
