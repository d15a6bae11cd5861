package hunt_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/hunt"
	"github.com/yagura-soc/yagura/internal/store"
	"github.com/yagura-soc/yagura/internal/store/duckdb"
)

var day = time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)

// openSeeded opens a store holding events of two tenants: acme (ids a*)
// and victim (ids v*). A query run as acme must never see a v* event.
func openSeeded(t *testing.T) *duckdb.Store {
	t.Helper()
	s, err := duckdb.Open(context.Background(), filepath.Join(t.TempDir(), "events.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	var batch []*event.Event
	for i := range 20 {
		for _, tenant := range []string{"acme", "victim"} {
			ts := day.Add(time.Duration(i) * 3 * time.Hour)
			batch = append(batch, &event.Event{
				Tenant: tenant, ID: fmt.Sprintf("%c%02d", tenant[0], i), Timestamp: ts, Ingested: ts,
				Source: "test", Raw: fmt.Sprintf("%s logon failed for user%d from 10.0.0.%d", tenant, i%3, i),
				ECS: event.Fields{"user.name": fmt.Sprintf("user%d", i%3), "host.name": "ws-" + tenant,
					"source.ip": fmt.Sprintf("10.0.0.%d", i), "event.dataset": "windows.security", "network.bytes": int64(i * 100)},
				Fields: event.Fields{"EventID": int64(4625)},
			})
		}
	}
	if err := s.Append(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	return s
}

// valuePayloads try to end a string literal, comment out the rest, stack
// a statement, widen a LIKE, reach the catalog or confuse a JSON path.
// Each carries the marker "pwn" so that its appearance in SQL text is
// detectable.
var valuePayloads = []string{
	`pwn' OR '1'='1`,
	`pwn'; DROP TABLE partitions; --`,
	`pwn\'; DROP TABLE partitions; --`,
	`pwn" OR 1=1 --`,
	`pwn) UNION ALL SELECT * FROM ev_1 --`,
	`pwn%' OR tenant <> '`,
	`pwn'||(SELECT tbl FROM partitions LIMIT 1)||'`,
	`pwn$."x"]..*`,
	"pwn\x00nul",
	`pwn/*comment*/`,
	`pwn? ? ?`,
	`pwn\\`,
	`pwn 'x' "y" \z`,
	`pwn'); COPY partitions TO '/tmp/pwn.csv'; --`,
}

// fieldPayloads are the same attacks within what a field name may hold
// (no spaces, quotes, parentheses, ':' or '|').
var fieldPayloads = []string{
	`pwn';DROP/**/TABLE/**/partitions;--`,
	`pwn$..*`,
	`pwn'||tenant||'`,
	`pwn\'`,
	`pwn?`,
	`pwn[0]`,
	`pwn.'x'`,
	`pwn,*`,
	`pwn\`,
	`pwn"]`,
}

// identPayloads are what pipe stages accept as names; the lexer keeps SQL
// punctuation out of them, and the compiler must still bind them.
var identPayloads = []string{"pwn--x", "pwn.*", "pwn@x", "pwn-;", "pwnñ", "pwn*x"}

func quoteValue(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func regexValue(s string) string { return "/" + strings.ReplaceAll(s, "/", `\/`) + "/" }

// TestInjection runs every production with hostile text in every place a
// user can put text. The SQL must not contain it (it is bound), the query
// must answer only acme's rows, and the store must be intact afterwards.
func TestInjection(t *testing.T) {
	s := openSeeded(t)
	ctx := context.Background()
	var queries []string
	for _, p := range valuePayloads {
		q, re := quoteValue(p), regexValue(p)
		queries = append(queries,
			q, "user.name:"+q, "user.name:>"+q, "network.bytes:<="+q,
			"user.name:["+q+" TO "+q+"]", "network.bytes:[1 TO "+q+"]", "@timestamp:*",
			"user.name:"+re, "NOT user.name:"+q+" OR "+q,
			"| where user.name = "+q, "| where user.name != "+q, "| where network.bytes > "+q,
			"| stats count() as n by user.name | where n > "+q,
			"| stats count() by user.name | where user.name:"+q,
			"| stats values(user.name) by host.name | where host.name:"+re,
		)
	}
	for _, f := range fieldPayloads {
		queries = append(queries,
			f+":x", f+":*", f+":>5", f+":[1 TO 2]", f+":10.0.0.0/8", f+":/x/", f+`:"x y"`, f+":x*",
			"| where "+f+":x", "NOT "+f+":x",
		)
	}
	for _, id := range identPayloads {
		queries = append(queries,
			"| stats count(), dc("+id+"), sum("+id+"), avg("+id+"), min("+id+"), max("+id+"), values("+id+") by "+id,
			"| stats count() as "+id+" by user.name | sort -"+id,
			"| sort -"+id, "| dedup "+id, "| fields "+id+", user.name", "| top 3 "+id, "| rare 3 "+id,
			"| timechart span=1h count() by "+id, "| where "+id+" > 3", "| where "+id+" = x",
		)
	}
	for _, q := range queries {
		parsed, err := hunt.Parse(q)
		if err != nil {
			var e *hunt.Error
			if !errors.As(err, &e) {
				t.Errorf("Parse(%q): error %v is not a *hunt.Error", q, err)
			}
			continue
		}
		cq, err := hunt.Compile(parsed, q, hunt.Options{Limit: 1000})
		if err != nil {
			var e *hunt.Error
			if !errors.As(err, &e) {
				t.Errorf("Compile(%q): error %v is not a *hunt.Error", q, err)
			}
			continue
		}
		for _, text := range []string{cq.Where, cq.SQL, cq.CountSQL} {
			if strings.Contains(strings.ToLower(text), "pwn") {
				t.Errorf("%q: user text reached the SQL: %s", q, text)
			}
		}
		if n := strings.Count(cq.Where, "?"); n != len(cq.WhereArgs) {
			t.Errorf("%q: %d placeholders in the filter, %d arguments", q, n, len(cq.WhereArgs))
		}
		if n := strings.Count(cq.SQL, "?"); n != len(cq.Args) {
			t.Errorf("%q: %d placeholders in the SQL, %d arguments", q, n, len(cq.Args))
		}
		res, err := s.Query(ctx, "acme", time.Time{}, time.Time{}, cq)
		if err != nil {
			// A hostile JSON path may be refused by DuckDB; that is an
			// error for the caller, never a different statement.
			t.Logf("%q: %v", q, err)
			continue
		}
		for _, ev := range res.Events {
			if ev.Tenant != "acme" {
				t.Errorf("%q returned event %s of tenant %s", q, ev.ID, ev.Tenant)
			}
		}
		for _, row := range res.Rows {
			for _, v := range row {
				if strings.Contains(fmt.Sprint(v), "victim") {
					t.Errorf("%q returned a row of tenant victim: %v", q, row)
				}
			}
		}
	}
	// The catalog and the other tenant's data are untouched.
	parts, err := s.Partitions(ctx, "victim")
	if err != nil || len(parts) == 0 {
		t.Fatalf("victim partitions after the attack: %v, %v", parts, err)
	}
	var total int64
	for _, p := range parts {
		total += p.Events
	}
	if total != 20 {
		t.Errorf("victim has %d events after the attack, want 20", total)
	}
	t.Logf("%d hostile queries run", len(queries))
}

// TestInjectionIsBound shows the payload is matched as plain text: a value
// equal to a hostile string finds exactly the event that holds it.
func TestInjectionIsBound(t *testing.T) {
	s := openSeeded(t)
	ctx := context.Background()
	var batch []*event.Event
	for i, p := range valuePayloads {
		ts := day.Add(time.Duration(i) * time.Minute)
		batch = append(batch, &event.Event{Tenant: "acme", ID: fmt.Sprintf("p%02d", i), Timestamp: ts, Ingested: ts,
			Raw: "payload " + p, ECS: event.Fields{"user.name": p}, Fields: event.Fields{"odd.field": p}})
	}
	if err := s.Append(ctx, batch); err != nil {
		t.Fatal(err)
	}
	for i, p := range valuePayloads {
		if strings.Contains(p, "\x00") {
			continue // refused by the parser
		}
		for _, q := range []string{"user.name:" + quoteValue(p), "odd.field:" + quoteValue(p), quoteValue("payload " + p)} {
			res, err := hunt.Run(ctx, s, hunt.Request{Tenant: "acme", Query: q})
			if err != nil {
				t.Errorf("%q: %v", q, err)
				continue
			}
			want := fmt.Sprintf("p%02d", i)
			if res.Total != 1 || len(res.Events) != 1 || res.Events[0].ID != want {
				var got []string
				for _, ev := range res.Events {
					got = append(got, ev.ID)
				}
				t.Errorf("%q found %v (total %d), want [%s]", q, got, res.Total, want)
			}
		}
	}
}

// TestRunExtras checks the histogram and the field summaries of a search.
func TestRunExtras(t *testing.T) {
	s := openSeeded(t)
	res, err := hunt.Run(context.Background(), s, hunt.Request{
		Tenant: "acme", Query: "user.name:user1 OR user.name:user2", From: day, To: day.Add(24 * time.Hour), Limit: 2, Extras: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	// acme events 0..7 fall on the first day (every 3h); user1: 1,4,7; user2: 2,5.
	if res.Total != 5 || len(res.Events) != 2 || res.Events[0].ID != "a07" {
		t.Fatalf("total %d, %d events, first %v", res.Total, len(res.Events), res.Events)
	}
	if res.Span != 15*time.Minute {
		t.Errorf("span = %v", res.Span)
	}
	var hist []string
	for _, b := range res.Histogram {
		hist = append(hist, fmt.Sprintf("%s=%d", b.Time.Format("15:04"), b.Count))
	}
	if got := strings.Join(hist, " "); got != "03:00=1 06:00=1 12:00=1 15:00=1 21:00=1" {
		t.Errorf("histogram = %s", got)
	}
	var sums []string
	for _, f := range res.Fields {
		var vals []string
		for _, v := range f.Top {
			vals = append(vals, fmt.Sprintf("%s=%d", v.Value, v.Count))
		}
		sums = append(sums, f.Field+":"+strings.Join(vals, ","))
	}
	want := "event.dataset:windows.security=5 host.name:ws-acme=5 " +
		"source.ip:10.0.0.1=1,10.0.0.2=1,10.0.0.4=1,10.0.0.5=1,10.0.0.7=1 user.name:user1=3,user2=2"
	if got := strings.Join(sums, " "); got != want {
		t.Errorf("summaries = %s\nwant        %s", got, want)
	}
	// stats results carry rows, not extras.
	res, err = hunt.Run(context.Background(), s, hunt.Request{Tenant: "acme", Query: "| stats count() by user.name", Extras: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 3 || res.Histogram != nil || res.Total != 3 {
		t.Errorf("stats: rows %v histogram %v total %d", res.Rows, res.Histogram, res.Total)
	}
	if _, err := hunt.Run(context.Background(), s, hunt.Request{Tenant: "acme", Query: "a:"}); err == nil {
		t.Error("syntax error not reported")
	}
	_ = store.DefaultTenant
}

// TestOddFieldNames: field names with JSON path punctuation are looked up
// as plain keys.
func TestOddFieldNames(t *testing.T) {
	s := openSeeded(t)
	ctx := context.Background()
	names := []string{`back\slash`, `trailing\`, `quo"te`, `dollar$.x`, `star*`, `br[0]`, `sp ace`}
	var batch []*event.Event
	for i, n := range names {
		ts := day.Add(time.Duration(i) * time.Minute)
		batch = append(batch, &event.Event{Tenant: "acme", ID: fmt.Sprintf("f%d", i), Timestamp: ts, Ingested: ts,
			Fields: event.Fields{n: "hit"}})
	}
	if err := s.Append(ctx, batch); err != nil {
		t.Fatal(err)
	}
	for i, n := range names {
		if strings.ContainsAny(n, ` "`) {
			continue // not writable as a field name in the language
		}
		q := n + ":hit"
		res, err := hunt.Run(ctx, s, hunt.Request{Tenant: "acme", Query: q})
		if err != nil {
			t.Errorf("%q: %v", q, err)
			continue
		}
		if len(res.Events) != 1 || res.Events[0].ID != fmt.Sprintf("f%d", i) {
			t.Errorf("%q found %d events", q, len(res.Events))
		}
	}
}

// TestRunExtrasFromMatches: when every match is returned, the histogram
// and field summaries are computed from the matches; they must equal what
// the histogram and summary queries answer (forced by a smaller limit).
func TestRunExtrasFromMatches(t *testing.T) {
	s := openSeeded(t)
	for _, rng := range []time.Duration{24 * time.Hour, 3 * 24 * time.Hour, 40 * 24 * time.Hour, 400 * 24 * time.Hour} {
		for _, q := range []string{"user.name:user1 OR user.name:user2", "logon", "failed user0"} {
			req := hunt.Request{Tenant: "acme", Query: q, From: day.Add(-rng / 2), To: day.Add(rng / 2), Extras: true}
			all, err := hunt.Run(context.Background(), s, req)
			if err != nil {
				t.Fatal(err)
			}
			if all.Total != int64(len(all.Events)) || all.Total < 2 {
				t.Fatalf("%q: %d of %d events", q, len(all.Events), all.Total)
			}
			req.Limit = 1
			part, err := hunt.Run(context.Background(), s, req)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := fmt.Sprint(all.Histogram, all.Fields), fmt.Sprint(part.Histogram, part.Fields); got != want {
				t.Errorf("%q over %v:\nfrom matches %s\nfrom queries %s", q, rng, got, want)
			}
		}
	}
}
