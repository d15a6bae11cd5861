package tail

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/agent/input"
)

// harness drives a tailer poll by poll with a fake clock, collecting
// records and the last position per key as the batcher would.
type harness struct {
	t     *testing.T
	tl    *Tailer
	out   chan []input.Record
	clock time.Time
	got   []string
	pos   map[string]Position
}

func newHarness(t *testing.T, glob string, ml *regexp.Regexp, cps map[string]Position) *harness {
	h := &harness{t: t, out: make(chan []input.Record, 1<<16), clock: time.Unix(1e9, 0), pos: map[string]Position{}}
	h.tl = New(Config{Glob: glob, Multiline: ml, Checkpoints: cps})
	h.tl.now = func() time.Time { return h.clock }
	return h
}

// poll runs one poll, advancing the clock by d first.
func (h *harness) poll(d time.Duration) {
	h.t.Helper()
	h.clock = h.clock.Add(d)
	if err := h.tl.poll(context.Background(), h.out); err != nil {
		h.t.Fatal(err)
	}
	for {
		select {
		case recs := <-h.out:
			for _, r := range recs {
				if r.Forget {
					delete(h.pos, r.Key)
					continue
				}
				if r.Data != nil {
					h.got = append(h.got, string(r.Data))
				}
				h.pos[r.Key] = r.Pos.(Position)
			}
		default:
			return
		}
	}
}

// settle polls past every grace period.
func (h *harness) settle() {
	for range 3 {
		h.poll(time.Minute)
	}
}

func write(t *testing.T, path string, lines ...string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, l := range lines {
		fmt.Fprintln(f, l)
	}
}

// numbered makes lines long enough to fill a fingerprint, each distinct.
func numbered(prefix string, from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("%s line %06d %s", prefix, i, strings.Repeat("x", 60)))
	}
	return out
}

func checkExactlyOnce(t *testing.T, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		seen := map[string]int{}
		for _, g := range got {
			seen[g]++
		}
		var missing, dup []string
		for _, w := range want {
			if seen[w] == 0 {
				missing = append(missing, w)
			}
			if seen[w] > 1 {
				dup = append(dup, w)
			}
		}
		t.Fatalf("got %d records, want %d; missing %d (first %q), duplicated %d (first %q)",
			len(got), len(want), len(missing), first(missing), len(dup), first(dup))
	}
}

func TestRotationByRename(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "app.log")
	h := newHarness(t, log, nil, nil)
	write(t, log, numbered("a", 0, 10)...)
	h.poll(0)
	write(t, log, numbered("a", 10, 15)...) // written before rotation, not yet read
	if err := os.Rename(log, log+".1"); err != nil {
		t.Fatal(err)
	}
	write(t, log+".1", numbered("a", 15, 17)...) // the writer still had the old file open
	write(t, log, numbered("b", 0, 5)...)
	h.settle()
	want := append(numbered("a", 0, 17), numbered("b", 0, 5)...)
	checkExactlyOnce(t, h.got, want)
	if len(h.tl.files) != 1 || len(h.pos) != 1 {
		t.Errorf("after rotation: %d files followed, %d positions kept; want the new file only", len(h.tl.files), len(h.pos))
	}
}

func TestTruncation(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "app.log")
	h := newHarness(t, log, nil, nil)
	write(t, log, numbered("a", 0, 20)...)
	h.poll(0)
	cases := []struct {
		name  string
		lines []string
	}{
		{"shorter than before", numbered("b", 0, 3)},
		// Same length or longer, but different first bytes: only the
		// fingerprint can tell.
		{"longer than before", numbered("c", 0, 40)},
	}
	want := numbered("a", 0, 20)
	for _, c := range cases {
		if err := os.Truncate(log, 0); err != nil {
			t.Fatal(err)
		}
		write(t, log, c.lines...)
		want = append(want, c.lines...)
		h.settle()
		checkExactlyOnce(t, h.got, want)
	}
}

func TestCopyTruncate(t *testing.T) {
	for _, copyInGlob := range []bool{false, true} {
		t.Run(fmt.Sprintf("copy in glob %v", copyInGlob), func(t *testing.T) {
			dir := t.TempDir()
			log := filepath.Join(dir, "app.log")
			glob := log
			if copyInGlob {
				glob = log + "*"
			}
			h := newHarness(t, glob, nil, nil)
			write(t, log, numbered("a", 0, 10)...)
			h.poll(0)
			write(t, log, numbered("a", 10, 20)...) // not yet read when logrotate copies
			data, err := os.ReadFile(log)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(log+".1", data, 0o600); err != nil {
				t.Fatal(err)
			}
			if copyInGlob {
				h.poll(0) // the copy is seen before the truncation
			}
			if err := os.Truncate(log, 0); err != nil {
				t.Fatal(err)
			}
			write(t, log, numbered("b", 0, 5)...)
			h.settle()
			checkExactlyOnce(t, h.got, append(numbered("a", 0, 20), numbered("b", 0, 5)...))
		})
	}
}

func TestMultiline(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "java.log")
	h := newHarness(t, log, regexp.MustCompile(`^\d{4}-\d\d-\d\d `), nil)
	write(t, log,
		"2026-11-23 10:00:00 ERROR boom",
		"java.lang.IllegalStateException: bad",
		"\tat com.example.Foo.bar(Foo.java:10)",
		"2026-11-23 10:00:01 INFO fine",
		"2026-11-23 10:00:02 WARN two",
		"  continued")
	h.poll(0)
	// The last record is complete only when the next one starts or the
	// file stays quiet; neither has happened yet.
	checkExactlyOnce(t, h.got, []string{
		"2026-11-23 10:00:00 ERROR boom\njava.lang.IllegalStateException: bad\n\tat com.example.Foo.bar(Foo.java:10)",
		"2026-11-23 10:00:01 INFO fine",
	})
	h.settle()
	if got := h.got[len(h.got)-1]; got != "2026-11-23 10:00:02 WARN two\n  continued" {
		t.Errorf("last record after the file went quiet: %q", got)
	}
}

func TestCheckpointRestart(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "app.log")
	write(t, log, numbered("a", 0, 10)...)
	h := newHarness(t, log, regexp.MustCompile(`^a `), nil)
	h.poll(0)
	// The tenth line is a pending multi-line record: not yet taken, so
	// the checkpoint stops before it.
	checkExactlyOnce(t, h.got, numbered("a", 0, 9))
	cps := h.pos
	write(t, log, numbered("a", 10, 15)...)

	restarted := newHarness(t, log, regexp.MustCompile(`^a `), cps)
	restarted.settle()
	checkExactlyOnce(t, restarted.got, numbered("a", 9, 15))

	// The same inode with other content (deleted and re-created; here the
	// checkpoint is forged to point at the new file) starts over.
	os.Remove(log)
	write(t, log, numbered("z", 0, 3)...)
	dev, ino, err := pathID(log)
	if err != nil {
		t.Fatal(err)
	}
	forged := map[string]Position{}
	for _, p := range cps {
		p.Dev, p.Ino = dev, ino
		forged[Key(dev, ino)] = p
	}
	other := newHarness(t, log, nil, forged)
	other.settle()
	checkExactlyOnce(t, other.got, numbered("z", 0, 3))
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}
