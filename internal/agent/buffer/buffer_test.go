package buffer

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func open(t *testing.T, dir string, max int64, p Policy) (*Buffer, []byte, uint64) {
	t.Helper()
	b, state, seq, err := Open(dir, max, p, quiet)
	if err != nil {
		t.Fatal(err)
	}
	return b, state, seq
}

func TestSegmentsAndStateSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	b, state, seq := open(t, dir, 1<<20, KeepOldest)
	if state != nil || seq != 0 {
		t.Fatalf("new buffer: state %q seq %d", state, seq)
	}
	for i := uint64(1); i <= 3; i++ {
		if err := b.Append(i, []byte(fmt.Sprint("batch", i)), []byte(fmt.Sprint("pos", i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Ack(1); err != nil {
		t.Fatal(err)
	}
	b.Close()

	// Restart: the unacknowledged batches are there, the state is the newest.
	b, state, seq = open(t, dir, 1<<20, KeepOldest)
	if string(state) != "pos3" || seq != 3 {
		t.Fatalf("after restart: state %q seq %d, want pos3 3", state, seq)
	}
	s, err := b.Oldest(nil, 0)
	if err != nil || s.Seq != 2 || string(s.Payload) != "batch2" {
		t.Fatalf("oldest: %+v %v, want batch 2", s, err)
	}
	b.Ack(2)
	b.Ack(3) // the newest: its state must outlive it
	if st := b.Stats(); st.Segments != 0 || st.Bytes != 0 {
		t.Fatalf("stats after acks: %+v", st)
	}
	b.Close()
	_, state, seq = open(t, dir, 1<<20, KeepOldest)
	if string(state) != "pos3" || seq != 3 {
		t.Fatalf("empty buffer after restart: state %q seq %d, want pos3 3", state, seq)
	}
}

func TestFullBuffer(t *testing.T) {
	payload := make([]byte, 400)
	cases := []struct {
		policy      Policy
		wantErr     error
		wantOldest  uint64
		wantDropped int64
	}{
		{KeepOldest, ErrFull, 1, 0},
		{KeepNewest, nil, 2, 1},
	}
	for _, c := range cases {
		t.Run(string(c.policy), func(t *testing.T) {
			b, _, _ := open(t, t.TempDir(), 1000, c.policy)
			defer b.Close()
			for i := uint64(1); i <= 2; i++ {
				if err := b.Append(i, payload, nil); err != nil {
					t.Fatal(err)
				}
			}
			if st := b.Stats(); st.Full {
				t.Fatalf("full before it is: %+v", st)
			}
			err := b.Append(3, payload, nil)
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("third append: %v, want %v", err, c.wantErr)
			}
			st := b.Stats()
			if !st.Full || st.Dropped != c.wantDropped || st.Bytes > st.Max {
				t.Errorf("stats: %+v, want full with %d dropped and within max", st, c.wantDropped)
			}
			s, err := b.Oldest(nil, 0)
			if err != nil || s.Seq != c.wantOldest {
				t.Errorf("oldest kept: %d %v, want %d", s.Seq, err, c.wantOldest)
			}
			// Draining makes room again.
			b.Ack(s.Seq)
			if err := b.Append(4, payload, nil); err != nil {
				t.Errorf("append after room was made: %v", err)
			}
			if b.Stats().Full {
				t.Error("still reports full after room was made")
			}
		})
	}
}

func TestPolicyNames(t *testing.T) {
	for in, want := range map[string]Policy{"": KeepOldest, "oldest": KeepOldest, "newest": KeepNewest} {
		if got, err := ParsePolicy(in); err != nil || got != want {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
	if _, err := ParsePolicy("middle"); err == nil {
		t.Error("unknown policy accepted")
	}
}
