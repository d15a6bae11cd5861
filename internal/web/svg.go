package web

import (
	"fmt"
	"strings"
	"time"

	"github.com/yagura-soc/yagura/internal/kpi"
	"github.com/yagura-soc/yagura/internal/store"
)

// Charts are drawn on the server as SVG: the geometry is computed here and
// the markup comes from html/template (partials.html), so no script and no
// inline style is needed.

const (
	chartW, chartH = 720.0, 180.0
	padL, padB     = 40.0, 22.0
	padT, padR     = 10.0, 8.0
)

type bar struct {
	X, Y, W, H float64
	LabelX     float64
	Label      string // shown under some bars
	Anchor     string // text-anchor of the label
	Title      string // tooltip and accessible text
}

type barChart struct {
	W, H   float64
	Bars   []bar
	Max    int
	Label  string // aria-label
	AxisY  float64
	Bottom float64
}

// dailyBars draws alerts per day.
func dailyBars(days []kpi.DayCount, v *view) barChart {
	c := barChart{W: chartW, H: chartH, Label: v.T("alerts_over_time"), AxisY: padT, Bottom: chartH - padB}
	for _, d := range days {
		c.Max = max(c.Max, d.Count)
	}
	if len(days) == 0 {
		return c
	}
	top := max(c.Max, 1)
	slot := (chartW - padL - padR) / float64(len(days))
	for i, d := range days {
		h := (chartH - padT - padB) * float64(d.Count) / float64(top)
		b := bar{X: padL + float64(i)*slot + 1, Y: chartH - padB - h, W: max(slot-2, 1), H: h,
			Title: fmt.Sprintf("%s: %d", d.Day.Format("2006-01-02"), d.Count)}
		switch {
		case i == len(days)-1: // the newest day, right-aligned so it stays inside
			b.Label, b.Anchor, b.LabelX = v.Day(d.Day), "end", b.X+b.W
		case i%5 == 0 && i < len(days)-3:
			b.Label, b.Anchor, b.LabelX = v.Day(d.Day), "start", b.X
		}
		c.Bars = append(c.Bars, b)
	}
	return c
}

type point struct {
	X, Y  float64
	Title string
}

type lineChart struct {
	W, H       float64
	Points     string // the polyline's points attribute
	Dots       []point
	Max        float64
	Threshold  float64
	ThresholdY float64
	Label      string
	Bottom     float64
	First      string
	Last       string
}

// riskLine draws an entity's score after each contribution over time, with
// the risk-alert threshold as a dashed line.
func riskLine(hist []store.RiskContribution, threshold float64, v *view) lineChart {
	c := lineChart{W: chartW, H: chartH, Threshold: threshold, Label: v.T("risk_over_time"), Bottom: chartH - padB}
	c.Max = threshold
	for _, h := range hist {
		c.Max = max(c.Max, h.ScoreAfter)
	}
	if c.Max <= 0 {
		c.Max = 1
	}
	y := func(s float64) float64 { return chartH - padB - (chartH-padT-padB)*s/c.Max }
	c.ThresholdY = y(threshold)
	if len(hist) == 0 {
		return c
	}
	t0, t1 := hist[0].At, hist[len(hist)-1].At
	span := t1.Sub(t0)
	if span <= 0 {
		span = time.Minute
	}
	var pts []string
	for _, h := range hist {
		x := padL + (chartW-padL-padR)*float64(h.At.Sub(t0))/float64(span)
		if len(hist) == 1 {
			x = padL + (chartW-padL-padR)/2
		}
		p := point{X: x, Y: y(h.ScoreAfter), Title: fmt.Sprintf("%s: %.1f (+%.1f %s)", v.Time(h.At), h.ScoreAfter, h.Points, h.RuleID)}
		c.Dots = append(c.Dots, p)
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", p.X, p.Y))
	}
	if len(pts) > 1 { // one point draws no line, only its dot
		c.Points = strings.Join(pts, " ")
	}
	c.First, c.Last = v.Time(t0), v.Time(t1)
	return c
}
