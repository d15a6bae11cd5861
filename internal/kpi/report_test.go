package kpi

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestDaily(t *testing.T) {
	in := history()
	days := Daily(in.Alerts, in.From, in.To)
	if len(days) != 30 {
		t.Fatalf("%d days in November", len(days))
	}
	// Nov 10, 11, 12, 13, 20, 25, 26, 30 have one alert each.
	want := map[int]int{9: 1, 10: 1, 11: 1, 12: 1, 19: 1, 24: 1, 25: 1, 29: 1}
	for i, d := range days {
		if d.Count != want[i] {
			t.Errorf("%s: %d alerts, want %d", d.Day.Format("Jan 2"), d.Count, want[i])
		}
	}
}

func TestHumanDuration(t *testing.T) {
	for in, want := range map[float64]string{0: "0s", 59: "59s", 61: "1m 1s", 3600: "1h 0m", 86400 + 7200: "1d 2h", 20800: "5h 46m"} {
		if got := humanDuration(in); got != want {
			t.Errorf("humanDuration(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestRenderHTML(t *testing.T) {
	in := history()
	r := WithPrevious(in)
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	for _, c := range []struct{ lang, want string }{
		{"en", "SOC monthly report"}, {"ja", "SOC 月次レポート"},
	} {
		var b bytes.Buffer
		if err := RenderHTML(&b, r, Daily(in.Alerts, in.From, in.To), "acme", c.lang, now); err != nil {
			t.Fatal(err)
		}
		html := b.String()
		for _, s := range []string{c.want, "2026-11-01 – 2026-11-30", "<svg", "Scanner", "40.0%", "5h 46m", "50.0% (2/4)"} {
			if !strings.Contains(html, s) {
				t.Errorf("%s report lacks %q", c.lang, s)
			}
		}
		if strings.Contains(html, "<script") || strings.Contains(html, "http://") && !strings.Contains(html, `xmlns="http://www.w3.org/2000/svg"`) {
			t.Errorf("%s report is not self-contained", c.lang)
		}
	}
	if err := RenderHTML(&bytes.Buffer{}, r, nil, "", "fr", now); err == nil {
		t.Error("unknown language accepted")
	}
	// Rule titles come from rule files: they are escaped.
	r.NoisiestRules = []RuleCount{{RuleID: "x", RuleTitle: "<img src=x onerror=alert(1)>", FalsePositives: 1}}
	var b bytes.Buffer
	RenderHTML(&b, r, nil, "acme", "en", now)
	if strings.Contains(b.String(), "<img") {
		t.Error("rule title not escaped")
	}
}
