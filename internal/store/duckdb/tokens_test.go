package duckdb

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/demo"
	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/store"
)

func TestEachToken(t *testing.T) {
	var got []uint64
	eachToken(`Mimikatz.EXE "sekurlsa::logonpasswords" user_1 café`, func(h uint64) { got = append(got, h) })
	var want []uint64
	for _, w := range []string{"mimikatz", "exe", "sekurlsa", "logonpasswords", "user_1", "caf"} {
		want = append(want, tokenHash(w))
	}
	if !slices.Equal(got, want) {
		t.Errorf("tokens = %v, want %v", got, want)
	}
	if tokenHash("MIMIKATZ") != tokenHash("mimikatz") {
		t.Error("tokens are not case-folded")
	}
}

func TestTokensWithin(t *testing.T) {
	const raw = "<38>Nov  2 09:00:03 bastion-01 sshd[19808]: Accepted publickey for jyoung"
	cases := []struct {
		sub  string
		want bool
	}{
		{"Accepted publickey for jyoung", true}, // a syslog message
		{"", true},
		{raw, true},
		{"ccepted publickey", false}, // starts inside "Accepted": "ccepted" is no token of raw
		{"Accepted public", false},   // ends inside "publickey"
		{": Accepted", true},         // starts with a separator
		{"Accepted publickey for", true},
		{"Rejected", false},
	}
	for _, c := range cases {
		if got := tokensWithin(raw, c.sub); got != c.want {
			t.Errorf("tokensWithin(raw, %q) = %v, want %v", c.sub, got, c.want)
		}
		if c.want { // what the shortcut promises
			have := map[uint64]bool{}
			eachToken(raw, func(h uint64) { have[h] = true })
			eachToken(c.sub, func(h uint64) {
				if !have[h] {
					t.Errorf("%q has a token raw lacks", c.sub)
				}
			})
		}
	}
}

func TestBloom(t *testing.T) {
	set := newTokenSet(0)
	for i := range 5000 {
		set.addText(fmt.Sprintf("word%d", i))
	}
	b := bloomFrom(set.bloom())
	for i := range 5000 {
		if !b.has(tokenHash(fmt.Sprintf("word%d", i))) {
			t.Fatalf("word%d missing", i)
		}
	}
	fp := 0
	for i := range 10000 {
		if b.has(tokenHash(fmt.Sprintf("other%d", i))) {
			fp++
		}
	}
	if fp > 300 {
		t.Errorf("%d false positives in 10000", fp)
	}
}

// searchIDs runs a word search as the hunt compiler would, with or
// without the token hint.
func searchIDs(t *testing.T, s *Store, word string, tokens []string) []string {
	t.Helper()
	pat := `(?i)\b` + word + `\b`
	res, err := s.Query(context.Background(), "acme", time.Time{}, time.Time{}, store.CompiledQuery{
		Where: "coalesce(regexp_matches(raw, ?) OR regexp_matches(message, ?), false)", WhereArgs: []any{pat, pat},
		SQL: "SELECT " + EventColumns + " FROM events ORDER BY id", Events: true, Tokens: tokens})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, ev := range res.Events {
		ids = append(ids, ev.ID)
	}
	return ids
}

// The token index leaves out blocks without the word, never a match:
// batches over two days, a word in one block only, one in the message
// only, rows indexed later by IndexTokens, and a dropped partition.
func TestTokenIndex(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "e.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	day := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	mk := func(batch, i int) *event.Event {
		ts := day.Add(time.Duration(batch*40+i) * time.Hour)
		raw := fmt.Sprintf("batch%d line %d common", batch, i)
		ev := &event.Event{Tenant: "acme", ID: fmt.Sprintf("b%d-%02d", batch, i), Timestamp: ts, Ingested: ts, Raw: raw, ECS: event.Fields{}}
		if batch == 2 && i == 3 {
			ev.Raw += " Mimikatz.exe"
		}
		if batch == 3 && i == 5 {
			ev.ECS["message"] = "ran rubeus"
		}
		return ev
	}
	for batch := range 4 {
		var evs []*event.Event
		for i := range 30 {
			evs = append(evs, mk(batch, i))
		}
		p, err := s.Prepare(evs)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.AppendPrepared(ctx, []store.PreparedEvents{p}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		word string
		want []string
	}{{"mimikatz", []string{"b2-03"}}, {"rubeus", []string{"b3-05"}}, {"batch1", nil}, {"absent", nil}} {
		plain := searchIDs(t, s, c.word, nil)
		hinted := searchIDs(t, s, c.word, []string{c.word})
		if c.word == "batch1" {
			c.want = plain // every line of batch 1
		}
		if !slices.Equal(plain, c.want) || !slices.Equal(hinted, c.want) {
			t.Errorf("%s: scan %v, with index %v, want %v", c.word, plain, hinted, c.want)
		}
	}
	tbls := s.tablesFor("acme", time.Time{}, time.Time{})
	skipped := 0
	for _, tbl := range tbls {
		r, err := s.skipRanges(ctx, tbl, []string{"mimikatz"})
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range r {
			skipped += int(x[1] - x[0] + 1)
		}
	}
	if skipped < 60 {
		t.Errorf("the index skipped %d of 120 rows for a word in one block", skipped)
	}

	// Rows written before the index: drop the blocks, the answers stay;
	// IndexTokens covers them again.
	if _, err := s.db.ExecContext(ctx, `DELETE FROM token_blocks WHERE lo > 0`); err != nil {
		t.Fatal(err)
	}
	if got := searchIDs(t, s, "mimikatz", []string{"mimikatz"}); !slices.Equal(got, []string{"b2-03"}) {
		t.Errorf("without blocks: %v", got)
	}
	n, err := s.IndexTokens(ctx, 7)
	if err != nil || n == 0 || n >= 120 {
		t.Errorf("IndexTokens indexed %d rows: %v", n, err)
	}
	if got := searchIDs(t, s, "rubeus", []string{"rubeus"}); !slices.Equal(got, []string{"b3-05"}) {
		t.Errorf("after IndexTokens: %v", got)
	}
	if n, _ := s.IndexTokens(ctx, 7); n != 0 {
		t.Errorf("a second IndexTokens indexed %d rows", n)
	}

	for _, tbl := range tbls[:1] {
		var d time.Time
		if err := s.db.QueryRowContext(ctx, `SELECT day FROM partitions WHERE tbl = ?`, tbl).Scan(&d); err != nil {
			t.Fatal(err)
		}
		if err := s.DropPartition(ctx, "acme", d); err != nil {
			t.Fatal(err)
		}
		var left int
		s.db.QueryRowContext(ctx, `SELECT count(*) FROM token_blocks WHERE tbl = ?`, tbl).Scan(&left)
		if left != 0 {
			t.Errorf("%d blocks of dropped %s left", left, tbl)
		}
	}
}

// BenchmarkEventTokens is the token filter's cost per event on the demo
// company's lines (the share Prepare adds on the pipeline's workers).
func BenchmarkEventTokens(b *testing.B) {
	g := demo.New(7, time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC), demo.WithRate(2000))
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	var batch []*event.Event
	for len(batch) < 5000 {
		at = at.Add(time.Second)
		for _, r := range g.Next(at) {
			batch = append(batch, &event.Event{Raw: r.Line})
		}
	}
	batch = batch[:5000]
	b.ResetTimer()
	for b.Loop() {
		eventTokens(batch)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch)), "ns/event")
}
