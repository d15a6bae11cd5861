package eventlog

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/agent/input"
)

// channelLog plays the Event Log API over in-memory channels; the real API
// exists only on Windows (api_windows.go, compiled by the cross-build).
type channelLog struct {
	mu  sync.Mutex
	ids map[string][]uint64
}

func (c *channelLog) add(ch string, ids ...uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ids[ch] = append(c.ids[ch], ids...)
}

func (c *channelLog) clear(ch string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ids[ch] = nil
}

func (c *channelLog) Read(ch string, after uint64, max int) ([][]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out [][]byte
	for _, id := range c.ids[ch] {
		if id > after && len(out) < max {
			out = append(out, fmt.Appendf(nil, `<Event><System><EventID>4624</EventID><EventRecordID>%d</EventRecordID><Channel>%s</Channel></System></Event>`, id, ch))
		}
	}
	return out, nil
}

func (c *channelLog) Newest(ch string) (uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n := len(c.ids[ch]); n > 0 {
		return c.ids[ch][n-1], nil
	}
	return 0, nil
}

// collect reads shipped records until want of them arrived.
func collect(t *testing.T, out <-chan []input.Record, want int) []input.Record {
	t.Helper()
	var got []input.Record
	deadline := time.After(10 * time.Second)
	for len(got) < want {
		select {
		case recs := <-out:
			got = append(got, recs...)
		case <-deadline:
			t.Fatalf("got %d records, want %d", len(got), want)
		}
	}
	return got
}

func ids(recs []input.Record) []uint64 {
	out := make([]uint64, len(recs))
	for i, r := range recs {
		out[i] = r.Pos.(Position).RecordID
	}
	return out
}

func TestRunResumesStartsAtTheEndAndFollowsClears(t *testing.T) {
	log := &channelLog{ids: map[string][]uint64{}}
	log.add("Security", 1, 2, 3)
	log.add("System", 10, 11)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := make(chan []input.Record, 16)
	cfg := Config{Channels: []string{"Security", "System"}, Poll: 10 * time.Millisecond,
		Checkpoints: map[string]Position{Key("Security"): {Channel: "Security", RecordID: 1}}}
	done := make(chan error, 1)
	go func() { done <- run(ctx, cfg, log, out) }()

	// Security resumes after its checkpoint; System (no checkpoint)
	// starts after its newest record.
	got := collect(t, out, 2)
	if fmt.Sprint(ids(got)) != "[2 3]" || got[0].Key != Key("Security") || got[0].Format != Format {
		t.Fatalf("first records = %v %+v", ids(got), got[0])
	}
	// More than one read's worth arrives whole and in order.
	for id := uint64(12); id < 12+batchSize+5; id++ {
		log.add("System", id)
	}
	got = collect(t, out, batchSize+5)
	if first, last := ids(got)[0], ids(got)[len(got)-1]; first != 12 || last != 12+batchSize+4 {
		t.Fatalf("System records %d..%d, want 12..%d", first, last, 12+batchSize+4)
	}
	// A cleared channel starts its ids again: they are read, not skipped.
	log.clear("Security")
	log.add("Security", 1)
	if got = collect(t, out, 1); fmt.Sprint(ids(got)) != "[1]" || got[0].Pos.(Position).Channel != "Security" {
		t.Fatalf("after the clear: %v", ids(got))
	}
	select {
	case recs := <-out:
		t.Fatalf("unexpected records %v", ids(recs))
	case <-time.After(50 * time.Millisecond):
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestRunIsUnavailableOffWindows(t *testing.T) {
	if _, err := openAPI(); err == nil {
		t.Skip("the Event Log API exists here")
	}
	if err := Run(context.Background(), Config{Channels: []string{"Security"}}, nil); err != ErrUnavailable {
		t.Fatalf("Run = %v, want ErrUnavailable", err)
	}
}
