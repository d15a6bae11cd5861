package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/store"
)

// CompileHunt compiles a hunt query to the store's dialect (hunt.Compile
// for DuckDB), with the given row limit.
type CompileHunt func(query string, limit int) (store.CompiledQuery, error)

func huntEvent(tenant, id string, ts time.Time, host, user, ip string, bytes int64, raw string) *event.Event {
	ev := &event.Event{
		Tenant: tenant, ID: id, Timestamp: ts, Ingested: ts.Add(time.Second), Source: "test", Raw: raw,
		Fields: event.Fields{"EventID": int64(4625), "Image": `C:\Windows\System32\cmd.exe`},
		ECS: event.Fields{"host.name": host, "event.dataset": "windows.security",
			"source.ip": ip, "network.bytes": bytes},
	}
	if user != "" {
		ev.ECS["user.name"] = user
	}
	return ev
}

// RunEventQuery runs the conformance suite of EventStore.Query: hunts
// compiled by compile must give the same answers on every store, and never
// cross a tenant.
func RunEventQuery(t *testing.T, open OpenEventStore, compile CompileHunt) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	defer s.Close()
	batch := []*event.Event{
		huntEvent("acme", "a1", day0.Add(1*time.Hour), "ws-01", "alice", "10.1.2.3", 100, "logon failed for alice"),
		huntEvent("acme", "a2", day0.Add(2*time.Hour), "ws-02", "bob", "10.1.9.9", 250, "logon failed for bob"),
		huntEvent("acme", "a3", day0.Add(3*time.Hour), "ws-01", "alice", "192.0.2.7", 50, "logon ok for alice"),
		huntEvent("acme", "a4", day0.Add(26*time.Hour), "srv-db", "", "198.51.100.20", 4000, "backup started zqxjv"),
		huntEvent("other", "o1", day0.Add(1*time.Hour), "ws-01", "alice", "10.1.2.3", 100, "logon failed for alice"),
		huntEvent("other", "o2", day0.Add(2*time.Hour), "evil", "mallory", "10.6.6.6", 9, "secret of other"),
	}
	if err := s.Append(ctx, batch); err != nil {
		t.Fatalf("Append: %v", err)
	}
	run := func(t *testing.T, tenant, q string, from, to time.Time) store.QueryResult {
		t.Helper()
		cq, err := compile(q, 100)
		if err != nil {
			t.Fatalf("compile %q: %v", q, err)
		}
		res, err := s.Query(ctx, tenant, from, to, cq)
		if err != nil {
			t.Fatalf("Query %q: %v", q, err)
		}
		return res
	}
	ids := func(res store.QueryResult) string {
		out := make([]string, len(res.Events))
		for i, ev := range res.Events {
			out[i] = ev.ID
		}
		return strings.Join(out, ",")
	}
	rows := func(res store.QueryResult) string {
		out := make([]string, len(res.Rows))
		for i, r := range res.Rows {
			out[i] = strings.TrimSuffix(fmt.Sprintln(r...), "\n")
		}
		return strings.Join(out, ";")
	}

	events := []struct{ name, q, want string }{
		{"everything, newest first", "", "a4,a3,a2,a1"},
		{"typed column", "user.name:alice", "a3,a1"},
		{"case-insensitive", "host.name:WS-01", "a3,a1"},
		{"json field", "network.bytes:250", "a2"},
		{"native field", "EventID:4625 user.name:bob", "a2"},
		{"wildcard", "host.name:ws-0?", "a3,a2,a1"},
		{"phrase", `"logon failed"`, "a2,a1"},
		{"bare word", "zqxjv", "a4"},
		{"compare number", "network.bytes:>=250", "a4,a2"},
		{"range", "network.bytes:[60 TO 250]", "a2,a1"},
		{"cidr", "source.ip:10.1.0.0/16", "a2,a1"},
		{"cidr excludes", "NOT source.ip:10.0.0.0/8", "a4,a3"},
		{"cidr within the last octet", "source.ip:192.0.2.6/31", "a3"},
		{"cidr of one address", "source.ip:10.1.9.9/32", "a2"},
		{"cidr across octets", "source.ip:10.1.0.0/20", "a2,a1"},
		{"regex", `user.name:/^b.b$/`, "a2"},
		{"exists", "user.name:*", "a3,a2,a1"},
		{"not matches missing fields", "NOT user.name:alice", "a4,a2"},
		{"or and parentheses", "(user.name:bob OR host.name:srv-db) network.bytes:>100", "a4,a2"},
		{"timestamp", "@timestamp:>=2026-03-10T02:00:00Z @timestamp:<2026-03-11", "a3,a2"},
		{"where sort head", "| where network.bytes > 60 | sort network.bytes | head 2", "a1,a2"},
		{"dedup keeps newest", "| dedup host.name", "a4,a3,a2"},
	}
	for _, c := range events {
		t.Run("events/"+c.name, func(t *testing.T) {
			res := run(t, "acme", c.q, time.Time{}, time.Time{})
			if got := ids(res); got != c.want {
				t.Errorf("%q: ids = %s, want %s", c.q, got, c.want)
			}
			if want := int64(len(strings.Split(c.want, ","))); res.Total != want {
				t.Errorf("%q: total = %d, want %d", c.q, res.Total, want)
			}
		})
	}

	tables := []struct{ name, q, want string }{
		{"stats count by", "| stats count() by host.name", "srv-db 1;ws-01 2;ws-02 1"},
		{"stats aggregations", "| stats count(), dc(user.name), sum(network.bytes), min(network.bytes), max(network.bytes), avg(network.bytes)",
			"4 2 4400 50 4000 1100"},
		{"stats values", "user.name:* | stats values(host.name) as hosts by user.name", "alice [ws-01];bob [ws-02]"},
		{"stats then where and sort", "| stats count() as n by user.name | where n > 1 | sort -n", "alice 2"},
		{"top", "| top 1 host.name", "ws-01 2 50"},
		{"rare", "| rare 1 host.name", "srv-db 1 25"},
		{"fields", "user.name:alice | fields user.name, network.bytes", "alice 50;alice 100"},
		{"timechart", "user.name:alice | timechart span=1h count()", "2026-03-10 01:00:00 +0000 UTC 1;2026-03-10 03:00:00 +0000 UTC 1"},
	}
	for _, c := range tables {
		t.Run("rows/"+c.name, func(t *testing.T) {
			res := run(t, "acme", c.q, time.Time{}, time.Time{})
			if got := rows(res); got != c.want {
				t.Errorf("%q: rows = %s, want %s", c.q, got, c.want)
			}
		})
	}

	t.Run("time range", func(t *testing.T) {
		res := run(t, "acme", "", day0.Add(90*time.Minute), day0.Add(25*time.Hour))
		if got := ids(res); got != "a3,a2" {
			t.Errorf("ids = %s, want a3,a2", got)
		}
	})
	t.Run("whole days in range", func(t *testing.T) {
		res := run(t, "acme", "", day0, day0.Add(48*time.Hour))
		if got := ids(res); got != "a4,a3,a2,a1" {
			t.Errorf("ids = %s, want all four", got)
		}
	})
	t.Run("limit keeps the total", func(t *testing.T) {
		for _, q := range []string{"", "| stats count() by network.bytes"} {
			cq, err := compile(q, 2)
			if err != nil {
				t.Fatal(err)
			}
			res, err := s.Query(ctx, "acme", time.Time{}, time.Time{}, cq)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Events)+len(res.Rows) != 2 || res.Total != 4 {
				t.Errorf("%q: %d rows, total %d; want 2 of 4", q, len(res.Events)+len(res.Rows), res.Total)
			}
		}
	})
	t.Run("tenant isolation", func(t *testing.T) {
		for _, q := range []string{"", "mallory", "user.name:mallory", "| stats count()", "secret"} {
			res := run(t, "acme", q, time.Time{}, time.Time{})
			for _, ev := range res.Events {
				if ev.Tenant != "acme" {
					t.Errorf("%q returned %s of tenant %s", q, ev.ID, ev.Tenant)
				}
			}
			if q == "| stats count()" && rows(res) != "4" {
				t.Errorf("count over acme = %s, want 4", rows(res))
			}
			if q != "" && q != "| stats count()" && res.Total != 0 {
				t.Errorf("%q found %d events of another tenant", q, res.Total)
			}
		}
	})
	t.Run("tenant without events", func(t *testing.T) {
		res := run(t, "nobody", "| stats count()", time.Time{}, time.Time{})
		if rows(res) != "0" {
			t.Errorf("count = %s, want 0", rows(res))
		}
		if res := run(t, "nobody", "alice", time.Time{}, time.Time{}); res.Total != 0 || len(res.Events) != 0 {
			t.Errorf("found %d events", res.Total)
		}
	})
	t.Run("event keys", func(t *testing.T) {
		cq, err := compile("", 100)
		if err != nil {
			t.Fatal(err)
		}
		whole, err := s.Query(ctx, "acme", time.Time{}, time.Time{}, cq)
		if err != nil {
			t.Fatal(err)
		}
		cq.EventKeys = []string{"Image", "host.name", "user.name", "absent"}
		cut, err := s.Query(ctx, "acme", time.Time{}, time.Time{}, cq)
		if err != nil {
			t.Fatal(err)
		}
		if len(cut.Events) != 4 || len(whole.Events) != 4 {
			t.Fatalf("%d and %d events, want 4", len(cut.Events), len(whole.Events))
		}
		for i, ev := range cut.Events {
			w := whole.Events[i]
			if ev.ID != w.ID || !ev.Timestamp.Equal(w.Timestamp) || ev.Tenant != "acme" || ev.Source != w.Source {
				t.Errorf("attributes %+v, want those of %+v", ev, w)
			}
			want := event.Fields{"Image": w.Fields["Image"], "host.name": w.ECS["host.name"]}
			if u, ok := w.ECS["user.name"]; ok {
				want["user.name"] = u
			}
			got := event.Fields{}
			for _, f := range []event.Fields{ev.Fields, ev.ECS} {
				for k, v := range f {
					got[k] = v
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s: fields %v, want only %v", ev.ID, got, want)
			}
		}
	})
	t.Run("query without tenant is refused", func(t *testing.T) {
		cq, err := compile("", 10)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Query(ctx, "", time.Time{}, time.Time{}, cq); err == nil {
			t.Fatal("Query without tenant succeeded")
		}
	})
}
