package hunt_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/demo"
	"github.com/yagura-soc/yagura/internal/detect"
	"github.com/yagura-soc/yagura/internal/detect/builtin"
	"github.com/yagura-soc/yagura/internal/detect/sigma"
	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/hunt"
	"github.com/yagura-soc/yagura/internal/normalize"
	"github.com/yagura-soc/yagura/internal/store"
	"github.com/yagura-soc/yagura/internal/store/duckdb"
	"github.com/yagura-soc/yagura/internal/store/sqlite"
)

const user1Rule = `title: user1 logon failure
id: 5f1d7c1e-0000-4000-8000-000000000001
status: test
level: high
logsource:
  product: windows
  service: security
detection:
  sel:
    user.name: user1
  condition: sel
`

func TestRetroHunt(t *testing.T) {
	ctx := context.Background()
	events := openSeeded(t)
	rules, rejected := sigma.ParseRules("test.yml", []byte(user1Rule))
	if len(rejected) > 0 {
		t.Fatal(rejected)
	}
	set := &sigma.RuleSet{}
	set.Add(rules...)
	engine, err := sigma.NewEngine(set, sigma.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var progress []hunt.RetroProgress
	var ids []string
	// A page of 1 makes every event a full page, so the keyset has to
	// carry the read forward.
	res, err := hunt.RetroHunt(ctx, events, "acme", day, day.Add(24*time.Hour), engine, hunt.RetroOptions{PageSize: 1,
		Progress: func(p hunt.RetroProgress) { progress = append(progress, p) },
		OnMatch: func(m detect.Match) {
			ids = append(ids, m.Events[0].ID)
			if !slices.Contains(m.Tags, hunt.TagRetroHunt) || m.Tenant != "acme" {
				t.Errorf("match %+v", m)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	// acme events 0..7 are in the day (every 3h); user1 is 1, 4, 7; oldest first.
	if len(ids) != 3 || ids[0] != "a01" || ids[1] != "a04" || ids[2] != "a07" {
		t.Errorf("matched %v", ids)
	}
	// The three matches are merged as they come: one rule, one host, one
	// user make one alert holding the three events.
	if res.Matches != 3 || len(res.Alerts) != 1 || res.Alerts[0].Count != 3 || !slices.Equal(res.Alerts[0].EventIDs, ids) {
		t.Errorf("result %+v", res)
	}
	// The rule needs user.name to hold user1, a typed column: the other
	// five events of the day are never read.
	last := progress[len(progress)-1]
	if last.Scanned != 3 || last.Skipped != 5 || last.Total != 8 || last.Matches != 3 || !last.Until.Equal(day.Add(24*time.Hour)) {
		t.Errorf("last progress %+v", last)
	}
	for i := 1; i < len(progress); i++ {
		if progress[i].Scanned < progress[i-1].Scanned || progress[i].Until.Before(progress[i-1].Until) {
			t.Errorf("progress went back: %+v then %+v", progress[i-1], progress[i])
		}
	}
	if len(progress) < 8 {
		t.Errorf("progress %+v: want a report per window", progress)
	}

	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Tenants().Create(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	alerts, err := hunt.RaiseAlerts(ctx, st, "acme", "alice", res, map[string]any{"rules": 1})
	if err != nil {
		t.Fatal(err)
	}
	// One rule, one host, one user: live detection's dedup makes one alert.
	if len(alerts) != 1 || alerts[0].Count != 3 || alerts[0].Severity != "high" || !slices.Contains(alerts[0].Tags, hunt.TagRetroHunt) {
		t.Errorf("alerts %+v", alerts)
	}
	recs, _, _ := st.Scope("acme").Audit().List(ctx, store.AuditFilter{})
	if len(recs) == 0 || recs[len(recs)-1].Action != "hunt.retro" {
		t.Errorf("retro-hunt not audited: %+v", recs)
	}
	if _, err := hunt.RetroHunt(ctx, events, "acme", day, day, engine, hunt.RetroOptions{}); err == nil {
		t.Error("empty range accepted")
	}
}

// failingStore fails every event read after the first few.
type failingStore struct {
	store.EventStore
	reads     atomic.Int64 // the hours are read concurrently
	failAfter int64
}

func (f *failingStore) Query(ctx context.Context, tenant string, from, to time.Time, q store.CompiledQuery) (store.QueryResult, error) {
	if q.Events {
		if f.reads.Add(1) > f.failAfter {
			return store.QueryResult{}, errors.New("disk on fire")
		}
	}
	return f.EventStore.Query(ctx, tenant, from, to, q)
}

// A read that fails ends the retro-hunt with its error, whichever hour
// was being read ahead, and leaves no reader behind.
func TestRetroHuntReadError(t *testing.T) {
	rules, _ := sigma.ParseRules("test.yml", []byte(user1Rule))
	set := &sigma.RuleSet{}
	set.Add(rules...)
	engine, err := sigma.NewEngine(set, sigma.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, failAfter := range []int64{0, 3, 10} {
		es := &failingStore{EventStore: openSeeded(t), failAfter: failAfter}
		_, err := hunt.RetroHunt(context.Background(), es, "acme", day, day.Add(48*time.Hour), engine, hunt.RetroOptions{PageSize: 1, ReadAhead: 1})
		if err == nil || !strings.Contains(err.Error(), "disk on fire") {
			t.Errorf("fail after %d reads: %v", failAfter, err)
		}
	}
}

// seenDetector records the events it is shown, in order, and matches none.
type seenDetector struct{ ids []string }

func (d *seenDetector) Detect(ev *event.Event, out []detect.Match) []detect.Match {
	d.ids = append(d.ids, ev.ID)
	return out
}

// The range is read in windows of at most a page, planned from per-minute
// counts: sparse minutes share a window read in one unsorted query, a
// minute denser than a page is read in keyset pages. Either way the rules
// see every event once, in (@timestamp, id) order.
func TestRetroHuntWindows(t *testing.T) {
	ctx := context.Background()
	es, err := duckdb.Open(ctx, filepath.Join(t.TempDir(), "events.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer es.Close()
	var batch, want []*event.Event
	add := func(id string, ts time.Time) {
		batch = append(batch, &event.Event{Tenant: "acme", ID: id, Timestamp: ts, Ingested: ts, Source: "test", Raw: id})
	}
	// Stored out of order: a burst of 7 in one minute (three at one
	// instant), single events in other minutes, an empty hour between.
	burst := day.Add(2*time.Hour + 30*time.Second)
	for i, id := range []string{"b6", "b5", "b4", "b3", "b2", "b1", "b0"} {
		add(id, burst.Add(time.Duration(min(6-i, 3))*time.Second))
	}
	for i, id := range []string{"s4", "s3", "s2", "s1", "s0"} {
		add(id, day.Add(time.Duration(4-i)*17*time.Minute))
	}
	add("t0", day.Add(5*time.Hour))
	add("t1", day.Add(5*time.Hour+time.Minute))
	if err := es.Append(ctx, batch); err != nil {
		t.Fatal(err)
	}
	want = append(want, batch...)
	slices.SortFunc(want, func(a, b *event.Event) int {
		if c := a.Timestamp.Compare(b.Timestamp); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	var wantIDs []string
	for _, ev := range want {
		wantIDs = append(wantIDs, ev.ID)
	}
	for _, pageSize := range []int{1, 2, 3, 100} {
		det := &seenDetector{}
		var last hunt.RetroProgress
		if _, err := hunt.RetroHunt(ctx, es, "acme", day, day.Add(24*time.Hour), det, hunt.RetroOptions{PageSize: pageSize, ReadAhead: 1,
			Progress: func(p hunt.RetroProgress) { last = p }}); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(det.ids, wantIDs) {
			t.Errorf("page %d: rules saw %v, want %v", pageSize, det.ids, wantIDs)
		}
		if last.Scanned != int64(len(wantIDs)) || last.Total != int64(len(wantIDs)) || !last.Until.Equal(day.Add(24*time.Hour)) {
			t.Errorf("page %d: last progress %+v", pageSize, last)
		}
	}
}

// wholeEvents hides a detector's EventKeys and Scope, so the retro-hunt
// reads every event, whole.
type wholeEvents struct{ detect.Detector }

// Reading only the fields the rules and alerts use changes nothing: the
// built-in pack over a stretch of the demo company's normalized events
// raises the same alerts from the same matches as over whole events.
func TestRetroHuntEventKeys(t *testing.T) {
	ctx := context.Background()
	es, err := duckdb.Open(ctx, filepath.Join(t.TempDir(), "events.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer es.Close()
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	gen := demo.New(42, start, demo.WithRate(2))
	var batch []*event.Event
	end := start.Add(3 * time.Hour)
	for now := start; now.Before(end); now = now.Add(time.Minute) {
		for i, r := range gen.Next(now) {
			ev := &event.Event{Tenant: "acme", ID: fmt.Sprintf("%s-%05d", now.Format("150405"), i), Ingested: r.Time, Source: "demo", Raw: r.Line}
			normalize.Event(ev, []byte(r.Line), "")
			if ev.Timestamp.IsZero() {
				ev.Timestamp = r.Time
			}
			ev.Timestamp = ev.Timestamp.UTC()
			batch = append(batch, ev)
		}
	}
	if err := es.Append(ctx, batch); err != nil {
		t.Fatal(err)
	}
	pack, err := builtin.Load()
	if err != nil {
		t.Fatal(err)
	}
	// A rule that reads only the event code: the alerts' entities come
	// from fields only the alert stage reads.
	logons, rejected := sigma.ParseRules("logon.yml", []byte(`title: any logon
id: 5f1d7c1e-0000-4000-8000-000000000002
level: low
logsource:
  product: windows
  service: security
detection:
  sel:
    EventID: 4624
  condition: sel
`))
	if len(rejected) > 0 {
		t.Fatal(rejected)
	}
	logonSet := &sigma.RuleSet{}
	logonSet.Add(logons...)
	for name, set := range map[string]*sigma.RuleSet{"built-in pack": pack, "logon rule": logonSet} {
		newEngine := func() *sigma.Engine {
			e, err := sigma.NewEngine(set, sigma.Options{Placeholders: map[string][]string{builtin.PlaceholderC2: gen.C2Addresses()}})
			if err != nil {
				t.Fatal(err)
			}
			return e
		}
		cutEngine := newEngine()
		if keys, all := cutEngine.EventKeys(); all || len(keys) == 0 {
			t.Fatalf("%s: reads the whole event (%d keys)", name, len(keys))
		}
		cut, err := hunt.RetroHunt(ctx, es, "acme", start, end, cutEngine, hunt.RetroOptions{PageSize: 500})
		if err != nil {
			t.Fatal(err)
		}
		whole, err := hunt.RetroHunt(ctx, es, "acme", start, end, wholeEvents{newEngine()}, hunt.RetroOptions{PageSize: 500})
		if err != nil {
			t.Fatal(err)
		}
		rules := map[string]bool{}
		for _, a := range whole.Alerts {
			rules[a.RuleID] = true
		}
		if whole.Matches < 50 || (set == pack && len(rules) < 3) {
			t.Fatalf("%s: %d events gave %d matches of %d rules: too few to compare", name, len(batch), whole.Matches, len(rules))
		}
		t.Logf("%s: %d events, %d matches, %d alerts of %d rules", name, len(batch), whole.Matches, len(whole.Alerts), len(rules))
		if cut.Matches != whole.Matches || !reflect.DeepEqual(cut.Alerts, whole.Alerts) {
			t.Errorf("%s: reading only the rules' fields: %d matches, %d alerts; whole events: %d matches, %d alerts",
				name, cut.Matches, len(cut.Alerts), whole.Matches, len(whole.Alerts))
		}
	}
}

// Events no rule could match, by dataset or event code, are never read;
// an event routed by its Windows channel (no stored dataset), or whose
// native fields carry their own event code, still is.
func TestRetroHuntScope(t *testing.T) {
	ctx := context.Background()
	es, err := duckdb.Open(ctx, filepath.Join(t.TempDir(), "events.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer es.Close()
	ts := day.Add(time.Hour)
	mk := func(id string, ecs, fields event.Fields) *event.Event {
		return &event.Event{Tenant: "acme", ID: id, Timestamp: ts, Ingested: ts, Source: "test", ECS: ecs, Fields: fields}
	}
	cmd := `C:\Windows\System32\cmd.exe`
	batch := []*event.Event{
		mk("e1", event.Fields{"event.dataset": "windows.sysmon", "event.code": "1"}, event.Fields{"Image": cmd}),
		mk("e2", event.Fields{"event.dataset": "windows.sysmon", "event.code": "3"}, event.Fields{"Image": cmd}),
		mk("e3", event.Fields{"event.dataset": "linux.auth"}, event.Fields{"Image": cmd}),
		mk("e4", nil, event.Fields{"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": int64(1), "Image": cmd}),
		mk("e5", event.Fields{"event.dataset": "windows.sysmon", "event.code": "3"}, event.Fields{"event.code": "1", "Image": cmd}),
		mk("e6", event.Fields{"event.dataset": "windows.security", "event.code": "4688"}, event.Fields{"NewProcessName": cmd}),
		// The ssh rule needs the message, a typed column, to hold its text;
		// a native "message" is read before the ECS one.
		mk("s1", event.Fields{"event.dataset": "linux.auth", "message": "Failed password for root from 203.0.113.9"}, nil),
		mk("s2", event.Fields{"event.dataset": "linux.auth", "message": "Accepted password for root"}, nil),
		mk("s3", event.Fields{"event.dataset": "linux.auth", "message": "session opened"}, event.Fields{"message": "FAILED PASSWORD for bob"}),
	}
	if err := es.Append(ctx, batch); err != nil {
		t.Fatal(err)
	}
	rules, rejected := sigma.ParseRules("cmd.yml", []byte(`title: cmd started
id: 5f1d7c1e-0000-4000-8000-000000000003
level: medium
logsource:
  product: windows
  category: process_creation
detection:
  sel:
    Image|endswith: \cmd.exe
  condition: sel
---
title: ssh failure
id: 5f1d7c1e-0000-4000-8000-000000000004
level: low
logsource:
  product: linux
  service: auth
detection:
  sel:
    message|contains: failed password
  condition: sel
`))
	if len(rejected) > 0 {
		t.Fatal(rejected)
	}
	set := &sigma.RuleSet{}
	set.Add(rules...)
	for _, scoped := range []bool{true, false} {
		engine, err := sigma.NewEngine(set, sigma.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var det detect.Detector = engine
		if !scoped {
			det = wholeEvents{engine}
		}
		var matched []string
		var last hunt.RetroProgress
		if _, err := hunt.RetroHunt(ctx, es, "acme", day, day.Add(24*time.Hour), det, hunt.RetroOptions{
			Progress: func(p hunt.RetroProgress) { last = p },
			OnMatch:  func(m detect.Match) { matched = append(matched, m.Events[0].ID) }}); err != nil {
			t.Fatal(err)
		}
		slices.Sort(matched)
		if want := []string{"e1", "e4", "e5", "e6", "s1", "s3"}; !slices.Equal(matched, want) {
			t.Errorf("scoped=%v: matched %v, want %v", scoped, matched, want)
		}
		wantSkipped := int64(3) // e2, e3, s2
		if !scoped {
			wantSkipped = 0
		}
		if last.Total != 9 || last.Skipped != wantSkipped || last.Scanned != 9-wantSkipped {
			t.Errorf("scoped=%v: progress %+v, want 9 events, %d skipped", scoped, last, wantSkipped)
		}
	}
}
