package web

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/store"
)

// The overview's intake table shows each of the tenant's sources with its
// rate, events, parse errors and last arrival, and no other tenant's.
func TestIntakeHealth(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	now := time.Now().UTC()
	var evs []*event.Event
	add := func(tenant, source string, n int, ingested time.Time, parseError string) {
		for i := range n {
			evs = append(evs, &event.Event{Tenant: tenant, ID: fmt.Sprint(tenant, source, parseError, i), Source: source,
				Timestamp: ingested, Ingested: ingested, Raw: "line", ParseError: parseError})
		}
	}
	add(store.DefaultTenant, "syslog-udp", 600, now.Add(-time.Minute), "")
	add(store.DefaultTenant, "syslog-udp", 3, now.Add(-time.Minute), "no parser matched")
	add(store.DefaultTenant, "hec", 40, now.Add(-3*time.Hour), "")  // quiet for three hours
	add(store.DefaultTenant, "relp", 5, now.Add(-48*time.Hour), "") // older than the table's day
	add("acme", "acme-firewall", 10, now.Add(-time.Minute), "")
	if err := f.events.Append(ctx, evs); err != nil {
		t.Fatal(err)
	}
	body, ok := getPage(t, f.session(t, "ana"), f.srv.URL, "/ui/", []string{"Intake health per source", `data-intake`}, []string{"acme-firewall", `data-source="relp"`})
	if !ok {
		return
	}
	row := func(source string) string {
		i := strings.Index(body, `data-source="`+source+`"`)
		if i < 0 {
			t.Fatalf("no row for %s", source)
		}
		return body[i : i+strings.Index(body[i:], "</tr>")]
	}
	// 603 events in the last five minutes: 2.0 per second.
	for source, want := range map[string][]string{
		"syslog-udp": {`<td class="num">2.0</td><td class="num">603</td><td class="num warn">3</td>`},
		"hec":        {`<td class="num">0.0</td><td class="num">40</td><td class="num">0</td>`, now.Add(-3 * time.Hour).In(tokyo(t)).Format("2006-01-02 15:04")},
	} {
		for _, w := range want {
			if r := row(source); !strings.Contains(r, w) {
				t.Errorf("%s: row %s lacks %s", source, r, w)
			}
		}
	}
	if strings.Index(body, `data-source="syslog-udp"`) > strings.Index(body, `data-source="hec"`) {
		t.Error("the busiest source is not first")
	}
}

func tokyo(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
