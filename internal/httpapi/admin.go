package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/store"
)

func adminRoutes() []route {
	return []route{
		{"GET", "/api/v1/users", auth.PermUsersManage, (*Server).listUsers},
		{"POST", "/api/v1/users", auth.PermUsersManage, (*Server).createUser},
		{"PUT", "/api/v1/users/{name}/role", auth.PermUsersManage, (*Server).setUserRole},
		{"DELETE", "/api/v1/users/{name}/role", auth.PermUsersManage, (*Server).removeUserRole},
		{"GET", "/api/v1/tenants", auth.PermTenants, (*Server).listTenants},
		{"POST", "/api/v1/tenants", auth.PermTenants, (*Server).createTenant},
		{"GET", "/api/v1/tokens", auth.PermTokens, (*Server).listTokens},
		{"POST", "/api/v1/tokens", auth.PermTokens, (*Server).createToken},
		{"DELETE", "/api/v1/tokens/{id}", auth.PermTokens, (*Server).revokeToken},
		{"GET", "/api/v1/audit", auth.PermAuditRead, (*Server).listAudit},
		{"GET", "/api/v1/audit/verify", auth.PermAuditRead, (*Server).verifyAudit},
		{"GET", "/api/v1/audit/export", auth.PermAuditRead, (*Server).exportAudit},
	}
}

// decodeBody reads a small JSON body into v, naming what is wrong.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	return decodeJSON(w, r, v, 1<<20, "the body is not the expected JSON")
}

// decodeJSON reads a JSON body of at most limit bytes into v, refusing
// unknown fields; a bad body answers 400 with want (what the body must
// be) and the decoder's complaint.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any, limit int64, want string) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, want+": "+err.Error())
		return false
	}
	return true
}

func (s *Server) internalError(w http.ResponseWriter, what string, err error) {
	s.deps.Log.Error(what, "err", err)
	writeError(w, http.StatusInternalServerError, what)
}

// member is a user as a tenant admin sees it.
type member struct {
	store.User
	Role string `json:"role"`
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	bindings, err := s.deps.State.Users().Members(r.Context(), p.Tenant)
	if err != nil {
		s.internalError(w, "listing users failed", err)
		return
	}
	out := list[member]{Items: []member{}}
	for _, b := range bindings {
		u, err := s.deps.State.Users().Get(r.Context(), b.User)
		if err != nil {
			continue
		}
		out.Items = append(out.Items, member{User: u, Role: b.Role})
	}
	out.Total = len(out.Items)
	writeJSON(w, http.StatusOK, out)
}

type createUserRequest struct {
	Name     string `json:"name"`
	Password string `json:"password"`
	Role     string `json:"role"`
}

// createUser creates a user bound to the admin's tenant. Naming an existing
// user without a password binds that user (provider staff serving several
// tenants); it never changes another tenant's bindings or the password.
func (s *Server) createUser(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var req createUserRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if !auth.ValidRole(req.Role) || req.Role == auth.RoleIngest {
		writeError(w, http.StatusBadRequest, "role must be one of monitor, analyst, lead, responder, csirt, auditor, admin")
		return
	}
	if err := validUserName(req.Name); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	users := s.deps.State.Users()
	if req.Password != "" {
		if err := auth.DefaultPasswordPolicy.Check(req.Name, req.Password); err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		hash, err := auth.HashPassword(req.Password)
		if err != nil {
			s.internalError(w, "hashing the password failed", err)
			return
		}
		if err := users.Create(r.Context(), store.User{Name: req.Name, PasswordHash: hash}); errors.Is(err, store.ErrConflict) {
			writeError(w, http.StatusConflict, "user "+req.Name+" exists; leave the password out to give them a role here")
			return
		} else if err != nil {
			s.internalError(w, "creating the user failed", err)
			return
		}
	} else if _, err := users.Get(r.Context(), req.Name); err != nil {
		writeError(w, http.StatusNotFound, "no user "+req.Name+"; give a password to create one")
		return
	}
	if err := users.Bind(r.Context(), store.RoleBinding{User: req.Name, Tenant: p.Tenant, Role: req.Role}); err != nil {
		s.internalError(w, "binding the role failed", err)
		return
	}
	if !s.audited(w, r, p, "user.bind", "user/"+req.Name, map[string]any{"role": req.Role, "created": req.Password != ""}) {
		return
	}
	writeJSON(w, http.StatusCreated, store.RoleBinding{User: req.Name, Tenant: p.Tenant, Role: req.Role})
}

func validUserName(name string) error {
	if len(name) < 1 || len(name) > 64 {
		return errors.New("user name must have 1 to 64 characters")
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_' || c == '@') {
			return fmt.Errorf("user name %q: use letters, digits, '.', '-', '_' and '@'", name)
		}
	}
	return nil
}

// boundHere finds a user's binding in the principal's tenant; users of
// other tenants are invisible (404).
func (s *Server) boundHere(w http.ResponseWriter, r *http.Request, p auth.Principal, name string) (store.RoleBinding, bool) {
	bindings, err := s.deps.State.Users().Bindings(r.Context(), name)
	if err != nil {
		s.internalError(w, "reading roles failed", err)
		return store.RoleBinding{}, false
	}
	for _, b := range bindings {
		if b.Tenant == p.Tenant {
			return b, true
		}
	}
	writeError(w, http.StatusNotFound, "no user "+name)
	return store.RoleBinding{}, false
}

func (s *Server) setUserRole(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	name := r.PathValue("name")
	var req struct {
		Role string `json:"role"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	if !auth.ValidRole(req.Role) || req.Role == auth.RoleIngest {
		writeError(w, http.StatusBadRequest, "role must be one of monitor, analyst, lead, responder, csirt, auditor, admin")
		return
	}
	old, ok := s.boundHere(w, r, p, name)
	if !ok {
		return
	}
	if err := s.deps.State.Users().Bind(r.Context(), store.RoleBinding{User: name, Tenant: p.Tenant, Role: req.Role}); err != nil {
		s.internalError(w, "changing the role failed", err)
		return
	}
	s.deps.State.Sessions().DeleteUser(r.Context(), name) // new rights take effect at the next login
	if !s.audited(w, r, p, "user.role", "user/"+name, map[string]any{"role": []string{old.Role, req.Role}}) {
		return
	}
	writeJSON(w, http.StatusOK, store.RoleBinding{User: name, Tenant: p.Tenant, Role: req.Role})
}

func (s *Server) removeUserRole(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	name := r.PathValue("name")
	old, ok := s.boundHere(w, r, p, name)
	if !ok {
		return
	}
	if err := s.deps.State.Users().Unbind(r.Context(), name, p.Tenant); err != nil {
		s.internalError(w, "removing the role failed", err)
		return
	}
	s.deps.State.Sessions().DeleteUser(r.Context(), name)
	if !s.audited(w, r, p, "user.unbind", "user/"+name, map[string]any{"role": old.Role}) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "removed"})
}

// providerOnly refuses tenant management outside the provider tenant.
func providerOnly(w http.ResponseWriter, p auth.Principal) bool {
	if p.Tenant != auth.ProviderTenant {
		writeError(w, http.StatusForbidden, "only admins of the provider tenant manage tenants")
		return false
	}
	return true
}

func (s *Server) listTenants(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if !providerOnly(w, p) {
		return
	}
	ts, err := s.deps.State.Tenants().List(r.Context())
	if err != nil {
		s.internalError(w, "listing tenants failed", err)
		return
	}
	writeJSON(w, http.StatusOK, list[store.Tenant]{Items: ts, Total: len(ts)})
}

func (s *Server) createTenant(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if !providerOnly(w, p) {
		return
	}
	var req struct {
		Name string `json:"name"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	if err := store.ValidTenantName(req.Name); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	t, err := s.deps.State.Tenants().Create(r.Context(), req.Name)
	if errors.Is(err, store.ErrConflict) {
		writeError(w, http.StatusConflict, "tenant "+req.Name+" exists")
		return
	}
	if err != nil {
		s.internalError(w, "creating the tenant failed", err)
		return
	}
	if !s.audited(w, r, p, "tenant.create", "tenant/"+req.Name, nil) {
		return
	}
	writeJSON(w, http.StatusCreated, t)
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	toks, err := s.deps.State.Tokens().List(r.Context(), p.Tenant)
	if err != nil {
		s.internalError(w, "listing tokens failed", err)
		return
	}
	if toks == nil {
		toks = []store.Token{}
	}
	writeJSON(w, http.StatusOK, list[store.Token]{Items: toks, Total: len(toks)})
}

type createTokenRequest struct {
	Role string `json:"role"`
	Name string `json:"name"`
	TTL  string `json:"ttl"` // e.g. "720h"; empty means no expiry
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var req createTokenRequest
	if !decodeBody(w, r, &req) {
		return
	}
	var ttl time.Duration
	if req.TTL != "" {
		var err error
		if ttl, err = time.ParseDuration(req.TTL); err != nil || ttl <= 0 {
			writeError(w, http.StatusBadRequest, "ttl must be a positive duration such as 720h")
			return
		}
	}
	secret, tok, err := auth.CreateToken(r.Context(), s.deps.State.Tokens(), p.Tenant, req.Role, req.Name, ttl, s.deps.Now())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if !s.audited(w, r, p, "token.create", "token/"+tok.ID, map[string]any{"role": tok.Role, "name": tok.Name}) {
		return
	}
	writeJSON(w, http.StatusCreated, struct {
		store.Token
		Secret string `json:"secret"`
	}{tok, secret})
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	id := r.PathValue("id")
	if err := s.deps.State.Tokens().Revoke(r.Context(), p.Tenant, id); errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no token "+id)
		return
	} else if err != nil {
		s.internalError(w, "revoking the token failed", err)
		return
	}
	if !s.audited(w, r, p, "token.revoke", "token/"+id, nil) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "revoked"})
}

func (s *Server) auditFilter(w http.ResponseWriter, r *http.Request) (store.AuditFilter, bool) {
	q := r.URL.Query()
	var f store.AuditFilter
	var err error
	now := s.deps.Now()
	if f.From, err = parseTime(q.Get("from"), now); err != nil {
		writeError(w, http.StatusBadRequest, "from: "+err.Error())
		return f, false
	}
	if f.To, err = parseTime(q.Get("to"), now); err != nil {
		writeError(w, http.StatusBadRequest, "to: "+err.Error())
		return f, false
	}
	f.Action = q.Get("action")
	return f, true
}

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	f, ok := s.auditFilter(w, r)
	if !ok {
		return
	}
	var err error
	if f.Limit, err = parseLimit(r.URL.Query().Get("limit"), 100, 10000); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	recs, total, err := s.deps.State.Scope(p.Tenant).Audit().List(r.Context(), f)
	if err != nil {
		s.internalError(w, "reading the audit trail failed", err)
		return
	}
	writeJSON(w, http.StatusOK, list[store.AuditRecord]{Items: recs, Total: total})
}

type verifyResponse struct {
	Valid   bool   `json:"valid"`
	Records int64  `json:"records"`
	Error   string `json:"error,omitempty"`
	BadSeq  int64  `json:"bad_seq,omitempty"`
}

func (s *Server) verifyAudit(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	n, err := s.deps.State.Scope(p.Tenant).Audit().Verify(r.Context())
	var ce *store.ChainError
	switch {
	case errors.As(err, &ce):
		writeJSON(w, http.StatusOK, verifyResponse{Valid: false, Records: n, Error: ce.Error(), BadSeq: ce.Seq})
	case err != nil:
		s.internalError(w, "verifying the audit trail failed", err)
	default:
		writeJSON(w, http.StatusOK, verifyResponse{Valid: true, Records: n})
	}
}

// exportAudit streams a range of the trail as JSON lines. The export is
// itself recorded first, so the trail shows who took a copy.
func (s *Server) exportAudit(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	f, ok := s.auditFilter(w, r)
	if !ok {
		return
	}
	if !s.audited(w, r, p, "audit.export", "", map[string]any{"from": f.From, "to": f.To}) {
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Content-Disposition", `attachment; filename="audit-`+p.Tenant+`.ndjson"`)
	enc := json.NewEncoder(w)
	audit := s.deps.State.Scope(p.Tenant).Audit()
	for offset := 0; ; {
		f.Limit, f.Offset = 1000, offset
		recs, _, err := audit.List(r.Context(), f)
		if err != nil {
			s.deps.Log.Error("audit export interrupted", "err", err)
			return
		}
		for _, rec := range recs {
			enc.Encode(rec)
		}
		if len(recs) < 1000 {
			return
		}
		offset += len(recs)
	}
}
