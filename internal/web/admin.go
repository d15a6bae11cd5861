package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strconv"

	"github.com/yagura-soc/yagura/internal/alert"
	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/compliance"
	"github.com/yagura-soc/yagura/internal/hunt"
	"github.com/yagura-soc/yagura/internal/notify"
	"github.com/yagura-soc/yagura/internal/store"
)

// adminSection is one admin page and the permission it needs.
type adminSection struct {
	Key  string
	Perm auth.Permission
}

// adminSections are the admin pages in menu order.
var adminSections = []adminSection{
	{"users", auth.PermUsersManage}, {"tenants", auth.PermTenants}, {"tokens", auth.PermTokens}, {"notify", auth.PermNotify},
	{"retention", auth.PermCompliance}, {"audit", auth.PermAuditRead}, {"compliance", auth.PermCompliance},
}

// mayOpen reports whether the user may open an admin section: its
// permission, and for tenants the provider tenant as well, as the API
// decides.
func mayOpen(p auth.Principal, sec adminSection) bool {
	return auth.Allowed(p.Role, sec.Perm) && (sec.Perm != auth.PermTenants || p.Tenant == auth.ProviderTenant)
}

// adminData is what every admin page gets: its section, the sections the
// user may open and the section's own data.
type adminData struct {
	Section  string
	Sections []string
	Roles    []string
	Page     any
}

func (s *Server) renderAdmin(w http.ResponseWriter, v *view, section string, data any) {
	d := adminData{Section: section, Page: data}
	for _, sec := range adminSections {
		if mayOpen(v.P, sec) {
			d.Sections = append(d.Sections, sec.Key)
		}
	}
	for _, r := range auth.Roles {
		if r != auth.RoleIngest && r != auth.RoleExport && r != auth.RoleEnroll {
			d.Roles = append(d.Roles, r)
		}
	}
	v.Title, v.Data = v.T("admin"), d
	if section != "" {
		v.Title = v.T("admin_" + section)
	}
	s.render(w, "admin", v)
}

// adminIndex lists the admin pages the user may open.
func (s *Server) adminIndex(w http.ResponseWriter, r *http.Request, v *view) {
	s.renderAdmin(w, v, "", nil)
}

type memberRow struct {
	store.User
	Role string
}

func (s *Server) adminUsers(w http.ResponseWriter, r *http.Request, v *view) {
	ctx := r.Context()
	bindings, err := s.deps.State.Users().Members(ctx, v.Tenant)
	if err != nil {
		s.fail(w, v, err)
		return
	}
	var rows []memberRow
	for _, b := range bindings {
		u, err := s.deps.State.Users().Get(ctx, b.User)
		if err != nil {
			continue // bound but deleted: nothing to manage
		}
		rows = append(rows, memberRow{User: u, Role: b.Role})
	}
	s.renderAdmin(w, v, "users", rows)
}

func (s *Server) adminTokens(w http.ResponseWriter, r *http.Request, v *view) {
	toks, err := s.deps.State.Tokens().List(r.Context(), v.Tenant)
	if err != nil {
		s.fail(w, v, err)
		return
	}
	s.renderAdmin(w, v, "tokens", toks)
}

// adminTenants lists the tenants to the provider's admins, who alone may
// create them (the API's rule).
func (s *Server) adminTenants(w http.ResponseWriter, r *http.Request, v *view) {
	if !mayOpen(v.P, adminSection{"tenants", auth.PermTenants}) {
		w.WriteHeader(http.StatusForbidden)
		v.Error = "403"
		s.render(w, "error", v)
		return
	}
	ts, err := s.deps.State.Tenants().List(r.Context())
	if err != nil {
		s.fail(w, v, err)
		return
	}
	s.renderAdmin(w, v, "tenants", ts)
}

type notifyData struct {
	Channels []channelRow
	Routes   []store.Route
	Names    map[string]string // channel id → name
	Kinds    []string
	// Severities are what a route's minimum severity may be.
	Severities []string
	Dead       int
}

// channelRow is a channel as its edit form shows it: the config as JSON
// with the secrets hidden (sent back unchanged, the API keeps them).
type channelRow struct {
	store.Channel
	ConfigJSON string
}

func (s *Server) adminNotify(w http.ResponseWriter, r *http.Request, v *view) {
	ctx := r.Context()
	n := s.deps.State.Scope(v.Tenant).Notifications()
	d := notifyData{Kinds: slices.Sorted(maps.Keys(s.deps.NotifyKinds)), Severities: alert.Severities}
	channels, err := n.Channels(ctx)
	if err != nil {
		s.fail(w, v, err)
		return
	}
	for _, c := range channels {
		cfg := notify.Redact(c.Config, s.deps.NotifyKinds[c.Kind].Secrets)
		var pretty bytes.Buffer
		if json.Indent(&pretty, cfg, "", "  ") != nil {
			pretty.Reset()
			pretty.Write(cfg)
		}
		d.Channels = append(d.Channels, channelRow{Channel: c, ConfigJSON: pretty.String()})
	}
	if d.Routes, err = n.Routes(ctx); err != nil {
		s.fail(w, v, err)
		return
	}
	d.Names = map[string]string{}
	for _, c := range d.Channels {
		d.Names[c.ID] = c.Name
	}
	if _, d.Dead, err = n.Deliveries(ctx, store.DeliveryFilter{State: store.DeliveryDead, Limit: 1}); err != nil {
		s.fail(w, v, err)
		return
	}
	s.renderAdmin(w, v, "notify", d)
}

type retentionData struct {
	Policy   store.RetentionPolicy
	Holds    []store.LegalHold
	Archives int
}

func (s *Server) adminRetention(w http.ResponseWriter, r *http.Request, v *view) {
	ctx := r.Context()
	ret := s.deps.State.Scope(v.Tenant).Retention()
	var d retentionData
	var err error
	if d.Policy, err = ret.Policy(ctx); err != nil {
		s.fail(w, v, err)
		return
	}
	if d.Holds, err = ret.Holds(ctx); err != nil {
		s.fail(w, v, err)
		return
	}
	archives, err := ret.Archives(ctx)
	if err != nil {
		s.fail(w, v, err)
		return
	}
	d.Archives = len(archives)
	s.renderAdmin(w, v, "retention", d)
}

type auditData struct {
	Records              []store.AuditRecord
	Total                int
	Action, Object, From string
	// Offset is the page's first record; Older and Newer are the
	// neighbouring pages' offsets, -1 when there is none.
	Offset, Older, Newer int
	Verified             int64
	ChainError           string
	Err                  string
}

// auditPage is how many audit records one page shows.
const auditPage = 100

// adminAudit lists the tenant's audit trail, newest first, with the result
// of verifying the whole hash chain.
func (s *Server) adminAudit(w http.ResponseWriter, r *http.Request, v *view) {
	ctx := r.Context()
	q := r.URL.Query()
	d := auditData{Action: q.Get("action"), Object: q.Get("object"), From: q.Get("from"), Older: -1, Newer: -1}
	d.Offset, _ = strconv.Atoi(q.Get("offset"))
	d.Offset = max(d.Offset, 0)
	f := store.AuditFilter{Action: d.Action, Object: d.Object, Limit: auditPage, Offset: d.Offset}
	if d.From != "" {
		from, err := hunt.ParseTime(d.From, s.deps.Now())
		if err != nil {
			d.Err = "from: " + err.Error()
		}
		f.From = from
	}
	audit := s.deps.State.Scope(v.Tenant).Audit()
	if !q.Has("offset") {
		// The newest page first: the trail is stored oldest first.
		_, total, err := audit.List(ctx, store.AuditFilter{Action: f.Action, Object: f.Object, From: f.From, Limit: 1})
		if err != nil {
			s.fail(w, v, err)
			return
		}
		d.Offset = max(total-auditPage, 0)
		f.Offset = d.Offset
	}
	var err error
	if d.Records, d.Total, err = audit.List(ctx, f); err != nil {
		s.fail(w, v, err)
		return
	}
	if d.Offset+auditPage < d.Total {
		d.Newer = d.Offset + auditPage
	}
	if d.Offset > 0 {
		d.Older = max(d.Offset-auditPage, 0)
	}
	d.Verified, err = audit.Verify(ctx)
	var ce *store.ChainError
	switch {
	case errors.As(err, &ce):
		d.ChainError = ce.Error()
	case err != nil:
		s.fail(w, v, err)
		return
	}
	s.renderAdmin(w, v, "audit", d)
}

func (s *Server) adminCompliance(w http.ResponseWriter, r *http.Request, v *view) {
	rep, err := compliance.Build(r.Context(), s.deps.Events, s.deps.State, s.deps.Reporting, v.Tenant, s.deps.Now())
	if err != nil {
		s.fail(w, v, err)
		return
	}
	s.renderAdmin(w, v, "compliance", rep)
}
