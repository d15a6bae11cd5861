package sqlite_test

import (
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/store"
	"github.com/yagura-soc/yagura/internal/store/storetest"
)

func TestHuntsConformance(t *testing.T) {
	storetest.RunHunts(t, func(t *testing.T, dir string) store.State { return open(t, dir) })
}

func TestHuntDue(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	ran := now.Add(-time.Hour)
	cases := []struct {
		h    store.Hunt
		want bool
	}{
		{store.Hunt{Enabled: true, Interval: time.Hour}, true},                     // never ran
		{store.Hunt{Enabled: true, Interval: time.Hour, LastRun: &ran}, true},      // exactly due
		{store.Hunt{Enabled: true, Interval: 2 * time.Hour, LastRun: &ran}, false}, // not yet
		{store.Hunt{Enabled: false, Interval: time.Hour}, false},                   // disabled
		{store.Hunt{Enabled: true}, false},                                         // saved only
	}
	for i, c := range cases {
		if got := c.h.Due(now); got != c.want {
			t.Errorf("case %d: Due = %v, want %v", i, got, c.want)
		}
	}
}
