package notify

import (
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/store"
)

// Route settings come from API clients: validating and matching them must
// never panic, and a route that validates must be usable.
func FuzzRoute(f *testing.F) {
	for _, s := range []string{"08:00-18:00", "18:00-08:00", "00:00-00:00", "8-18", "", "-", "25:00-26:00", "08:00-"} {
		f.Add(s, "Europe/Berlin", "mon", "high")
	}
	f.Fuzz(func(t *testing.T, hours, zone, day, sev string) {
		r := store.Route{Name: "r", Channels: []string{"c"}, Hours: hours, TimeZone: zone, Weekdays: []string{day},
			MinSeverity: sev, Enabled: true}
		err := ValidateRoute(r)
		for day := range 7 { // 2026-03-01 is a Sunday
			at := time.Date(2026, 3, 1+day, 12, 0, 0, 0, time.UTC)
			if err != nil && Matches(r, store.Alert{Severity: "critical"}, at) {
				t.Errorf("an invalid route matched on %s: %+v (%v)", at.Weekday(), r, err)
			}
		}
	})
}
