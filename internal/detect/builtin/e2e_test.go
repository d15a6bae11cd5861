package builtin

import (
	"fmt"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/demo"
	"github.com/yagura-soc/yagura/internal/detect"
	"github.com/yagura-soc/yagura/internal/detect/sigma"
	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/normalize"
)

// demoEvent turns one demo record into an event the way the server does
// with a record whose format the source does not name: the normalizer
// detects the format, parses it with the project's parser and maps it to
// ECS.
func demoEvent(r demo.Record, id int) (*event.Event, error) {
	ev := &event.Event{
		Tenant:   "demo",
		ID:       strconv.Itoa(id),
		Ingested: r.Time,
		Source:   "demo",
		Raw:      r.Line,
	}
	normalize.Event(ev, []byte(r.Line), "")
	if ev.ParseError != "" {
		return nil, fmt.Errorf("%s", ev.ParseError)
	}
	return ev, nil
}

// storyAlerts lists, per attack story, the rules its first run must set
// off. Rules that only feed correlations are not listed: they are silent.
var storyAlerts = map[string][]string{
	demo.StorySSHBruteForce: {
		"f24fb7bf-2b8b-43cf-9bb2-9f5951ed8bf8", // SSH brute force
		"f43d10cc-db10-4374-9550-9ee5e0a02309", // brute force then login
		"686e8a21-c27b-4e2b-8cee-a08688f5e426", // root shell via sudo after login
	},
	demo.StoryPhishing: {
		"96e964db-7be8-42fb-804b-64da4b78b8a7", // encoded PowerShell
		"3fb81bcf-0597-43ee-9d7e-1fbf1aaafd87", // beaconing from a script host
		"57224fbe-2a0c-4afb-b10b-b878a525f8c8", // firewall let a C2 connection through
	},
	demo.StoryWebAttack: {
		"2b523b2b-42c2-4cec-a0ea-c8bd5f28cd99", // SQL injection
		"a3f7620e-0434-43a8-a603-25c803403720", // path traversal
		"875a2b3e-f567-42f6-81c8-993b0ea1bb4f", // scanner user agent
	},
	demo.StoryRansomware: {
		"24ee92eb-ebdd-43ce-a7a7-15329acbb3f3", // shadow copies deleted, recovery disabled
		"e42f7b26-c249-4f27-8827-00fd5972f640", // mass encryption
		"7bffbb31-c18d-417f-baf6-ef45d9c017f4", // ransom note
	},
	demo.StoryPasswordSpray: {
		"ddaa96b9-732d-4662-b885-d1a557c750b8", // password spraying
	},
	demo.StoryWindowsIntrusion: {
		"4b817a81-ea2b-4df3-8171-f29e22550ddc", // logon brute force
		"df2dc1b9-8f03-4d9c-9eb3-67d69d2492d8", // brute force then privileged logon
		"a47eb385-4b7c-4755-b17c-25b925c569a3", // added to Administrators
		"4df56e36-da92-4e41-8310-940789dbc026", // new account made admin
		"a1fbf16b-72b2-4971-aedc-910346b5312e", // security log cleared
	},
}

// demoRun is the outcome of feeding demo traffic through parse, normalize
// and the pack.
type demoRun struct {
	records  int
	perSet   map[string]int            // records per event.dataset
	byStory  map[string]map[string]int // story -> rule id -> matches
	benign   map[string]int            // rule id -> matches made only of benign events
	firstHit map[string]time.Duration  // story -> time of its first alert after start
	// lastHit is, per story and rule, the time of the rule's last match
	// after start.
	lastHit map[string]map[string]time.Duration
}

func runDemo(t *testing.T, g *demo.Generator, start time.Time, d time.Duration) demoRun {
	t.Helper()
	set, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	eng, err := sigma.NewEngine(set, sigma.Options{Placeholders: map[string][]string{PlaceholderC2: g.C2Addresses()}})
	if err != nil {
		t.Fatal(err)
	}
	run := demoRun{perSet: map[string]int{}, byStory: map[string]map[string]int{}, benign: map[string]int{}, firstHit: map[string]time.Duration{}, lastHit: map[string]map[string]time.Duration{}}
	var stories []string // by event id
	var out []detect.Match
	// Drive the generator a second at a time, as the server does.
	for now := start.Add(time.Second); !now.After(start.Add(d)); now = now.Add(time.Second) {
		for _, r := range g.Next(now) {
			run.records++
			ev, err := demoEvent(r, len(stories))
			if err != nil {
				t.Fatalf("%s record does not parse: %v\n%s", r.Source, err, r.Line)
			}
			stories = append(stories, r.Story)
			ds, _ := ev.GetString("event.dataset")
			run.perSet[ds]++
			out = eng.Detect(ev, out[:0])
			for _, m := range out {
				story := ""
				for _, e := range m.Events {
					id, _ := strconv.Atoi(e.ID)
					if s := stories[id]; s != "" {
						story = s
					}
				}
				if story == "" {
					run.benign[m.RuleID]++
					continue
				}
				if run.byStory[story] == nil {
					run.byStory[story] = map[string]int{}
				}
				run.byStory[story][m.RuleID]++
				if run.lastHit[story] == nil {
					run.lastHit[story] = map[string]time.Duration{}
				}
				run.lastHit[story][m.RuleID] = m.Time.Sub(start)
				if _, ok := run.firstHit[story]; !ok {
					run.firstHit[story] = m.Time.Sub(start)
				}
			}
		}
	}
	return run
}

// TestDemoStoriesRaiseTheirAlerts plays the first two minutes of the demo
// for a few seeds and start times (each seed varies hosts, users,
// addresses and attack variants; the night runs with a quarter of the
// background) and checks every story raised its alerts within a minute.
func TestDemoStoriesRaiseTheirAlerts(t *testing.T) {
	tests := []struct {
		seed  int64
		start time.Time
	}{
		{1, time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)},
		{2, time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)},
		{3, time.Date(2026, 11, 24, 14, 30, 0, 0, time.UTC)},
	}
	titles := ruleTitles(t)
	for _, tt := range tests {
		t.Run(fmt.Sprintf("seed %d at %s", tt.seed, tt.start.Format("15:04")), func(t *testing.T) {
			run := runDemo(t, demo.New(tt.seed, tt.start), tt.start, 120*time.Second)
			t.Logf("%d records in 120 s, per dataset: %v", run.records, run.perSet)
			checkDatasets(t, run)
			for _, story := range sortedKeys(storyAlerts) {
				for _, id := range storyAlerts[story] {
					n := run.byStory[story][id]
					t.Logf("%-18s %-55s %4d matches", story, titles[id], n)
					if n == 0 {
						t.Errorf("story %s did not set off %q (%s)", story, titles[id], id)
					}
				}
				if at, ok := run.firstHit[story]; !ok || at > time.Minute {
					t.Errorf("story %s: first alert at %v, want within a minute of start", story, at)
				}
			}
			benign := 0
			for id, n := range run.benign {
				benign += n
				t.Logf("benign traffic: %-55s %d matches", titles[id], n)
			}
			if benign > maxBenignAlerts {
				t.Errorf("%d matches on the benign part of the traffic, want at most %d", benign, maxBenignAlerts)
			}
		})
	}
}

// The stories replay every three to six minutes with new victims and
// attackers; every replay must raise the alerts again, or a demo left
// running would go quiet after its first minutes.
func TestDemoStoriesRepeat(t *testing.T) {
	start := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	// A light background: this test is about the stories.
	run := runDemo(t, demo.New(5, start, demo.WithRate(10)), start, 13*time.Minute)
	titles := ruleTitles(t)
	for _, story := range sortedKeys(storyAlerts) {
		for _, id := range storyAlerts[story] {
			// After 7 minutes every story has started its second run
			// (gaps are at most 6 minutes) and its matches are the
			// replay's, the first run's having ended long before. The
			// exception is the phishing host's beaconing, which lasts ten
			// minutes: for those two rules the first run may still count.
			if last := run.lastHit[story][id]; last < 7*time.Minute {
				t.Errorf("story %s: last %q at %v, want a replay's alert after 7 min", story, titles[id], last)
			}
		}
	}
}

func ruleTitles(t *testing.T) map[string]string {
	set, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, group := range [][]*sigma.Rule{set.Rules, set.Correlations} {
		for _, r := range group {
			out[r.ID] = r.Title
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// maxBenignAlerts bounds the matches five busy minutes of benign demo
// traffic may raise. Measured with seed 2: 2, both "Root shell via sudo
// shortly after an SSH login" for one admin who ran sudo -i twice (the
// deliberate near-miss; on average 1 in 50 admin sessions, about 0.3 per
// five minutes, so seed 2 is an unlucky draw). Every other rule: 0. The
// bound leaves room for two more such near-misses if the mix drifts, and
// fails as soon as any rule starts firing on ordinary traffic.
const maxBenignAlerts = 4

// Benign traffic alone, over five busy minutes, raises at most
// maxBenignAlerts matches. The generator's benign mix contains exactly one
// deliberate near-miss the pack should flag: an administrator who logs in
// over SSH and switches to a root shell with sudo -i (1 in 50 admin
// sessions, about 3 an hour at the default rate), which "Root shell via
// sudo shortly after an SSH login" rightly reports; everything else in the
// mix (typos, admin logons, management-agent PowerShell, internet SSH
// scanners, crawler traffic) must stay below every threshold.
func TestDemoBenignTrafficIsQuiet(t *testing.T) {
	start := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	run := runDemo(t, demo.New(2, start, demo.WithoutStories()), start, 5*time.Minute)
	titles := ruleTitles(t)
	total := 0
	for id, n := range run.benign {
		total += n
		t.Logf("%-55s %d matches", titles[id], n)
	}
	t.Logf("%d records, %d benign matches", run.records, total)
	if total > maxBenignAlerts {
		t.Errorf("%d matches on benign traffic, want at most %d", total, maxBenignAlerts)
	}
}

// checkDatasets asserts every kind of demo record reached the dataset its
// rules select: a record the normalizer files elsewhere is invisible to
// the pack.
func checkDatasets(t *testing.T, run demoRun) {
	t.Helper()
	for _, ds := range []string{
		event.DatasetWindowsSecurity, event.DatasetWindowsSysmon, event.DatasetLinuxAuth,
		event.DatasetLinuxAuditd, event.DatasetFirewall, event.DatasetWebAccess,
	} {
		if run.perSet[ds] == 0 {
			t.Errorf("no demo record normalized to dataset %s", ds)
		}
	}
	for _, ds := range []string{event.DatasetGeneric, ""} {
		if run.perSet[ds] > 0 {
			t.Errorf("%d demo records normalized to dataset %q", run.perSet[ds], ds)
		}
	}
}
