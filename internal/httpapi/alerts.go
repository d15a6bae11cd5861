package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/yagura-soc/yagura/internal/alert"
	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/store"
)

func alertRoutes() []route {
	return []route{
		{"GET", "/api/v1/alerts", auth.PermAlertsRead, (*Server).listAlerts},
		{"GET", "/api/v1/alerts/{id}", auth.PermAlertsRead, (*Server).getAlert},
		{"PATCH", "/api/v1/alerts/{id}", auth.PermTriage, (*Server).patchAlert},
		{"POST", "/api/v1/alerts/bulk", auth.PermTriage, (*Server).bulkAlerts},
		{"GET", "/api/v1/alerts/{id}/comments", auth.PermAlertsRead, (*Server).listComments},
		{"POST", "/api/v1/alerts/{id}/comments", auth.PermTriage, (*Server).addComment},
		{"POST", "/api/v1/alerts/{id}/suppress", auth.PermSuppress, (*Server).suppressAlert},
		{"GET", "/api/v1/suppressions", auth.PermAlertsRead, (*Server).listSuppressions},
		{"POST", "/api/v1/suppressions", auth.PermSuppress, (*Server).createSuppression},
		{"GET", "/api/v1/suppressions/{id}", auth.PermAlertsRead, (*Server).getSuppression},
		{"PUT", "/api/v1/suppressions/{id}", auth.PermSuppress, (*Server).updateSuppression},
		{"DELETE", "/api/v1/suppressions/{id}", auth.PermSuppress, (*Server).deleteSuppression},
	}
}

func (s *Server) listAlerts(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	q := r.URL.Query()
	f := store.AlertFilter{Status: q.Get("status"), Severity: q.Get("severity"), RuleID: q.Get("rule_id"),
		Assignee: q.Get("assignee"), Kind: q.Get("kind"), Text: q.Get("q"), Sort: q.Get("sort")}
	if f.Status != "" && !slices.Contains(store.AlertStatuses, f.Status) {
		writeError(w, http.StatusBadRequest, "status must be one of new, acknowledged, in_progress, closed")
		return
	}
	if f.Severity != "" && !slices.Contains(alert.Severities, f.Severity) {
		writeError(w, http.StatusBadRequest, "severity must be one of informational, low, medium, high, critical")
		return
	}
	if f.Kind != "" && f.Kind != store.KindDetection && f.Kind != store.KindRisk {
		writeError(w, http.StatusBadRequest, "kind must be detection or risk")
		return
	}
	if f.Sort != "" && !slices.Contains(store.AlertSorts, f.Sort) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("sort must be one of %s", strings.Join(store.AlertSorts, ", ")))
		return
	}
	// entity=value matches any entity; entity=host.name:ws-01 (or
	// host:ws-01) only that field.
	if e := q.Get("entity"); e != "" {
		f.EntityValue = e
		if field, value, ok := strings.Cut(e, ":"); ok && value != "" {
			if mapped, ok := alert.EntityTypes[field]; ok {
				field = mapped
			}
			if strings.Contains(field, ".") {
				f.EntityField, f.EntityValue = field, value
			}
		}
	}
	var err error
	now := s.deps.Now()
	if f.From, err = parseTime(q.Get("from"), now); err != nil {
		writeError(w, http.StatusBadRequest, "from: "+err.Error())
		return
	}
	if f.To, err = parseTime(q.Get("to"), now); err != nil {
		writeError(w, http.StatusBadRequest, "to: "+err.Error())
		return
	}
	if f.Limit, f.Offset, err = parsePage(q, 100, 1000); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	items, total, err := s.deps.State.Scope(p.Tenant).Alerts().List(r.Context(), f)
	if err != nil {
		s.deps.Log.Error("list alerts failed", "err", err)
		writeError(w, http.StatusInternalServerError, "listing alerts failed")
		return
	}
	writeJSON(w, http.StatusOK, list[store.Alert]{Items: items, Total: total})
}

func (s *Server) getAlert(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	a, err := s.deps.State.Scope(p.Tenant).Alerts().Get(r.Context(), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no alert "+r.PathValue("id"))
		return
	}
	if err != nil {
		s.deps.Log.Error("get alert failed", "err", err)
		writeError(w, http.StatusInternalServerError, "reading the alert failed")
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// triageError is a change the rules refuse (HTTP 409/400), as opposed to
// a failure of the store.
type triageError struct {
	code int
	msg  string
}

func (e *triageError) Error() string { return e.msg }

// updateInTx applies one triage change: the alert, its audit record and
// its outbox event (ticketing receivers hear of status changes) commit
// together.
func updateInTx(ctx context.Context, tx store.AlertTx, r *http.Request, p auth.Principal, id string, ch store.AlertChange) (store.Alert, error) {
	before, after, err := tx.Update(ctx, id, ch)
	if errors.Is(err, store.ErrNotFound) {
		return after, &triageError{http.StatusNotFound, "no alert " + id}
	}
	var refused *store.ChangeError
	if errors.As(err, &refused) {
		return after, &triageError{http.StatusConflict, "alert " + id + ": " + refused.Reason}
	}
	if err != nil {
		return after, err
	}
	details := map[string]any{}
	if before.Status != after.Status {
		details["status"] = map[string]string{"from": before.Status, "to": after.Status}
	}
	if before.Resolution != after.Resolution {
		details["resolution"] = map[string]string{"from": before.Resolution, "to": after.Resolution}
	}
	if before.Assignee != after.Assignee {
		details["assignee"] = map[string]string{"from": before.Assignee, "to": after.Assignee}
	}
	if before.CaseID != after.CaseID {
		details["case_id"] = map[string]string{"from": before.CaseID, "to": after.CaseID}
	}
	if len(details) == 0 {
		return after, nil // nothing changed: nothing to record or notify
	}
	if _, err := tx.Audit(ctx, auditRecord(r, p, "alert.update", "alert/"+id, details)); err != nil {
		return after, err
	}
	if err := tx.Enqueue(ctx, store.OutboxEvent{Kind: store.EventAlertUpdated, Alert: after, Actor: p.Actor()}); err != nil {
		return after, err
	}
	return after, nil
}

// alertChange is the body of PATCH and of bulk updates.
type alertChange struct {
	Status     *string `json:"status"`
	Resolution *string `json:"resolution"`
	Assignee   *string `json:"assignee"`
	CaseID     *string `json:"case_id"`
}

func (c alertChange) check() error {
	if c.Status == nil && c.Resolution == nil && c.Assignee == nil && c.CaseID == nil {
		return errors.New("nothing to change: send status, resolution, assignee or case_id")
	}
	if c.Status != nil && !slices.Contains(store.AlertStatuses, *c.Status) {
		return fmt.Errorf("status must be one of %s", strings.Join(store.AlertStatuses, ", "))
	}
	if c.Resolution != nil && *c.Resolution != "" && !slices.Contains(store.Resolutions, *c.Resolution) {
		return fmt.Errorf("resolution must be one of %s", strings.Join(store.Resolutions, ", "))
	}
	if c.Assignee != nil && len(*c.Assignee) > 200 {
		return errors.New("assignee is at most 200 characters")
	}
	return nil
}

func (c alertChange) store() store.AlertChange {
	return store.AlertChange{Status: c.Status, Resolution: c.Resolution, Assignee: c.Assignee, CaseID: c.CaseID}
}

// writeTxError answers a failed triage transaction.
func (s *Server) writeTxError(w http.ResponseWriter, what string, err error) {
	var te *triageError
	if errors.As(err, &te) {
		writeError(w, te.code, te.msg)
		return
	}
	s.internalError(w, what, err)
}

func (s *Server) patchAlert(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var body alertChange
	if !decodeBody(w, r, &body) {
		return
	}
	if err := body.check(); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	var out store.Alert
	ctx := context.WithoutCancel(r.Context())
	err := s.deps.State.Scope(p.Tenant).Alerts().Tx(ctx, func(tx store.AlertTx) error {
		var err error
		out, err = updateInTx(ctx, tx, r, p, r.PathValue("id"), body.store())
		return err
	})
	if err != nil {
		s.writeTxError(w, "updating the alert failed", err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// maxBulk bounds one bulk update (one transaction).
const maxBulk = 1000

func (s *Server) bulkAlerts(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var body struct {
		IDs []string `json:"ids"`
		alertChange
	}
	if !decodeBody(w, r, &body) {
		return
	}
	if len(body.IDs) == 0 || len(body.IDs) > maxBulk {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("ids must list 1 to %d alerts", maxBulk))
		return
	}
	if err := body.check(); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	// All or nothing: a bulk close that half happened would leave the
	// analyst guessing which alerts still need a look.
	out := make([]store.Alert, 0, len(body.IDs))
	ctx := context.WithoutCancel(r.Context())
	err := s.deps.State.Scope(p.Tenant).Alerts().Tx(ctx, func(tx store.AlertTx) error {
		for _, id := range body.IDs {
			a, err := updateInTx(ctx, tx, r, p, id, body.store())
			if err != nil {
				return err
			}
			out = append(out, a)
		}
		return nil
	})
	if err != nil {
		s.writeTxError(w, "bulk update failed", err)
		return
	}
	writeJSON(w, http.StatusOK, list[store.Alert]{Items: out, Total: len(out)})
}

func (s *Server) listComments(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	items, err := s.deps.State.Scope(p.Tenant).Alerts().Comments(r.Context(), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no alert "+r.PathValue("id"))
		return
	}
	if err != nil {
		s.internalError(w, "listing comments failed", err)
		return
	}
	writeJSON(w, http.StatusOK, list[store.Comment]{Items: items, Total: len(items)})
}

func (s *Server) addComment(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var body struct {
		Body string `json:"body"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	if strings.TrimSpace(body.Body) == "" || len(body.Body) > 20000 {
		writeError(w, http.StatusBadRequest, "body must be 1 to 20000 characters")
		return
	}
	id := r.PathValue("id")
	var c store.Comment
	ctx := context.WithoutCancel(r.Context())
	err := s.deps.State.Scope(p.Tenant).Alerts().Tx(ctx, func(tx store.AlertTx) error {
		var err error
		if c, err = tx.AddComment(ctx, store.Comment{AlertID: id, Author: p.Actor(), Body: body.Body}); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return &triageError{http.StatusNotFound, "no alert " + id}
			}
			return err
		}
		_, err = tx.Audit(ctx, auditRecord(r, p, "alert.comment", "alert/"+id, map[string]any{"comment": c.ID}))
		return err
	})
	if err != nil {
		s.writeTxError(w, "adding the comment failed", err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

// suppressBody is "close as false positive and suppress alerts like this".
type suppressBody struct {
	Reason string `json:"reason"`
	// ExpiresIn (e.g. "720h") or ExpiresAt; neither means no expiry.
	ExpiresIn string     `json:"expires_in"`
	ExpiresAt *time.Time `json:"expires_at"`
	// Fields are the entity fields that define "like this"; default the
	// fields of the alert's fingerprint.
	Fields []string `json:"fields"`
	// Close (default true) closes the alert as a false positive.
	Close *bool `json:"close"`
}

func expiry(in string, at *time.Time, now time.Time) (*time.Time, error) {
	switch {
	case in != "" && at != nil:
		return nil, errors.New("give expires_in or expires_at, not both")
	case in != "":
		d, err := time.ParseDuration(in)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("expires_in %q is not a positive duration (e.g. 720h)", in)
		}
		t := now.Add(d)
		return &t, nil
	case at != nil:
		if !at.After(now) {
			return nil, errors.New("expires_at is in the past")
		}
		t := at.UTC()
		return &t, nil
	}
	return nil, nil
}

func (s *Server) groupBy(rule string) []string {
	if s.deps.Alerting != nil {
		return s.deps.Alerting.GroupByFor(rule)
	}
	return alert.DefaultGroupBy
}

func (s *Server) suppressAlert(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var body suppressBody
	if !decodeBody(w, r, &body) {
		return
	}
	exp, err := expiry(body.ExpiresIn, body.ExpiresAt, s.deps.Now())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	id := r.PathValue("id")
	var out struct {
		Alert       store.Alert       `json:"alert"`
		Suppression store.Suppression `json:"suppression"`
	}
	ctx := context.WithoutCancel(r.Context())
	err = s.deps.State.Scope(p.Tenant).Alerts().Tx(ctx, func(tx store.AlertTx) error {
		a, err := tx.Get(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return &triageError{http.StatusNotFound, "no alert " + id}
		}
		if err != nil {
			return err
		}
		fields := body.Fields
		if len(fields) == 0 {
			fields = s.groupBy(a.RuleID)
		}
		sup := alert.SuppressionFor(a, fields)
		sup.Reason, sup.Author, sup.ExpiresAt = body.Reason, p.Actor(), exp
		if err := alert.ValidateSuppression(sup); err != nil {
			return &triageError{http.StatusBadRequest, err.Error()}
		}
		if out.Suppression, err = tx.CreateSuppression(ctx, sup); err != nil {
			return err
		}
		if _, err := tx.Audit(ctx, auditRecord(r, p, "suppression.create", "suppression/"+out.Suppression.ID,
			map[string]any{"from_alert": id, "reason": sup.Reason, "rule_id": sup.RuleID})); err != nil {
			return err
		}
		out.Alert = a
		if body.Close == nil || *body.Close {
			closed, fp := store.StatusClosed, store.ResolutionFalsePositive
			if a.Status != store.StatusClosed {
				out.Alert, err = updateInTx(ctx, tx, r, p, id, store.AlertChange{Status: &closed, Resolution: &fp})
			}
		}
		return err
	})
	if err != nil {
		s.writeTxError(w, "suppressing failed", err)
		return
	}
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) listSuppressions(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	items, err := s.deps.State.Scope(p.Tenant).Suppressions().List(r.Context())
	if err != nil {
		s.internalError(w, "listing suppressions failed", err)
		return
	}
	writeJSON(w, http.StatusOK, list[store.Suppression]{Items: items, Total: len(items)})
}

func (s *Server) getSuppression(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	sup, err := s.deps.State.Scope(p.Tenant).Suppressions().Get(r.Context(), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no suppression "+r.PathValue("id"))
		return
	}
	if err != nil {
		s.internalError(w, "reading the suppression failed", err)
		return
	}
	writeJSON(w, http.StatusOK, sup)
}

// suppressionBody is what a client may set on a suppression.
type suppressionBody struct {
	RuleID     string            `json:"rule_id"`
	Conditions []store.Condition `json:"conditions"`
	Reason     string            `json:"reason"`
	ExpiresIn  string            `json:"expires_in"`
	ExpiresAt  *time.Time        `json:"expires_at"`
}

func (s *Server) readSuppression(w http.ResponseWriter, r *http.Request, p auth.Principal) (store.Suppression, bool) {
	var body suppressionBody
	if !decodeBody(w, r, &body) {
		return store.Suppression{}, false
	}
	exp, err := expiry(body.ExpiresIn, body.ExpiresAt, s.deps.Now())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return store.Suppression{}, false
	}
	sup := store.Suppression{RuleID: body.RuleID, Conditions: body.Conditions, Reason: body.Reason,
		Author: p.Actor(), ExpiresAt: exp}
	if err := alert.ValidateSuppression(sup); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return sup, false
	}
	return sup, true
}

func (s *Server) createSuppression(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	sup, ok := s.readSuppression(w, r, p)
	if !ok {
		return
	}
	sup, err := s.deps.State.Scope(p.Tenant).Suppressions().Create(r.Context(), sup)
	if err != nil {
		s.internalError(w, "creating the suppression failed", err)
		return
	}
	if !s.audited(w, r, p, "suppression.create", "suppression/"+sup.ID,
		map[string]any{"rule_id": sup.RuleID, "reason": sup.Reason, "conditions": len(sup.Conditions)}) {
		return
	}
	writeJSON(w, http.StatusCreated, sup)
}

func (s *Server) updateSuppression(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	sup, ok := s.readSuppression(w, r, p)
	if !ok {
		return
	}
	sup.ID = r.PathValue("id")
	sup, err := s.deps.State.Scope(p.Tenant).Suppressions().Update(r.Context(), sup)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no suppression "+r.PathValue("id"))
		return
	}
	if err != nil {
		s.internalError(w, "updating the suppression failed", err)
		return
	}
	if !s.audited(w, r, p, "suppression.update", "suppression/"+sup.ID,
		map[string]any{"rule_id": sup.RuleID, "reason": sup.Reason, "conditions": len(sup.Conditions)}) {
		return
	}
	writeJSON(w, http.StatusOK, sup)
}

func (s *Server) deleteSuppression(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	id := r.PathValue("id")
	err := s.deps.State.Scope(p.Tenant).Suppressions().Delete(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no suppression "+id)
		return
	}
	if err != nil {
		s.internalError(w, "deleting the suppression failed", err)
		return
	}
	if !s.audited(w, r, p, "suppression.delete", "suppression/"+id, nil) {
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
