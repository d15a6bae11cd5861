package httpapi

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/store"
)

// Names of the session cookie and of the headers that go with it.
const (
	sessionCookie = "yagura_session"
	csrfHeader    = "X-CSRF-Token"
	tenantHeader  = "X-Yagura-Tenant"
)

func sessionRoutes() []route {
	return []route{
		{"POST", "/api/v1/auth/login", "", (*Server).login},
		{"POST", "/api/v1/auth/logout", auth.PermSelf, (*Server).logout},
		{"GET", "/api/v1/auth/me", auth.PermSelf, (*Server).me},
	}
}

// authenticate finds the caller: an API token (Bearer) or a session cookie.
// A session that changes state must also send its CSRF token. A tenant
// named in X-Yagura-Tenant that the caller cannot access answers 404, the
// same as an object that does not exist.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (auth.Principal, int, error) {
	tenant := r.Header.Get(tenantHeader)
	if h := r.Header.Get("Authorization"); h != "" {
		secret, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return auth.Principal{}, http.StatusUnauthorized, errors.New("the Authorization header must be 'Bearer <token>'")
		}
		p, err := auth.Authenticate(r.Context(), s.deps.State.Tokens(), strings.TrimSpace(secret), s.deps.Now())
		if err != nil {
			code, err := s.authFailure(err)
			return auth.Principal{}, code, err
		}
		if tenant != "" && tenant != p.Tenant {
			return auth.Principal{}, http.StatusNotFound, errors.New("no tenant " + tenant)
		}
		// Last-use tracking must not slow every request with a write.
		go s.deps.State.Tokens().Touch(context.WithoutCancel(r.Context()), p.TokenID, s.deps.Now())
		return p, 0, nil
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil || s.deps.Logins == nil {
		return auth.Principal{}, http.StatusUnauthorized,
			errors.New("missing credentials: send 'Authorization: Bearer <token>' (create one with 'yagura token create') or log in")
	}
	sess, err := s.deps.Logins.Resume(r.Context(), c.Value)
	if err != nil {
		code, err := s.authFailure(err)
		return auth.Principal{}, code, err
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead &&
		subtle.ConstantTimeCompare([]byte(r.Header.Get(csrfHeader)), []byte(sess.CSRF)) != 1 {
		return auth.Principal{}, http.StatusForbidden, errors.New("missing or wrong " + csrfHeader + " header (it comes with the login response)")
	}
	p, err := s.deps.Logins.Principal(r.Context(), sess, tenant)
	if errors.Is(err, auth.ErrNoTenantAccess) {
		if tenant == "" {
			return auth.Principal{}, http.StatusForbidden, errors.New("your account has no role in any tenant; ask an admin")
		}
		return auth.Principal{}, http.StatusNotFound, errors.New("no tenant " + tenant)
	}
	if err != nil {
		code, err := s.authFailure(err)
		return auth.Principal{}, code, err
	}
	return p, 0, nil
}

func (s *Server) authFailure(err error) (int, error) {
	switch {
	case errors.Is(err, auth.ErrUnauthenticated):
		return http.StatusUnauthorized, errors.New("invalid, expired or revoked credentials")
	case errors.Is(err, auth.ErrSessionExpired):
		return http.StatusUnauthorized, err
	}
	s.deps.Log.Error("authentication failed", "err", err)
	return http.StatusServiceUnavailable, errors.New("authentication is unavailable; retry")
}

type loginRequest struct {
	User     string `json:"user"`
	Password string `json:"password"`
	TOTP     string `json:"totp"`
}

type loginResponse struct {
	User      string              `json:"user"`
	Tenant    string              `json:"tenant"`
	CSRFToken string              `json:"csrf_token"`
	Tenants   []store.RoleBinding `json:"tenants"`
	Language  string              `json:"language"`
	TimeZone  string              `json:"time_zone"`
}

// login opens a session and sets it as an HttpOnly, SameSite=Strict cookie.
// Every attempt, good or bad, is in the audit trail of the tenant the user
// works in (or of the default tenant when the user is unknown).
func (s *Server) login(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	if s.deps.Logins == nil {
		writeError(w, http.StatusNotFound, "user logins are not enabled on this server")
		return
	}
	var req loginRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&req); err != nil || req.User == "" {
		writeError(w, http.StatusBadRequest, `send {"user": "...", "password": "...", "totp": "..."} as JSON`)
		return
	}
	res, err := s.deps.Logins.Login(r.Context(), req.User, req.Password, req.TOTP, clientAddr(r))
	auditTenant := store.DefaultTenant
	if res.Session.Tenant != "" {
		auditTenant = res.Session.Tenant
	} else if bs, _ := s.deps.State.Users().Bindings(r.Context(), req.User); len(bs) > 0 {
		auditTenant = bs[0].Tenant
	}
	who := auth.Principal{User: req.User, Tenant: auditTenant}
	if err != nil {
		code := http.StatusUnauthorized
		switch {
		case errors.Is(err, auth.ErrRateLimited):
			code = http.StatusTooManyRequests
		case errors.Is(err, auth.ErrLocked), errors.Is(err, auth.ErrSecondFactor), errors.Is(err, auth.ErrBadCredentials):
		default:
			s.deps.Log.Error("login failed", "err", err)
			writeError(w, http.StatusServiceUnavailable, "login is unavailable; retry")
			return
		}
		s.audit(r, who, "login.failed", "user/"+req.User, map[string]any{"reason": err.Error()})
		writeError(w, code, err.Error())
		return
	}
	// Rotation: a cookie from an earlier session is ended, not reused.
	if old, err := r.Cookie(sessionCookie); err == nil {
		s.deps.State.Sessions().Delete(r.Context(), auth.HashToken(old.Value))
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: res.Secret, Path: "/", HttpOnly: true,
		Secure: s.deps.SecureCookies, SameSite: http.SameSiteStrictMode, Expires: res.Session.ExpiresAt})
	s.audit(r, who, "login", "user/"+req.User, nil)
	bindings, _ := s.deps.State.Users().Bindings(r.Context(), req.User)
	writeJSON(w, http.StatusOK, loginResponse{User: res.User.Name, Tenant: res.Session.Tenant, CSRFToken: res.Session.CSRF,
		Tenants: bindings, Language: res.User.Language, TimeZone: res.User.TimeZone})
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.deps.State.Sessions().Delete(r.Context(), auth.HashToken(c.Value))
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true,
		Secure: s.deps.SecureCookies, SameSite: http.SameSiteStrictMode, MaxAge: -1})
	s.audit(r, p, "logout", "", nil)
	writeJSON(w, http.StatusOK, map[string]string{"status": "logged out"})
}

type meResponse struct {
	Actor  string `json:"actor"`
	Tenant string `json:"tenant"`
	Role   string `json:"role"`
}

func (s *Server) me(w http.ResponseWriter, _ *http.Request, p auth.Principal) {
	writeJSON(w, http.StatusOK, meResponse{Actor: p.Actor(), Tenant: p.Tenant, Role: p.Role})
}
