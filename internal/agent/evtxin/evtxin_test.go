package evtxin

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/agent/input"
	"github.com/yagura-soc/yagura/internal/parse/winevent"
	"github.com/yagura-soc/yagura/internal/shareddata"
)

// collect runs the input until it has handed over want records (or 30s).
func collect(t *testing.T, cfg Config, want int) []input.Record {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan []input.Record, 64)
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, out) }()
	var got []input.Record
	deadline := time.After(30 * time.Second)
loop:
	for len(got) < want {
		select {
		case recs := <-out:
			got = append(got, recs...)
		case <-deadline:
			break loop
		}
	}
	// One more poll must add nothing.
	time.Sleep(3 * cfg.Poll)
	cancel()
	<-done
	for {
		select {
		case recs := <-out:
			got = append(got, recs...)
		default:
			return got
		}
	}
}

func TestReadsOnceAndResumes(t *testing.T) {
	src := shareddata.Path(t, "evtx-attack-samples", "Defense Evasion", "Win_4985_T1186_Process_Doppelganging.evtx")
	in, err := os.Open(src)
	if err != nil {
		t.Skipf("sample EVTX not available: %v", err)
	}
	dir := t.TempDir()
	dst := filepath.Join(dir, "Security.evtx")
	f, _ := os.Create(dst)
	io.Copy(f, in)
	f.Close()
	in.Close()

	cfg := Config{Glob: filepath.Join(dir, "*.evtx"), Poll: 20 * time.Millisecond}
	first := collect(t, cfg, 1)
	if len(first) == 0 {
		t.Fatal("no records read")
	}
	ids := map[string]bool{}
	for _, r := range first {
		var m map[string]any
		if err := json.Unmarshal(r.Data, &m); err != nil {
			t.Fatal(err)
		}
		id := m["EventRecordID"].(string)
		if ids[id] {
			t.Errorf("record %s sent twice", id)
		}
		ids[id] = true
		// The server parses what the agent sends as a Windows event.
		rec, err := winevent.Parse(r.Data)
		if err != nil || rec.Fields["EventID"] != "4985" || rec.Fields["Channel"] != "Security" {
			t.Errorf("server-side parse of %s: %v %v", id, err, rec.Fields)
		}
	}
	// Restart from the last position: nothing again.
	last := first[len(first)-1].Pos.(Position)
	again := collect(t, Config{Glob: cfg.Glob, Poll: cfg.Poll, Checkpoints: map[string]Position{Key(dst): last}}, 0)
	if len(again) != 0 {
		t.Errorf("after a restart %d records were sent again", len(again))
	}
	// A saved position beyond the file's records means the log was
	// cleared: everything in it is new.
	cleared := collect(t, Config{Glob: cfg.Glob, Poll: cfg.Poll, Checkpoints: map[string]Position{Key(dst): {RecordID: 1 << 40}}}, len(first))
	if len(cleared) != len(first) {
		t.Errorf("after the log was cleared: %d records, want %d", len(cleared), len(first))
	}
}
