// Package storetest holds the conformance suites that every store
// implementation runs: the embedded defaults and any scale-out backend must
// behave identically for the callers that only know package store.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/store"
)

// OpenEventStore opens (or reopens) an event store kept in dir.
type OpenEventStore func(t *testing.T, dir string) store.EventStore

var day0 = time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)

func sampleEvent(tenant, id string, ts time.Time, host, user, raw string) *event.Event {
	return &event.Event{
		Tenant: tenant, ID: id, Timestamp: ts, Ingested: ts.Add(time.Second),
		Source: "test", Raw: raw,
		Fields: event.Fields{"Image": `C:\Windows\System32\cmd.exe`, "EventID": int64(1), "ratio": 0.5,
			// A native name with a backslash and a quote, as registry
			// and file-share fields carry: it must be read as one key.
			`HKLM\"Run"\`: "updater"},
		ECS: event.Fields{
			"host.name": host, "user.name": user, "event.dataset": "windows.sysmon",
			"event.category": []any{"process"}, "process.pid": int64(4242),
		},
	}
}

// RunEventStore runs the event store conformance suite.
func RunEventStore(t *testing.T, open OpenEventStore) {
	ctx := context.Background()
	seed := func(t *testing.T, s store.EventStore) {
		t.Helper()
		batch := []*event.Event{
			sampleEvent("acme", "e1", day0.Add(1*time.Hour), "ws-01", "alice", "login ok for alice"),
			sampleEvent("acme", "e2", day0.Add(2*time.Hour), "ws-02", "bob", "login FAILED for bob"),
			sampleEvent("acme", "e3", day0.Add(26*time.Hour), "srv-db", "alice", "backup started"),
			sampleEvent("other", "o1", day0.Add(3*time.Hour), "ws-01", "alice", "login ok for alice"),
		}
		if err := s.Append(ctx, batch); err != nil {
			t.Fatalf("Append: %v", err)
		}
	}
	ids := func(p store.EventPage) []string {
		out := make([]string, len(p.Items))
		for i, ev := range p.Items {
			out[i] = ev.ID
		}
		return out
	}

	t.Run("search", func(t *testing.T) {
		s := open(t, t.TempDir())
		defer s.Close()
		seed(t, s)
		cases := []struct {
			name string
			q    store.EventQuery
			want []string
		}{
			{"newest first", store.EventQuery{Tenant: "acme"}, []string{"e3", "e2", "e1"}},
			{"limit keeps total", store.EventQuery{Tenant: "acme", Limit: 1}, []string{"e3"}},
			{"typed column, case-insensitive", store.EventQuery{Tenant: "acme", Terms: []store.Term{{Field: "user.name", Value: "ALICE"}}}, []string{"e3", "e1"}},
			{"json field", store.EventQuery{Tenant: "acme", Terms: []store.Term{{Field: "process.pid", Value: "4242"}}}, []string{"e3", "e2", "e1"}},
			{"by event id", store.EventQuery{Tenant: "acme", Terms: []store.Term{{Field: "event.id", Value: "e2"}}}, []string{"e2"}},
			{"native field", store.EventQuery{Tenant: "acme", Terms: []store.Term{{Field: "Image", Value: `C:\Windows\System32\cmd.exe`}}}, []string{"e3", "e2", "e1"}},
			{"wildcard", store.EventQuery{Tenant: "acme", Terms: []store.Term{{Field: "host.name", Value: "ws-*"}}}, []string{"e2", "e1"}},
			{"field name with backslash and quote", store.EventQuery{Tenant: "acme", Terms: []store.Term{{Field: `HKLM\"Run"\`, Value: "updater"}}}, []string{"e3", "e2", "e1"}},
			{"terms are ANDed", store.EventQuery{Tenant: "acme", Terms: []store.Term{{Field: "host.name", Value: "ws-*"}, {Field: "user.name", Value: "bob"}}}, []string{"e2"}},
			{"bare word in raw", store.EventQuery{Tenant: "acme", Terms: []store.Term{{Field: "", Value: "failed"}}}, []string{"e2"}},
			{"time range", store.EventQuery{Tenant: "acme", From: day0.Add(90 * time.Minute), To: day0.Add(25 * time.Hour)}, []string{"e2"}},
			{"no match", store.EventQuery{Tenant: "acme", Terms: []store.Term{{Field: "user.name", Value: "mallory"}}}, []string{}},
			{"like metacharacters are literal", store.EventQuery{Tenant: "acme", Terms: []store.Term{{Field: "", Value: "%"}}}, []string{}},
			{"tenant isolation", store.EventQuery{Tenant: "other"}, []string{"o1"}},
			{"unknown tenant", store.EventQuery{Tenant: "nobody"}, []string{}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				page, err := s.Search(ctx, c.q)
				if err != nil {
					t.Fatalf("Search: %v", err)
				}
				got := ids(page)
				if fmt.Sprint(got) != fmt.Sprint(c.want) {
					t.Errorf("ids = %v, want %v", got, c.want)
				}
				if c.q.Limit == 0 && page.Total != len(c.want) {
					t.Errorf("total = %d, want %d", page.Total, len(c.want))
				}
				if c.q.Limit == 1 && page.Total != 3 {
					t.Errorf("total with limit = %d, want 3", page.Total)
				}
			})
		}
	})

	t.Run("search without tenant is refused", func(t *testing.T) {
		s := open(t, t.TempDir())
		defer s.Close()
		if _, err := s.Search(ctx, store.EventQuery{}); err == nil {
			t.Fatal("Search without tenant succeeded")
		}
	})

	t.Run("round trip keeps every field", func(t *testing.T) {
		dir := t.TempDir()
		s := open(t, dir)
		want := sampleEvent("acme", "rt", day0.Add(time.Hour+123456*time.Microsecond), "ws-01", "alice", "raw\ttext \"quoted\"")
		want.ParseError = "no parser matched"
		if err := s.Append(ctx, []*event.Event{want}); err != nil {
			t.Fatal(err)
		}
		// Reopen: what Append acknowledged must be on disk.
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		s = open(t, dir)
		defer s.Close()
		page, err := s.Search(ctx, store.EventQuery{Tenant: "acme"})
		if err != nil || len(page.Items) != 1 {
			t.Fatalf("Search = %v, %v", page, err)
		}
		got := page.Items[0]
		if !got.Timestamp.Equal(want.Timestamp) || !got.Ingested.Equal(want.Ingested) {
			t.Errorf("times = %v/%v, want %v/%v", got.Timestamp, got.Ingested, want.Timestamp, want.Ingested)
		}
		if got.Raw != want.Raw || got.ParseError != want.ParseError || got.Source != want.Source {
			t.Errorf("got raw %q perr %q source %q", got.Raw, got.ParseError, got.Source)
		}
		if fmt.Sprint(got.Fields) != fmt.Sprint(want.Fields) {
			t.Errorf("fields = %v, want %v", got.Fields, want.Fields)
		}
		if fmt.Sprint(got.ECS) != fmt.Sprint(want.ECS) {
			t.Errorf("ecs = %v, want %v", got.ECS, want.ECS)
		}
	})

	t.Run("prepared batches are stored like appended ones", func(t *testing.T) {
		s := open(t, t.TempDir())
		defer s.Close()
		prep, ok := s.(store.EventPreparer)
		if !ok {
			t.Skip("this store does not prepare batches")
		}
		one, err := prep.Prepare([]*event.Event{
			sampleEvent("acme", "p1", day0.Add(time.Hour), "ws-01", "alice", "first"),
			sampleEvent("other", "p2", day0.Add(time.Hour), "ws-02", "bob", "second"),
		})
		if err != nil {
			t.Fatal(err)
		}
		two, err := prep.Prepare([]*event.Event{sampleEvent("acme", "p3", day0.Add(25*time.Hour), "ws-03", "carol", "third")})
		if err != nil {
			t.Fatal(err)
		}
		if one.Len() != 2 || two.Len() != 1 {
			t.Fatalf("Len = %d, %d; want 2, 1", one.Len(), two.Len())
		}
		if err := prep.AppendPrepared(ctx, []store.PreparedEvents{one, two}); err != nil {
			t.Fatal(err)
		}
		page, err := s.Search(ctx, store.EventQuery{Tenant: "acme", Terms: []store.Term{{Field: "Image", Value: `C:\Windows\System32\cmd.exe`}}})
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(page); fmt.Sprint(got) != "[p3 p1]" {
			t.Errorf("acme's events = %v, want [p3 p1]", got)
		}
		if page.Items[1].ECS["user.name"] != "alice" || page.Items[1].Raw != "first" {
			t.Errorf("p1 = %+v", page.Items[1])
		}
	})

	t.Run("partitions and retention", func(t *testing.T) {
		dir := t.TempDir()
		s := open(t, dir)
		seed(t, s)
		parts, err := s.Partitions(ctx, "acme")
		if err != nil {
			t.Fatal(err)
		}
		if len(parts) != 2 || !parts[0].Day.Equal(day0) || parts[0].Events != 2 || parts[1].Events != 1 {
			t.Fatalf("partitions = %+v", parts)
		}
		if err := s.DropPartition(ctx, "acme", day0); err != nil {
			t.Fatal(err)
		}
		if err := s.DropPartition(ctx, "acme", day0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("second drop: %v, want ErrNotFound", err)
		}
		s.Close()
		s = open(t, dir)
		defer s.Close()
		page, _ := s.Search(ctx, store.EventQuery{Tenant: "acme"})
		if fmt.Sprint(ids(page)) != "[e3]" {
			t.Errorf("after drop: %v", ids(page))
		}
		// The other tenant's partition of the same day is untouched.
		page, _ = s.Search(ctx, store.EventQuery{Tenant: "other"})
		if fmt.Sprint(ids(page)) != "[o1]" {
			t.Errorf("other tenant after drop: %v", ids(page))
		}
		// Appending to a dropped day recreates it.
		if err := s.Append(ctx, []*event.Event{sampleEvent("acme", "e4", day0.Add(5*time.Hour), "h", "u", "r")}); err != nil {
			t.Fatal(err)
		}
		page, _ = s.Search(ctx, store.EventQuery{Tenant: "acme"})
		if fmt.Sprint(ids(page)) != "[e3 e4]" {
			t.Errorf("after re-append: %v", ids(page))
		}
	})

	t.Run("coverage per day and source", func(t *testing.T) {
		s := open(t, t.TempDir())
		defer s.Close()
		seed(t, s)
		rows, err := s.Coverage(ctx, "acme", day0, day0.Add(48*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		want := "[{day0 test windows.sysmon 2} {day1 test windows.sysmon 1}]"
		got := "["
		for i, r := range rows {
			if i > 0 {
				got += " "
			}
			got += fmt.Sprintf("{day%d %s %s %d}", int(r.Day.Sub(day0)/(24*time.Hour)), r.Source, r.Dataset, r.Events)
		}
		if got += "]"; got != want {
			t.Errorf("coverage = %s, want %s", got, want)
		}
	})

	t.Run("archive a partition to parquet", func(t *testing.T) {
		dir := t.TempDir()
		s := open(t, dir)
		defer s.Close()
		seed(t, s)
		path := filepath.Join(dir, "archive", "acme", "2026-03-10.parquet")
		n, err := s.ArchivePartition(ctx, "acme", day0, path)
		if err != nil || n != 2 {
			t.Fatalf("ArchivePartition = %d, %v; want 2 events", n, err)
		}
		if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
			t.Fatalf("archive file: %v", err)
		}
		if _, err := s.ArchivePartition(ctx, "acme", day0.Add(-48*time.Hour), path+".x"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("archiving a missing day: %v, want ErrNotFound", err)
		}
		// Archiving does not remove: the caller drops once recorded.
		if page, _ := s.Search(ctx, store.EventQuery{Tenant: "acme"}); page.Total != 3 {
			t.Errorf("after archive: %d events, want 3", page.Total)
		}
	})
}
