package server

import (
	"context"
	"time"

	"github.com/yagura-soc/yagura/internal/httpapi"
	"github.com/yagura-soc/yagura/internal/store"
)

// watchAgents raises one alert per agent that goes silent (no heartbeat
// or batch for store.AgentSilentAfter); the agent's next heartbeat re-arms
// it.
func (s *Server) watchAgents(ctx context.Context, every time.Duration) {
	repeat(ctx, every, func() { s.raiseSilentAgents(ctx, time.Now().UTC()) })
}

// raiseSilentAgents raises the silence alert for every agent that became
// silent since the last look.
func (s *Server) raiseSilentAgents(ctx context.Context, now time.Time) {
	tenants, err := s.State.Tenants().List(ctx)
	if err != nil {
		return
	}
	for _, t := range tenants {
		sc := s.State.Scope(t.Name)
		agents, err := sc.Agents().List(ctx)
		if err != nil {
			continue
		}
		for _, a := range agents {
			if a.SilentAlerted || a.Status(now) != store.AgentSilent {
				continue
			}
			if err := httpapi.RaiseAgentAlert(ctx, sc, a, "yagura-agent-silent", "Agent went silent: no heartbeat from "+a.Hostname, "medium", now); err != nil {
				s.log.Error("agent silence alert not stored", "agent", a.ID, "err", err)
				continue
			}
			if err := sc.Agents().MarkSilent(ctx, a.ID); err != nil {
				s.log.Error("agent silence not recorded", "agent", a.ID, "err", err)
			}
			s.log.Warn("agent went silent", "tenant", t.Name, "agent", a.ID, "hostname", a.Hostname)
		}
	}
}
