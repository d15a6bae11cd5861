package httpapi

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/incident"
	"github.com/yagura-soc/yagura/internal/kpi"
	"github.com/yagura-soc/yagura/internal/store"
)

func kpiRoutes() []route {
	return []route{
		{"GET", "/api/v1/kpis", auth.PermAlertsRead, (*Server).kpis},
		{"GET", "/api/v1/kpis/report", auth.PermAlertsRead, (*Server).kpiReport},
	}
}

// kpiResponse is the KPI report with the contract's flat headline fields
// (means, in seconds) beside the full figures.
type kpiResponse struct {
	Tenant             string  `json:"tenant"`
	MTTDSeconds        float64 `json:"mttd_seconds"`
	MTTASeconds        float64 `json:"mtta_seconds"`
	MTTRSeconds        float64 `json:"mttr_seconds"` // to resolution
	MTTRContainSeconds float64 `json:"mttr_contain_seconds"`
	// AlertsByDay counts the period's alerts per UTC day.
	AlertsByDay []kpi.DayCount `json:"alerts_by_day"`
	kpi.Report
}

// kpiScope resolves ?tenant=: the caller's own tenant by default; another
// tenant or "*" (all) only for the provider's leads, auditors and admins.
func (s *Server) kpiScope(w http.ResponseWriter, r *http.Request, p auth.Principal) ([]string, string, bool) {
	t := r.URL.Query().Get("tenant")
	if t == "" || t == p.Tenant {
		return []string{p.Tenant}, p.Tenant, true
	}
	if p.Tenant != auth.ProviderTenant || !auth.Allowed(p.Role, auth.PermCompliance) {
		writeError(w, http.StatusForbidden, "only the provider's leads, auditors and admins see other tenants' KPIs")
		return nil, "", false
	}
	if t != "*" {
		if _, err := s.deps.State.Tenants().Get(r.Context(), t); err != nil {
			writeError(w, http.StatusNotFound, fmt.Sprintf("no tenant %q", t))
			return nil, "", false
		}
		return []string{t}, t, true
	}
	all, err := s.deps.State.Tenants().List(r.Context())
	if err != nil {
		s.deps.Log.Error("list tenants", "err", err)
		writeError(w, http.StatusInternalServerError, "listing tenants failed")
		return nil, "", false
	}
	names := make([]string, len(all))
	for i, tn := range all {
		names[i] = tn.Name
	}
	return names, "*", true
}

// kpiPeriod reads from and to (default: the 30 days up to now).
func (s *Server) kpiPeriod(w http.ResponseWriter, r *http.Request) (time.Time, time.Time, bool) {
	now := s.deps.Now()
	q := r.URL.Query()
	if m := q.Get("month"); m != "" {
		start, err := time.Parse("2006-01", m)
		if err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("month %q: use YYYY-MM", m))
			return time.Time{}, time.Time{}, false
		}
		return start, start.AddDate(0, 1, 0), true
	}
	to, err := parseTime(q.Get("to"), now)
	if err != nil {
		writeError(w, http.StatusBadRequest, "to: "+err.Error())
		return time.Time{}, time.Time{}, false
	}
	if to.IsZero() {
		to = now
	}
	from, err := parseTime(q.Get("from"), now)
	if err != nil {
		writeError(w, http.StatusBadRequest, "from: "+err.Error())
		return time.Time{}, time.Time{}, false
	}
	if from.IsZero() {
		from = to.AddDate(0, 0, -30)
	}
	if !from.Before(to) {
		writeError(w, http.StatusBadRequest, "from must be before to")
		return time.Time{}, time.Time{}, false
	}
	return from, to, true
}

// kpiInput loads the alerts created since the start of the previous
// period (for the trend) and the tenants' cases.
func (s *Server) kpiInput(ctx context.Context, tenants []string, from, to time.Time) (kpi.Input, error) {
	var alerts []store.Alert
	var cases []incident.Case
	for _, t := range tenants {
		a, c, err := kpi.Load(ctx, s.deps.State.Scope(t), from, to)
		if err != nil {
			return kpi.Input{}, fmt.Errorf("tenant %s: %w", t, err)
		}
		alerts, cases = append(alerts, a...), append(cases, c...)
	}
	ka, kc := kpi.FromStore(alerts, cases)
	return kpi.Input{Alerts: ka, Cases: kc, SLA: kpi.SLAFrom(incident.DefaultSLA()), From: from, To: to, Now: s.deps.Now()}, nil
}

// kpis answers the KPI report as JSON, or as CSV with ?format=csv (the
// export is audited).
func (s *Server) kpis(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	tenants, label, ok := s.kpiScope(w, r, p)
	if !ok {
		return
	}
	from, to, ok := s.kpiPeriod(w, r)
	if !ok {
		return
	}
	format := r.URL.Query().Get("format")
	if format != "" && format != "json" && format != "csv" {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("format must be json or csv, got %q", format))
		return
	}
	in, err := s.kpiInput(r.Context(), tenants, from, to)
	if err != nil {
		s.deps.Log.Error("kpis", "err", err)
		writeError(w, http.StatusInternalServerError, "loading alerts failed")
		return
	}
	rep := kpi.WithPrevious(in)
	if format != "csv" {
		writeJSON(w, http.StatusOK, kpiResponse{Tenant: label, MTTDSeconds: rep.MTTD.Mean, MTTASeconds: rep.MTTA.Mean,
			MTTRSeconds: rep.MTTRResolve.Mean, MTTRContainSeconds: rep.MTTRContain.Mean,
			AlertsByDay: kpi.Daily(in.Alerts, from, to), Report: rep})
		return
	}
	if !s.audited(w, r, p, "kpis.export", "kpis", map[string]any{"tenant": label, "from": from, "to": to}) {
		return
	}
	var b bytes.Buffer
	writeKPICSV(&b, rep)
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="yagura-kpis-`+from.Format("20060102")+"-"+to.Format("20060102")+`.csv"`)
	w.Write(b.Bytes())
}

// writeKPICSV writes one figure per line: section, key, measure, value.
func writeKPICSV(b *bytes.Buffer, r kpi.Report) {
	cw := csv.NewWriter(b)
	defer cw.Flush()
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	cw.Write([]string{"section", "key", "measure", "value"})
	cw.Write([]string{"period", "", "from", r.From.Format(time.RFC3339)})
	cw.Write([]string{"period", "", "to", r.To.Format(time.RFC3339)})
	cw.Write([]string{"alerts", "", "count", strconv.Itoa(r.Alerts)})
	for _, d := range []struct {
		name string
		d    kpi.Durations
	}{{"mttd_seconds", r.MTTD}, {"mtta_seconds", r.MTTA}, {"mttr_contain_seconds", r.MTTRContain}, {"mttr_resolve_seconds", r.MTTRResolve},
		{"case_mttr_contain_seconds", r.CaseMTTRContain}, {"case_mttr_resolve_seconds", r.CaseMTTRResolve}} {
		cw.Write([]string{d.name, "", "count", strconv.Itoa(d.d.Count)})
		cw.Write([]string{d.name, "", "mean", f(d.d.Mean)})
		cw.Write([]string{d.name, "", "median", f(d.d.Median)})
		cw.Write([]string{d.name, "", "p90", f(d.d.P90)})
	}
	cw.Write([]string{"false_positive_rate", "", "rate", f(r.FalsePositiveRate)})
	cw.Write([]string{"sla_compliance", "", "rate", f(r.SLARate)})
	for _, m := range []struct {
		name string
		m    map[string]int
	}{{"alerts_by_severity", r.AlertsBySeverity}, {"alerts_by_source", r.AlertsBySource}, {"alerts_by_tenant", r.AlertsByTenant}} {
		for _, k := range slices.Sorted(maps.Keys(m.m)) {
			cw.Write([]string{m.name, csvSafe(k), "count", strconv.Itoa(m.m[k])})
		}
	}
	for _, sev := range slices.Sorted(maps.Keys(r.SLA)) {
		c := r.SLA[sev]
		for _, clk := range []struct {
			name string
			c    kpi.Compliance
		}{{"acknowledge", c.Acknowledge}, {"contain", c.Contain}, {"resolve", c.Resolve}} {
			cw.Write([]string{"sla_" + clk.name, sev, "met", strconv.Itoa(clk.c.Met)})
			cw.Write([]string{"sla_" + clk.name, sev, "missed", strconv.Itoa(clk.c.Missed)})
			cw.Write([]string{"sla_" + clk.name, sev, "rate", f(clk.c.Rate)})
		}
	}
	for _, rc := range r.Rules {
		cw.Write([]string{"rule", csvSafe(rc.RuleID), "alerts", strconv.Itoa(rc.Alerts)})
		cw.Write([]string{"rule", csvSafe(rc.RuleID), "false_positives", strconv.Itoa(rc.FalsePositives)})
		cw.Write([]string{"rule", csvSafe(rc.RuleID), "false_positive_rate", f(rc.FPRate)})
	}
}

// kpiReport renders the monthly report (?month=YYYY-MM, ?lang=en|ja) as a
// self-contained HTML page with SVG charts, printable to PDF.
func (s *Server) kpiReport(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	tenants, label, ok := s.kpiScope(w, r, p)
	if !ok {
		return
	}
	if r.URL.Query().Get("month") == "" && r.URL.Query().Get("from") == "" {
		// Default: the last complete month.
		now := s.deps.Now()
		first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
		q := r.URL.Query()
		q.Set("month", first.AddDate(0, -1, 0).Format("2006-01"))
		r.URL.RawQuery = q.Encode()
	}
	from, to, ok := s.kpiPeriod(w, r)
	if !ok {
		return
	}
	lang := r.URL.Query().Get("lang")
	if lang == "" {
		lang = "en"
	}
	if !slices.Contains(kpi.Languages, lang) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("lang must be one of %v, got %q", kpi.Languages, lang))
		return
	}
	in, err := s.kpiInput(r.Context(), tenants, from, to)
	if err != nil {
		s.deps.Log.Error("kpi report", "err", err)
		writeError(w, http.StatusInternalServerError, "loading alerts failed")
		return
	}
	var b bytes.Buffer
	if err := kpi.RenderHTML(&b, kpi.WithPrevious(in), kpi.Daily(in.Alerts, from, to), label, lang, s.deps.Now()); err != nil {
		s.deps.Log.Error("kpi report", "err", err)
		writeError(w, http.StatusInternalServerError, "rendering the report failed")
		return
	}
	// The page carries its own styles and SVG; nothing else may load.
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(b.Bytes())
}
