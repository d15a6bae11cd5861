package incident

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

var t0 = time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)

func playbooks(t *testing.T) Playbooks {
	t.Helper()
	pbs, err := LoadPlaybooks(nil)
	if err != nil {
		t.Fatal(err)
	}
	return pbs
}

func TestBuiltinPlaybooks(t *testing.T) {
	pbs := playbooks(t)
	for _, name := range []string{"default", "ransomware", "phishing", "account_compromise", "malware", "data_leak", "dos"} {
		p, ok := pbs[name]
		if !ok {
			t.Errorf("playbook %s missing", name)
			continue
		}
		if len(p.Stages) != 6 || p.Stages[0].Key != "detect" || p.Stages[5].Key != "review" || p.TitleJA == "" {
			t.Errorf("%s: stages %d, title_ja %q", name, len(p.Stages), p.TitleJA)
		}
	}
	// Extending adds to the base's stages without changing the base.
	ransom, def := pbs["ransomware"], pbs["default"]
	if len(ransom.Stages[3].Evidence) != len(def.Stages[3].Evidence)+1 || len(ransom.Stages[3].Tasks) <= len(def.Stages[3].Tasks) {
		t.Errorf("ransomware respond stage = %+v", ransom.Stages[3])
	}
	// The default table of the issue: owners and required evidence.
	want := []struct {
		key, owner string
		evidence   int
	}{{"detect", "monitor", 2}, {"analyze", "analyst", 2}, {"decide", "lead", 2}, {"respond", "responder", 1}, {"report", "lead", 2}, {"review", "analyst", 2}}
	for i, w := range want {
		s := def.Stages[i]
		if s.Key != w.key || !strings.Contains(strings.Join(s.Owner, ","), w.owner) || len(s.Evidence) != w.evidence {
			t.Errorf("stage %d = %s %v %d", i, s.Key, s.Owner, len(s.Evidence))
		}
	}
}

func TestPlaybookValidation(t *testing.T) {
	cases := []struct{ name, body, want string }{
		{"unknown criterion", "name: x\ntitle: x\nstages:\n  - {key: a, name: A, owner: [lead], escalate_when: moon_phase}\n", "unknown escalation criterion"},
		{"no owner", "name: x\ntitle: x\nstages:\n  - {key: a, name: A}\n", "no owner role"},
		{"duplicate stage", "name: x\ntitle: x\nstages:\n  - {key: a, name: A, owner: [lead]}\n  - {key: a, name: B, owner: [lead]}\n", "unique"},
		{"unknown base", "name: x\nextends: nope\n", "does not exist"},
		{"tasks for unknown stage", "name: x\nextends: default\ntasks:\n  nope: [t]\n", "unknown stage"},
		{"unknown key", "name: x\ntitel: typo\n", "titel"},
	}
	for _, c := range cases {
		_, err := LoadPlaybooks(fstest.MapFS{"x.yml": {Data: []byte(c.body)}})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

// Walk the default playbook: each stage refuses to close without its
// evidence and without its owner, then closes with both.
func TestStageTransitionsAndGuards(t *testing.T) {
	p := playbooks(t)["default"]
	c := NewCase(p, "c1", "default", "Phish", "high", t0)
	all := func(stage int) map[string]int {
		m := map[string]int{}
		for _, e := range p.Stages[stage].Evidence {
			m[e.Key] = 1
		}
		return m
	}
	owners := []string{"monitor", "analyst", "lead", "responder", "csirt", "responder"}
	wrong := []string{"analyst", "monitor", "analyst", "analyst", "monitor", "auditor"}
	for stage := range 6 {
		now := t0.Add(time.Duration(stage+1) * time.Hour)
		if len(p.Stages[stage].Evidence) > 0 {
			err := c.Advance(p, Actor{"o", owners[stage]}, map[string]int{}, "", now)
			if !errors.Is(err, ErrEvidenceMissing) {
				t.Fatalf("stage %d without evidence: %v", stage, err)
			}
		}
		if err := c.Advance(p, Actor{"w", wrong[stage]}, all(stage), "", now); !errors.Is(err, ErrNotOwner) {
			t.Fatalf("stage %d by %s: %v", stage, wrong[stage], err)
		}
		if c.Stage != stage {
			t.Fatalf("a refused transition moved the case to %d", c.Stage)
		}
		if err := c.Advance(p, Actor{"o", owners[stage]}, all(stage), "", now); err != nil {
			t.Fatalf("stage %d by %s: %v", stage, owners[stage], err)
		}
		if rec := c.Stages[stage]; rec.CompletedAt == nil || !rec.CompletedAt.Equal(now) || rec.Override != "" {
			t.Errorf("stage %d record = %+v", stage, rec)
		}
	}
	if c.Status != StatusClosed || c.ClosedAt == nil {
		t.Fatalf("after the last stage: %+v", c)
	}
	if err := c.Advance(p, Actor{"o", "lead"}, nil, "x", t0); !errors.Is(err, ErrClosed) {
		t.Errorf("advancing a closed case: %v", err)
	}
}

func TestOverrides(t *testing.T) {
	p := playbooks(t)["default"]
	cases := []struct {
		name     string
		actor    Actor
		evidence map[string]int
		override string
		wantErr  error
		recorded bool
	}{
		{"lead without reason, not owner", Actor{"l", "lead"}, map[string]int{"alert_content": 1, "detection_time": 1}, "", ErrNotOwner, false},
		{"lead with reason, not owner", Actor{"l", "lead"}, map[string]int{"alert_content": 1, "detection_time": 1}, "night shift gap", nil, true},
		{"admin skips evidence with reason", Actor{"a", "admin"}, map[string]int{}, "evidence lost with the host", nil, true},
		{"owner cannot skip evidence even with reason", Actor{"m", "monitor"}, map[string]int{}, "trust me", ErrEvidenceMissing, false},
		{"responder cannot override", Actor{"r", "responder"}, map[string]int{"alert_content": 1, "detection_time": 1}, "urgent", ErrNotOwner, false},
		{"owner with evidence records no override", Actor{"m", "monitor"}, map[string]int{"alert_content": 1, "detection_time": 2}, "extra", nil, false},
	}
	for _, tc := range cases {
		c := NewCase(p, "c", "t", "x", "low", t0)
		err := c.Advance(p, tc.actor, tc.evidence, tc.override, t0.Add(time.Minute))
		if !errors.Is(err, tc.wantErr) && !(tc.wantErr == nil && err == nil) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.wantErr)
			continue
		}
		if got := c.Stages[0].Override != ""; err == nil && got != tc.recorded {
			t.Errorf("%s: override recorded = %v (%q)", tc.name, got, c.Stages[0].Override)
		}
	}
}

func TestEscalationCriteria(t *testing.T) {
	p := playbooks(t)["default"]
	s := DefaultSettings()
	cases := []struct {
		name     string
		severity string
		stage    int
		facts    map[string]bool
		entities []string
		wantTo   string
	}{
		{"high case escalates out of detect", "high", 0, nil, nil, "analyst"},
		{"medium case does not", "medium", 0, nil, nil, ""},
		{"damage possible in analyze", "low", 1, map[string]bool{"damage_possible": true}, nil, "lead"},
		{"no damage fact", "low", 1, nil, nil, ""},
		{"business impact in decide goes to csirt", "low", 2, map[string]bool{"business_impact_expected": true}, nil, "csirt"},
		{"spreading derived from two hosts", "low", 3, nil, []string{"host.name=a", "host.name=b"}, "csirt"},
		{"one host is not spreading", "low", 3, nil, []string{"host.name=a", "user.name=x"}, ""},
		{"review always", "low", 5, nil, nil, "lead"},
	}
	for _, tc := range cases {
		c := NewCase(p, "c", "t", "x", tc.severity, t0)
		c.Stage, c.Entities = tc.stage, tc.entities
		for k, v := range tc.facts {
			c.Facts[k] = v
		}
		e := c.Evaluate(p, s, t0)
		switch {
		case tc.wantTo == "" && e != nil:
			t.Errorf("%s: escalated to %s", tc.name, e.To)
		case tc.wantTo != "" && (e == nil || e.To != tc.wantTo):
			t.Errorf("%s: %+v, want escalation to %s", tc.name, e, tc.wantTo)
		case tc.wantTo != "":
			if again := c.Evaluate(p, s, t0.Add(time.Minute)); again != nil {
				t.Errorf("%s: escalated twice", tc.name)
			}
			if (tc.wantTo == "csirt") != c.CSIRT {
				t.Errorf("%s: csirt access = %v", tc.name, c.CSIRT)
			}
		}
	}
}

func TestSLATimers(t *testing.T) {
	p := playbooks(t)["default"]
	pol := DefaultSLA()
	c := NewCase(p, "c", "t", "x", "critical", t0) // 15m / 4h / 24h
	state := func(now time.Time) string {
		var out []string
		for _, tm := range c.Timers(pol, now) {
			out = append(out, tm.Name+"="+tm.State)
		}
		return strings.Join(out, " ")
	}
	steps := []struct {
		name string
		at   time.Duration
		do   func()
		want string
	}{
		{"fresh", time.Minute, nil, "acknowledge=running contain=running resolve=running"},
		{"80% of 15 minutes", 12 * time.Minute, nil, "acknowledge=warning contain=running resolve=running"},
		{"past 15 minutes", 16 * time.Minute, nil, "acknowledge=breached contain=running resolve=running"},
		{"acknowledged late", 20 * time.Minute, func() { done := t0.Add(20 * time.Minute); c.Stages[0].CompletedAt = &done }, "acknowledge=late contain=running resolve=running"},
		{"contained in time", 3 * time.Hour, func() { done := t0.Add(3 * time.Hour); c.Stages[3].CompletedAt = &done }, "acknowledge=late contain=met resolve=running"},
		{"resolve warning", 20 * time.Hour, nil, "acknowledge=late contain=met resolve=warning"},
		{"closed in time", 23 * time.Hour, func() { done := t0.Add(23 * time.Hour); c.ClosedAt = &done }, "acknowledge=late contain=met resolve=met"},
	}
	for _, s := range steps {
		if s.do != nil {
			s.do()
		}
		if got := state(t0.Add(s.at)); got != s.want {
			t.Errorf("%s: %s, want %s", s.name, got, s.want)
		}
	}
	if tm := c.Timers(pol, t0)[0]; tm.Limit != 15*time.Minute || !tm.Deadline.Equal(t0.Add(15*time.Minute)) {
		t.Errorf("acknowledge timer = %+v", tm)
	}
}
