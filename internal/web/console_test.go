package web

import (
	"bufio"
	"context"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/detect/live"
	"github.com/yagura-soc/yagura/internal/intel"
	"github.com/yagura-soc/yagura/internal/kpi"
	"github.com/yagura-soc/yagura/internal/store"
)

// seed adds what the new pages show: a closed false positive, entity risk
// with two contributions, an indicator and audit records.
func (f fixture) seed(t *testing.T) store.Alert {
	t.Helper()
	ctx := context.Background()
	sc := f.state.Scope(store.DefaultTenant)
	at := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	fp, err := sc.Alerts().Upsert(ctx, []store.Alert{{RuleID: "r2", RuleTitle: "Noisy scanner", Severity: "low",
		Fingerprint: "g", Count: 1, Entities: map[string]string{"host.name": "ws-02", "user.name": "taro"}, FirstSeen: at, LastSeen: at}}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	closed, fpRes := store.StatusClosed, store.ResolutionFalsePositive
	err = sc.Alerts().Tx(ctx, func(tx store.AlertTx) error {
		if _, _, err := tx.Update(ctx, fp[0].ID, store.AlertChange{Status: &closed, Resolution: &fpRes}); err != nil {
			return err
		}
		for i, pts := range []float64{40, 70} {
			c := store.RiskContribution{AlertID: fp[0].ID, RuleID: "r2", Points: pts, ScoreAfter: 40 + float64(i)*70, At: at.Add(time.Duration(i) * time.Hour)}
			if err := tx.AddEntityRisk(ctx, store.EntityRisk{Type: "host", Value: "ws-02", Score: c.ScoreAfter, UpdatedAt: c.At}, c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sc.IOCs().Upsert(ctx, []intel.IOC{{Type: intel.IPv4, Value: "203.0.113.77", Confidence: 80, TLP: "amber", ToBlock: true,
		Sources: []intel.Source{{Name: "partner-feed", Confidence: 80, FirstSeen: at, LastSeen: at}}, FirstSeen: at, LastSeen: at}}); err != nil {
		t.Fatal(err)
	}
	for _, action := range []string{"user.bind", "token.create"} {
		if _, err := sc.Audit().Append(ctx, store.AuditRecord{Time: at, Actor: "adam", Role: "admin", Action: action, Object: "user/ana"}); err != nil {
			t.Fatal(err)
		}
	}
	return fp[0]
}

func TestNewPages(t *testing.T) {
	f := newFixture(t)
	fp := f.seed(t)
	ana, adam, ingo := f.session(t, "ana"), f.session(t, "adam"), f.session(t, "ingo")
	pages := []struct {
		who  *http.Client
		path string
		want []string
	}{
		// One false positive closed, nothing else closed: 100%.
		{ana, "/ui/", []string{`data-kpi="fp">100.0%`, `data-kpi="mttd"`, `data-kpi="sla"`, `<rect class="bar"`, "Noisy scanner", `href="/ui/entities/host/ws-02"`}},
		{ana, "/ui/alerts?status=&entity=ws-02", []string{"Noisy scanner", `data-live-alerts`}},
		{ana, "/ui/alerts?status=&text=powershell", []string{"Encoded PowerShell"}},
		{ana, "/ui/alerts?status=&from=-1h", []string{`colspan="7"`}}, // last seen on 2 November: nothing in the last hour
		{ana, "/ui/alerts?status=&sort=bogus", []string{`sort &#34;bogus&#34;`}},
		{ana, "/ui/alerts/" + fp.ID, []string{`href="/ui/entities/host/ws-02"`, "Entity risk", "Add to an existing case", "No matched event carries"}},
		{ana, "/ui/entities/host/ws-02", []string{`data-entity-score>`, `<polyline class="line"`, "Noisy scanner", "+70.0"}},
		{ana, "/ui/entities/host/nobody", []string{`data-entity-score>0.0`}},
		{ana, "/ui/intel?q=203.0.113", []string{"203.0.113.77", "partner-feed", "/api/v1/intel/export/"}},
		{ana, "/ui/intel?q=198.51.100.1", []string{"No indicator matches."}},
		{adam, "/ui/admin/", []string{`href="/ui/admin/audit"`, `href="/ui/admin/users"`}},
		{adam, "/ui/admin/users", []string{"ingo", "auditor", `data-path="/api/v1/users/ana/role"`}},
		{adam, "/ui/admin/tokens", []string{"New token"}},
		{adam, "/ui/admin/notify", []string{"Routes"}},
		{adam, "/ui/admin/retention", []string{`name="hot_days" type="number" min="1" value="90"`}},
		{ingo, "/ui/admin/audit", []string{"Audit chain verified (", "token.create"}},
		{ingo, "/ui/admin/audit?action=user.bind", []string{"user.bind"}},
		{ingo, "/ui/admin/compliance", []string{"/api/v1/compliance/report", "retention"}},
		{ingo, "/ui/admin/retention", []string{"Retention policy"}},
	}
	for _, p := range pages {
		if body, ok := getPage(t, p.who, f.srv.URL, p.path, p.want, nil); ok && (strings.Contains(body, "<script>") || strings.Contains(body, " style=")) {
			t.Errorf("%s: inline script or style", p.path)
		}
	}
	// The chain is verified over every record the trail holds.
	_, body, _ := get(t, ingo, f.srv.URL+"/ui/admin/audit")
	m := regexp.MustCompile(`Audit chain verified \((\d+) records\)[\s\S]*<p>(\d+) records`).FindStringSubmatch(body)
	if m == nil || m[1] != m[2] || m[1] == "0" {
		t.Errorf("chain verification does not cover the trail: %v", m)
	}
	// The audit filter keeps only what it asked for.
	if _, body, _ := get(t, ingo, f.srv.URL+"/ui/admin/audit?action=user.bind"); strings.Contains(body, "<code>token.create</code>") {
		t.Error("audit filter by action shows other actions")
	}
	// Japanese on the new pages.
	get(t, ana, f.srv.URL+"/ui/lang/ja?back=/ui/")
	if _, body, _ := get(t, ana, f.srv.URL+"/ui/entities/host/ws-02"); !strings.Contains(body, "リスクの推移") {
		t.Error("entity page not translated")
	}
}

// Admin pages follow the permission matrix; unknown entity types are 404.
func TestAdminPermissions(t *testing.T) {
	f := newFixture(t)
	ana, ingo := f.session(t, "ana"), f.session(t, "ingo")
	cases := []struct {
		who  *http.Client
		path string
		code int
	}{
		{ana, "/ui/admin/audit", 403},
		{ana, "/ui/admin/users", 403},
		{ana, "/ui/admin/compliance", 403},
		{ana, "/ui/admin/", 200},
		{ingo, "/ui/admin/audit", 200},
		{ingo, "/ui/admin/users", 403},
		{ingo, "/ui/admin/tokens", 403},
		{ana, "/ui/entities/planet/earth", 404},
	}
	for _, c := range cases {
		if code, _, _ := get(t, c.who, f.srv.URL+c.path); code != c.code {
			t.Errorf("%s: %d, want %d", c.path, code, c.code)
		}
	}
	// The analyst's menu has no admin link, the auditor's has.
	if _, body, _ := get(t, ana, f.srv.URL+"/ui/"); strings.Contains(body, `href="/ui/admin/"`) {
		t.Error("analyst sees the admin link")
	}
	if _, body, _ := get(t, ingo, f.srv.URL+"/ui/"); !strings.Contains(body, `href="/ui/admin/"`) {
		t.Error("auditor does not see the admin link")
	}
}

// A new alert arrives on the live stream of a queue opened before it.
func TestStreamAlerts(t *testing.T) {
	f := newFixtureWith(t, func(d *Deps) { d.StreamEvery = 50 * time.Millisecond })
	c := f.session(t, "ana")
	c.Timeout = 0
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	since := time.Now().UTC().Format(time.RFC3339Nano)
	req, _ := http.NewRequestWithContext(ctx, "GET", f.srv.URL+"/ui/stream/alerts?since="+since, nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || ct != "text/event-stream" {
		t.Fatalf("stream: %d %s", resp.StatusCode, ct)
	}
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	now := time.Now().UTC()
	al, err := f.state.Scope(store.DefaultTenant).Alerts().Upsert(context.Background(), []store.Alert{{RuleID: "r9", RuleTitle: "Fresh one",
		Severity: "critical", Fingerprint: "fresh", Count: 1, FirstSeen: now, LastSeen: now}}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.After(30 * time.Second)
	var got []string
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("stream ended; got %v", got)
			}
			got = append(got, l)
			if strings.HasPrefix(l, "data: ") && strings.Contains(l, al[0].ID) {
				if !strings.Contains(l, `"rule_title":"Fresh one"`) {
					t.Errorf("event %s", l)
				}
				// The fixture's older alert is never announced.
				for _, g := range got {
					if strings.Contains(g, "Encoded PowerShell") {
						t.Errorf("an alert older than the page was announced: %s", g)
					}
				}
				return
			}
		case <-deadline:
			t.Fatalf("no event for the new alert; got %v", got)
		}
	}
}

// The stream ends when the server stops, so shutdown is not held up.
func TestStreamEndsOnStop(t *testing.T) {
	stop := make(chan struct{})
	f := newFixtureWith(t, func(d *Deps) { d.Stopping = stop; d.StreamEvery = 50 * time.Millisecond })
	c := f.session(t, "ana")
	c.Timeout = 0
	resp, err := c.Get(f.srv.URL + "/ui/stream/alerts")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	close(stop)
	done := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("stream still open after stop")
	}
}

func TestDailyBars(t *testing.T) {
	v := &view{Lang: "en", Loc: time.UTC}
	day := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	c := dailyBars([]kpi.DayCount{{Day: day, Count: 0}, {Day: day.AddDate(0, 0, 1), Count: 5}, {Day: day.AddDate(0, 0, 2), Count: 10}}, v)
	if c.Max != 10 || len(c.Bars) != 3 {
		t.Fatalf("max %d, %d bars", c.Max, len(c.Bars))
	}
	full := chartH - padT - padB
	for i, want := range []float64{0, full / 2, full} {
		if b := c.Bars[i]; b.H != want || b.Y+b.H != chartH-padB {
			t.Errorf("bar %d: y %v h %v, want h %v standing on the axis", i, b.Y, b.H, want)
		}
	}
	if c.Bars[2].Label != "11-03" || c.Bars[2].Anchor != "end" || c.Bars[2].LabelX != c.Bars[2].X+c.Bars[2].W || c.Bars[2].Title != "2026-11-03: 10" {
		t.Errorf("the newest day is labelled inside the chart: %+v", c.Bars[2])
	}
	// A month: every fifth day labelled, none crowding the newest.
	var month []kpi.DayCount
	for i := range 31 {
		month = append(month, kpi.DayCount{Day: day.AddDate(0, 0, i), Count: i})
	}
	var labelled []int
	for i, b := range dailyBars(month, v).Bars {
		if b.Label != "" {
			labelled = append(labelled, i)
		}
	}
	if !slices.Equal(labelled, []int{0, 5, 10, 15, 20, 25, 30}) {
		t.Errorf("labelled days %v", labelled)
	}
}

func TestRiskLine(t *testing.T) {
	v := &view{Lang: "en", Loc: time.UTC}
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	c := riskLine([]store.RiskContribution{{ScoreAfter: 50, At: at}, {ScoreAfter: 200, At: at.Add(time.Hour)}}, 100, v)
	if c.Max != 200 || len(c.Dots) != 2 {
		t.Fatalf("max %v, %d dots", c.Max, len(c.Dots))
	}
	if c.Dots[0].X != padL || c.Dots[1].X != chartW-padR || c.Dots[1].Y != padT {
		t.Errorf("dots %+v", c.Dots)
	}
	// The threshold is half way up.
	if want := chartH - padB - (chartH-padT-padB)/2; c.ThresholdY != want {
		t.Errorf("threshold at %v, want %v", c.ThresholdY, want)
	}
	if !regexp.MustCompile(`^[\d.]+,[\d.]+ [\d.]+,[\d.]+$`).MatchString(c.Points) {
		t.Errorf("points %q", c.Points)
	}
}

// Keys built in templates (admin_<section>) exist in both catalogs.
func TestAdminSectionMessages(t *testing.T) {
	for _, sec := range adminSections {
		for _, lang := range []string{"en", "ja"} {
			if _, ok := messages[lang]["admin_"+sec.Key]; !ok {
				t.Errorf("%s has no admin_%s", lang, sec.Key)
			}
		}
	}
}

func TestRulesPages(t *testing.T) {
	rules, _, err := live.New(live.Config{Builtin: true})
	if err != nil {
		t.Fatal(err)
	}
	f := newFixtureWith(t, func(d *Deps) { d.Rules = rules })
	if err := rules.UseState(context.Background(), f.state); err != nil {
		t.Fatal(err)
	}
	first := rules.Rules()[0]
	ctx := context.Background()
	now := time.Now().UTC()
	al, err := f.state.Scope(store.DefaultTenant).Alerts().Upsert(ctx, []store.Alert{{RuleID: first.ID, RuleTitle: first.Title, Severity: "high",
		Fingerprint: "builtin", Count: 1, FirstSeen: now, LastSeen: now}}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ana, adam := f.session(t, "ana"), f.session(t, "adam")
	pages := []struct {
		who       *http.Client
		path      string
		want, not []string
	}{
		{ana, "/ui/rules", []string{first.Title, `data-rule="` + first.ID + `"`, "data-rule-test", "enabled"}, []string{`data-api-path="/api/v1/rules/`}},
		{adam, "/ui/rules", []string{`data-api-path="/api/v1/rules/` + first.ID + `/enabled"`, "Disable"}, nil},
		{ana, "/ui/rules?q=" + strings.ReplaceAll(first.ID, "-", "%2D"), []string{first.Title}, nil},
		{ana, "/ui/rules/" + first.ID, []string{"detection:", first.ID, "Test a rule against pasted events"}, nil},
		{ana, "/ui/alerts/" + al[0].ID, []string{`href="/ui/rules/` + first.ID + `"`, "detection:"}, nil},
	}
	for _, p := range pages {
		getPage(t, p.who, f.srv.URL, p.path, p.want, p.not)
	}
	// A rule disabled for the tenant shows so, with the button to enable it.
	if err := rules.SetEnabled(ctx, store.DefaultTenant, store.RuleState{RuleID: first.ID, Enabled: false, ChangedBy: "adam", ChangedAt: now}); err != nil {
		t.Fatal(err)
	}
	if _, body, _ := get(t, adam, f.srv.URL+"/ui/rules/"+first.ID); !strings.Contains(body, `<span class="missing" data-rule-state>disabled`) || !strings.Contains(body, ">Enable</button>") {
		t.Error("disabled rule not shown as disabled")
	}
	if code, _, _ := get(t, ana, f.srv.URL+"/ui/rules/no-such-rule"); code != 404 {
		t.Errorf("unknown rule: %d", code)
	}
}
