package live

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/yagura-soc/yagura/internal/detect"
	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/store"
	"github.com/yagura-soc/yagura/internal/store/sqlite"
)

const (
	malloryID = "0b5a3c1e-7f2d-4c8e-9a61-3d2f5e8b1a01"
	eveID     = "0b5a3c1e-7f2d-4c8e-9a61-3d2f5e8b1a02"
)

// userRule is a rule matching linux.auth events of one user.
func userRule(id, user string) string {
	return "title: Login by " + user + "\nid: " + id + "\nlevel: high\nlogsource: {product: linux, service: auth}\n" +
		"detection:\n  sel:\n    user.name: " + user + "\n  condition: sel\n"
}

func authEvent(tenant, user string) *event.Event {
	return &event.Event{Tenant: tenant, Timestamp: time.Now().UTC(),
		ECS: event.Fields{"event.dataset": "linux.auth", "user.name": user}}
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// fired lists the rule ids that fire on ev.
func fired(d detect.Detector, ev *event.Event) []string {
	var ids []string
	for _, m := range d.Detect(ev, nil) {
		ids = append(ids, m.RuleID)
	}
	slices.Sort(ids)
	return ids
}

func openState(t *testing.T) store.State {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Tenants().Create(context.Background(), "acme"); err != nil {
		t.Fatal(err)
	}
	return st
}

// Disabling a rule in one tenant drops its matches there and nowhere else,
// survives a restart (a new Detector on the same store) and a reload.
func TestEnableDisableIsolatedPerTenant(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "rules.yml"), userRule(malloryID, "mallory")+"---\n"+userRule(eveID, "eve"))
	st := openState(t)
	d, _, err := New(Config{RuleDirs: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.UseState(ctx, st); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name    string
		tenant  string // whose setting changes; "" for none
		rule    string
		enabled bool
		reload  bool
		restart bool
		want    map[string][]string // tenant/user → rule ids that fire
	}{
		{name: "all enabled at first", want: map[string][]string{
			"default/mallory": {malloryID}, "acme/mallory": {malloryID}, "acme/eve": {eveID}}},
		{name: "acme disables mallory", tenant: "acme", rule: malloryID, enabled: false, want: map[string][]string{
			"default/mallory": {malloryID}, "acme/mallory": nil, "acme/eve": {eveID}, "default/eve": {eveID}}},
		{name: "default disables eve", tenant: "default", rule: eveID, enabled: false, want: map[string][]string{
			"default/mallory": {malloryID}, "default/eve": nil, "acme/mallory": nil, "acme/eve": {eveID}}},
		{name: "settings survive a reload", reload: true, want: map[string][]string{
			"default/eve": nil, "acme/mallory": nil, "acme/eve": {eveID}}},
		{name: "settings survive a restart", restart: true, want: map[string][]string{
			"default/eve": nil, "default/mallory": {malloryID}, "acme/mallory": nil}},
		{name: "acme enables mallory again", tenant: "acme", rule: malloryID, enabled: true, want: map[string][]string{
			"acme/mallory": {malloryID}, "default/eve": nil}},
	}
	for _, s := range steps {
		if s.tenant != "" {
			if err := d.SetEnabled(ctx, s.tenant, store.RuleState{RuleID: s.rule, Enabled: s.enabled, ChangedBy: "test"}); err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
		}
		if s.reload {
			if rep := d.Reload(ctx); !rep.Applied {
				t.Fatalf("%s: reload refused: %s", s.name, rep.Error)
			}
		}
		if s.restart {
			if d, _, err = New(Config{RuleDirs: []string{dir}}); err != nil {
				t.Fatal(err)
			}
			if err := d.UseState(ctx, st); err != nil {
				t.Fatal(err)
			}
		}
		for key, want := range s.want {
			tenant, user, _ := strings.Cut(key, "/")
			if got := fired(d, authEvent(tenant, user)); !slices.Equal(got, want) {
				t.Errorf("%s: %s fires %v, want %v", s.name, key, got, want)
			}
			if s.tenant != "" && tenant == s.tenant && d.Enabled(tenant, s.rule) != s.enabled {
				t.Errorf("%s: Enabled(%s, %s) = %v", s.name, tenant, s.rule, !s.enabled)
			}
		}
	}
}

// A reload that breaks a rule, or cannot read a folder, keeps the running
// engine; fixing the file and reloading applies the new rules.
func TestReloadKeepsRunningEngineOnBrokenRules(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	file := filepath.Join(dir, "mallory.yml")
	write(t, file, userRule(malloryID, "mallory"))
	d, rep, err := New(Config{RuleDirs: []string{dir}})
	if err != nil || !rep.Applied || rep.Rules != 1 {
		t.Fatalf("New: %+v %v", rep, err)
	}
	steps := []struct {
		name        string
		change      func()
		wantApplied bool
		wantError   string // in Report.Error
		want        map[string][]string
	}{
		{"invalid YAML", func() { write(t, file, "title: [unclosed\n") }, false, "now rejected",
			map[string][]string{"mallory": {malloryID}}},
		{"unknown modifier", func() {
			write(t, file, strings.Replace(userRule(malloryID, "eve"), "user.name:", "user.name|sparkle:", 1))
		},
			false, "sparkle", map[string][]string{"mallory": {malloryID}, "eve": nil}},
		{"unreadable folder", func() { os.Rename(dir, dir+".gone") }, false, "rule_dirs",
			map[string][]string{"mallory": {malloryID}}},
		{"fixed and extended", func() {
			os.Rename(dir+".gone", dir)
			write(t, file, userRule(malloryID, "eve"))
			write(t, filepath.Join(dir, "also.yml"), userRule(eveID, "mallory"))
		}, true, "", map[string][]string{"mallory": {eveID}, "eve": {malloryID}}},
	}
	for _, s := range steps {
		s.change()
		rep := d.Reload(ctx)
		if rep.Applied != s.wantApplied || !strings.Contains(rep.Error, s.wantError) {
			t.Errorf("%s: applied=%v error=%q, want applied=%v error containing %q", s.name, rep.Applied, rep.Error, s.wantApplied, s.wantError)
		}
		for user, want := range s.want {
			if got := fired(d, authEvent("default", user)); !slices.Equal(got, want) {
				t.Errorf("%s: %s fires %v, want %v", s.name, user, got, want)
			}
		}
	}
	if st := d.Status(); !st.Applied || st.Rules != 2 {
		t.Errorf("status after the applied reload: %+v", st)
	}
}

// A document rejected from the start does not block later reloads: only
// documents that used to load make a reload refuse.
func TestReloadToleratesStandingRejections(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "ok.yml"), userRule(malloryID, "mallory"))
	write(t, filepath.Join(dir, "bad.yml"), "title: [unclosed\n")
	d, rep, err := New(Config{RuleDirs: []string{dir}})
	if err != nil || len(rep.Rejected) != 1 {
		t.Fatalf("New: %+v %v", rep, err)
	}
	write(t, filepath.Join(dir, "new.yml"), userRule(eveID, "eve"))
	rep = d.Reload(context.Background())
	if !rep.Applied || rep.Rules != 2 || len(rep.Rejected) != 1 {
		t.Errorf("reload with the standing rejection: %+v", rep)
	}
	if got := fired(d, authEvent("default", "eve")); !slices.Equal(got, []string{eveID}) {
		t.Errorf("the new rule fires %v", got)
	}
}

// The exported metrics carry the engine's names, and the counters keep
// their totals when a reload replaces the engine.
func TestCollectorsSurviveReload(t *testing.T) {
	dir := t.TempDir()
	corr := userRule(malloryID, "mallory") + "---\n" +
		"title: Two mallory logins\nid: " + eveID + "\nlevel: high\ncorrelation:\n  type: event_count\n  rules: [" + malloryID + "]\n" +
		"  timespan: 1h\n  condition: {gte: 2}\n"
	write(t, filepath.Join(dir, "corr.yml"), corr)
	d, _, err := New(Config{RuleDirs: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(d.Collectors()...)
	d.Detect(authEvent("default", "mallory"), nil)
	d.Detect(authEvent("default", "mallory"), nil)
	if rep := d.Reload(context.Background()); !rep.Applied {
		t.Fatalf("reload: %s", rep.Error)
	}
	write(t, filepath.Join(dir, "corr.yml"), "title: [broken\n")
	d.Reload(context.Background())
	got := gather(t, reg)
	for name, want := range map[string]float64{
		"yagura_correlation_matches_total":             1,
		"yagura_sigma_rules":                           1,
		`yagura_sigma_reloads_total{result="applied"}`: 1,
		`yagura_sigma_reloads_total{result="refused"}`: 1,
	} {
		if got[name] != want {
			t.Errorf("%s = %v, want %v", name, got[name], want)
		}
	}
	// Every instrument of the engine is exported under the same name.
	engReg := prometheus.NewRegistry()
	engReg.MustRegister(d.Engine().Collectors()...)
	for name := range gather(t, engReg) {
		if _, ok := got[name]; !ok {
			t.Errorf("engine metric %s is not exported by the live detector", name)
		}
	}
}

// gather returns every sample by name (with labels when it has any).
func gather(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			name := mf.GetName()
			for _, l := range m.GetLabel() {
				name += "{" + l.GetName() + `="` + l.GetValue() + `"}`
			}
			switch {
			case m.GetCounter() != nil:
				out[name] = m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				out[name] = m.GetGauge().GetValue()
			}
		}
	}
	return out
}

var _ detect.Detector = (*Detector)(nil)

// Workers detect while rules reload and acme toggles the rule: default,
// which never disabled it, must see every match; acme sees it or not. The
// race detector checks the swaps.
func TestDetectDuringReloadAndToggle(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "rules.yml"), userRule(malloryID, "mallory"))
	st := openState(t)
	d, _, err := New(Config{RuleDirs: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.UseState(ctx, st); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	bad := make(chan string, 4)
	for _, tenant := range []string{"default", "acme", "default", "acme"} {
		go func() {
			defer func() { done <- struct{}{} }()
			for range 2000 {
				got := fired(d, authEvent(tenant, "mallory"))
				ok := slices.Equal(got, []string{malloryID}) || (tenant == "acme" && len(got) == 0)
				if !ok {
					bad <- tenant + ": " + strings.Join(got, ",")
					return
				}
			}
		}()
	}
	for i := range 20 {
		if err := d.SetEnabled(ctx, "acme", store.RuleState{RuleID: malloryID, Enabled: i%2 == 1, ChangedBy: "test"}); err != nil {
			t.Fatal(err)
		}
		if rep := d.Reload(ctx); !rep.Applied {
			t.Fatalf("reload %d refused: %s", i, rep.Error)
		}
	}
	for range 4 {
		<-done
	}
	close(bad)
	for b := range bad {
		t.Errorf("matches during reloads: %s", b)
	}
	// The last toggle enabled the rule again in acme.
	if got := fired(d, authEvent("acme", "mallory")); !slices.Equal(got, []string{malloryID}) {
		t.Errorf("acme after the last toggle: %v", got)
	}
}
