package ingesttest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
)

// Listener is a stream source: Listen binds it, Run serves it until ctx
// ends.
type Listener interface {
	Listen() error
	Run(ctx context.Context) error
}

// Start binds src and runs it. It stops (and drains) when the test ends,
// or earlier when the test calls stop, which returns once Run has.
func Start(t testing.TB, src Listener) (stop func()) {
	t.Helper()
	if err := src.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { src.Run(ctx); close(done) }()
	stop = func() { cancel(); <-done }
	t.Cleanup(stop)
	return stop
}

// Lines makes n distinct lines "<tag> line NNNNN of n".
func Lines(tag string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s line %05d of %d", tag, i, n)
	}
	return out
}

// WriteLines writes lines to path, each ended by LF.
func WriteLines(t testing.TB, path string, lines []string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// EachOnce checks that every one of lines (made by Lines, one tag) arrived
// exactly once among the stored records of tenant, and nothing else did: a
// record holds its line as its message, after whatever header the sender
// put before it.
func (e *Env) EachOnce(t testing.TB, tenant string, lines []string) {
	t.Helper()
	WaitFor(t, fmt.Sprintf("%d records in tenant %s", len(lines), tenant), func() bool {
		return e.Count(t, tenant) >= len(lines)
	})
	got := e.Stored(t, tenant)
	tag := lines[0][:strings.Index(lines[0], " line ")]
	seen := map[string]int{}
	for _, rec := range got {
		i := strings.Index(rec, tag)
		if i < 0 {
			t.Errorf("unexpected record in tenant %s: %q", tenant, rec)
			continue
		}
		seen[rec[i:]]++
	}
	bad := 0
	for _, l := range lines {
		if seen[l] != 1 {
			if bad++; bad <= 5 {
				t.Errorf("%q arrived %d times in tenant %s (of %d stored)", l, seen[l], tenant, len(got))
			}
		}
	}
	if bad > 5 {
		t.Errorf("… and %d more lines", bad-5)
	}
	if len(got) != len(lines) {
		t.Errorf("tenant %s holds %d records, sent %d", tenant, len(got), len(lines))
	}
}

// WaitStalled waits until the counter stops moving: the writer is blocked.
// A slow machine only makes the stall look longer, never the test fail.
func WaitStalled(t testing.TB, n *atomic.Int64) {
	t.Helper()
	last, still := int64(-1), 0
	WaitFor(t, "the sender to be held back", func() bool {
		now := n.Load()
		if now == last && now > 0 {
			still++
		} else {
			still = 0
		}
		last = now
		return still >= 10 // unchanged for ten polls in a row
	})
}
