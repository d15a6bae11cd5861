package httpapi

import (
	"context"
	"fmt"
	"net"
	"net/http"

	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/store"
)

// audit records a state change or an export made through the API. Every
// handler that changes state calls it after the change succeeded; a
// failure to record is returned so the handler can answer 500 rather than
// pretend the trail is complete.
func (s *Server) audit(r *http.Request, p auth.Principal, action, object string, details map[string]any) error {
	_, err := s.deps.State.Scope(p.Tenant).Audit().Append(context.WithoutCancel(r.Context()), auditRecord(r, p, action, object, details))
	if err != nil {
		s.deps.Log.Error("audit record lost", "action", action, "object", object, "err", err)
		return fmt.Errorf("recording the audit trail failed: %w", err)
	}
	return nil
}

// audited records like audit and, when the record is lost, answers 500
// and reports false: the handler then returns without its normal reply.
func (s *Server) audited(w http.ResponseWriter, r *http.Request, p auth.Principal, action, object string, details map[string]any) bool {
	if err := s.audit(r, p, action, object, details); err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return false
	}
	return true
}

// auditRecord is the audit entry of a change made by p through r.
func auditRecord(r *http.Request, p auth.Principal, action, object string, details map[string]any) store.AuditRecord {
	return store.AuditRecord{Actor: p.Actor(), Role: p.Role, Remote: clientAddr(r), Action: action, Object: object, Details: details}
}

// clientAddr is the caller's IP address. Proxies are not trusted: a
// forwarded-for header is the caller's claim, not a fact.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
