package hunt_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/detect/sigma"
	"github.com/yagura-soc/yagura/internal/hunt"
	"github.com/yagura-soc/yagura/internal/store"
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
	// A page of 1 makes every event a full page, so the keyset has to
	// carry the read forward.
	matches, err := hunt.RetroHunt(ctx, events, "acme", day, day.Add(24*time.Hour), engine,
		hunt.RetroOptions{PageSize: 1, Progress: func(p hunt.RetroProgress) { progress = append(progress, p) }})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range matches {
		ids = append(ids, m.Events[0].ID)
		if !slices.Contains(m.Tags, hunt.TagRetroHunt) || m.Tenant != "acme" {
			t.Errorf("match %+v", m)
		}
	}
	// acme events 0..7 are in the day (every 3h); user1 is 1, 4, 7; oldest first.
	if len(ids) != 3 || ids[0] != "a01" || ids[1] != "a04" || ids[2] != "a07" {
		t.Errorf("matched %v", ids)
	}
	last := progress[len(progress)-1]
	if last.Scanned != 8 || last.Total != 8 || last.Matches != 3 || !last.Until.Equal(day.Add(24*time.Hour)) {
		t.Errorf("last progress %+v", last)
	}
	for i := 1; i < len(progress); i++ {
		if progress[i].Scanned < progress[i-1].Scanned || progress[i].Until.Before(progress[i-1].Until) {
			t.Errorf("progress went back: %+v then %+v", progress[i-1], progress[i])
		}
	}
	if progress[0].Scanned != 1 || len(progress) < 8 {
		t.Errorf("progress %+v: want a report per page and per hour with events", progress)
	}

	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Tenants().Create(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	alerts, err := hunt.RaiseAlerts(ctx, st, "acme", "alice", matches, map[string]any{"rules": 1})
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
	engine, err := sigma.NewEngine(&sigma.RuleSet{}, sigma.Options{})
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
