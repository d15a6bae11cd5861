package kpi

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

// DayCount is the number of alerts created on one UTC day.
type DayCount struct {
	Day   time.Time `json:"day"`
	Count int       `json:"count"`
}

// Daily counts alerts per UTC day of [from, to), days without alerts
// included.
func Daily(alerts []Alert, from, to time.Time) []DayCount {
	start := from.UTC().Truncate(24 * time.Hour)
	var out []DayCount
	for d := start; d.Before(to); d = d.Add(24 * time.Hour) {
		out = append(out, DayCount{Day: d})
	}
	for _, a := range alerts {
		if a.Created.Before(from) || !a.Created.Before(to) {
			continue
		}
		if i := int(a.Created.Sub(start) / (24 * time.Hour)); i >= 0 && i < len(out) {
			out[i].Count++
		}
	}
	return out
}

// Languages the monthly report is written in.
var Languages = []string{"en", "ja"}

var labels = map[string]map[string]string{
	"en": {
		"title": "SOC monthly report", "tenant": "Tenant", "all": "all tenants", "period": "Period",
		"headline": "Headline figures", "metric": "Measure", "value": "This period", "previous": "Previous period", "change": "Change",
		"alerts": "Alerts", "mttd": "Mean time to detect", "mtta": "Mean time to acknowledge",
		"mttr_contain": "Mean time to contain", "mttr_resolve": "Mean time to resolve", "fp": "False-positive rate", "sla": "SLA compliance",
		"durations": "Durations", "mean": "Mean", "median": "Median", "p90": "90th percentile", "count": "Count",
		"daily": "Alerts per day", "severity": "Alerts by severity", "slasev": "SLA compliance by severity",
		"acknowledge": "Acknowledge", "contain": "Contain", "resolve": "Resolve", "noisy": "Noisiest rules (false positives)",
		"rule": "Rule", "fps": "False positives", "closed": "Closed", "none": "None", "generated": "Generated",
		"tenants": "By tenant", "nodata": "—",
	},
	"ja": {
		"title": "SOC 月次レポート", "tenant": "テナント", "all": "全テナント", "period": "対象期間",
		"headline": "主要指標", "metric": "指標", "value": "当期", "previous": "前期", "change": "増減",
		"alerts": "アラート件数", "mttd": "平均検知時間 (MTTD)", "mtta": "平均受付時間 (MTTA)",
		"mttr_contain": "平均封じ込め時間 (MTTR)", "mttr_resolve": "平均解決時間 (MTTR)", "fp": "誤検知率", "sla": "SLA 遵守率",
		"durations": "所要時間", "mean": "平均", "median": "中央値", "p90": "90 パーセンタイル", "count": "件数",
		"daily": "日別アラート件数", "severity": "重大度別アラート件数", "slasev": "重大度別 SLA 遵守率",
		"acknowledge": "受付", "contain": "封じ込め", "resolve": "解決", "noisy": "誤検知の多いルール",
		"rule": "ルール", "fps": "誤検知", "closed": "クローズ", "none": "なし", "generated": "作成日時",
		"tenants": "テナント別", "nodata": "—",
	},
}

// severityOrder sorts severities from the most to the least severe.
var severityOrder = []string{"critical", "high", "medium", "low", "informational"}

var severityColor = map[string]string{"critical": "#8b0000", "high": "#d9480f", "medium": "#e0a100", "low": "#2f7ed8", "informational": "#7a7a7a"}

//go:embed report.html
var reportHTML string

var reportTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"dur": humanDuration, "pct": func(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) },
}).Parse(reportHTML))

type headline struct {
	Label, Value, Previous, Change string
}

type bar struct {
	X, Y, W, H   float64
	Label, Value string
	Color        string
}

type reportView struct {
	L          map[string]string
	Lang       string
	Tenant     string
	Report     Report
	Generated  string
	Period     string
	Headlines  []headline
	Durations  []durationRow
	Daily      chart
	Severity   chart
	SLA        []slaRow
	Noisy      []RuleCount
	TenantRows []tenantRow
}

type durationRow struct {
	Label string
	D     Durations
}

type slaRow struct {
	Severity                      string
	Acknowledge, Contain, Resolve string
}

type tenantRow struct {
	Name string
	S    Summary
}

type chart struct {
	Width, Height float64
	Bars          []bar
	Axis          []bar // tick labels
}

// RenderHTML writes the monthly report as one self-contained HTML page
// (inline SVG charts, no scripts, no external resources) in lang.
func RenderHTML(w io.Writer, r Report, daily []DayCount, tenant, lang string, now time.Time) error {
	l, ok := labels[lang]
	if !ok {
		return fmt.Errorf("report language %q: use one of %v", lang, Languages)
	}
	if tenant == "" || tenant == "*" {
		tenant = l["all"]
	}
	v := reportView{L: l, Lang: lang, Tenant: tenant, Report: r, Generated: now.UTC().Format("2006-01-02 15:04 UTC"),
		Period: r.From.UTC().Format("2006-01-02") + " – " + r.To.UTC().Add(-time.Second).Format("2006-01-02")}
	prev := r.Previous
	row := func(label string, cur, old float64, has bool, format func(float64) string) {
		h := headline{Label: l[label], Value: format(cur), Previous: l["nodata"], Change: l["nodata"]}
		if has {
			h.Previous = format(old)
			if old != 0 {
				h.Change = fmt.Sprintf("%+.0f%%", 100*(cur-old)/old)
			}
		}
		v.Headlines = append(v.Headlines, h)
	}
	has := prev != nil
	var p Summary
	if has {
		p = *prev
	}
	count := func(f float64) string { return fmt.Sprintf("%.0f", f) }
	percent := func(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) }
	row("alerts", float64(r.Alerts), float64(p.Alerts), has, count)
	row("mttd", r.MTTD.Mean, p.MTTD.Mean, has, humanDuration)
	row("mtta", r.MTTA.Mean, p.MTTA.Mean, has, humanDuration)
	row("mttr_contain", r.MTTRContain.Mean, p.MTTRContain.Mean, has, humanDuration)
	row("mttr_resolve", r.MTTRResolve.Mean, p.MTTRResolve.Mean, has, humanDuration)
	row("fp", r.FalsePositiveRate, p.FalsePositiveRate, has, percent)
	row("sla", r.SLARate, p.SLARate, has, percent)
	v.Durations = []durationRow{{l["mttd"], r.MTTD}, {l["mtta"], r.MTTA}, {l["mttr_contain"], r.MTTRContain}, {l["mttr_resolve"], r.MTTRResolve}}

	v.Daily = dailyChart(daily)
	v.Severity = severityChart(r.AlertsBySeverity)
	for _, sev := range orderedSeverities(r.SLA) {
		c := r.SLA[sev]
		v.SLA = append(v.SLA, slaRow{sev, complianceText(c.Acknowledge, l), complianceText(c.Contain, l), complianceText(c.Resolve, l)})
	}
	v.Noisy = r.NoisiestRules[:min(10, len(r.NoisiestRules))]
	if len(r.Tenants) > 1 {
		for name, s := range r.Tenants {
			v.TenantRows = append(v.TenantRows, tenantRow{name, s})
		}
		slices.SortFunc(v.TenantRows, func(a, b tenantRow) int { return strings.Compare(a.Name, b.Name) })
	}
	return reportTmpl.Execute(w, v)
}

func complianceText(c Compliance, l map[string]string) string {
	if c.Met+c.Missed == 0 {
		return l["nodata"]
	}
	return fmt.Sprintf("%.1f%% (%d/%d)", 100*c.Rate, c.Met, c.Met+c.Missed)
}

func orderedSeverities[V any](m map[string]V) []string {
	var out []string
	for _, s := range severityOrder {
		if _, ok := m[s]; ok {
			out = append(out, s)
		}
	}
	var rest []string
	for s := range m {
		if !slices.Contains(severityOrder, s) {
			rest = append(rest, s)
		}
	}
	slices.Sort(rest)
	return append(out, rest...)
}

func dailyChart(days []DayCount) chart {
	c := chart{Width: 720, Height: 200}
	peak := 1
	for _, d := range days {
		peak = max(peak, d.Count)
	}
	if len(days) == 0 {
		return c
	}
	w := (c.Width - 40) / float64(len(days))
	for i, d := range days {
		h := (c.Height - 30) * float64(d.Count) / float64(peak)
		x := 40 + float64(i)*w
		c.Bars = append(c.Bars, bar{X: x + 1, Y: c.Height - 20 - h, W: math.Max(w-2, 1), H: h,
			Label: d.Day.Format("01-02"), Value: fmt.Sprint(d.Count), Color: "#2f7ed8"})
		if i%7 == 0 {
			c.Axis = append(c.Axis, bar{X: x, Y: c.Height - 5, Label: d.Day.Format("01-02")})
		}
	}
	c.Axis = append(c.Axis, bar{X: 0, Y: 12, Label: fmt.Sprint(peak)})
	return c
}

func severityChart(by map[string]int) chart {
	sevs := orderedSeverities(by)
	c := chart{Width: 720, Height: float64(30*len(sevs) + 10)}
	peak := 1
	for _, n := range by {
		peak = max(peak, n)
	}
	for i, s := range sevs {
		w := 500 * float64(by[s]) / float64(peak)
		color := severityColor[s]
		if color == "" {
			color = "#555"
		}
		c.Bars = append(c.Bars, bar{X: 130, Y: float64(30*i + 5), W: math.Max(w, 1), H: 22, Label: s, Value: fmt.Sprint(by[s]), Color: color})
	}
	return c
}

// humanDuration prints seconds as "2d 3h", "4h 5m", "6m 7s" or "8s".
func humanDuration(sec float64) string {
	d := time.Duration(sec * float64(time.Second)).Round(time.Second)
	days, d := d/(24*time.Hour), d%(24*time.Hour)
	hours, d := d/time.Hour, d%time.Hour
	mins, d := d/time.Minute, d%time.Minute
	secs := d / time.Second
	switch {
	case days > 0:
		return fmt.Sprintf("%dd %dh", days, hours)
	case hours > 0:
		return fmt.Sprintf("%dh %dm", hours, mins)
	case mins > 0:
		return fmt.Sprintf("%dm %ds", mins, secs)
	}
	return fmt.Sprintf("%ds", secs)
}
