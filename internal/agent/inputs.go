package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/yagura-soc/yagura/internal/agent/eventlog"
	"github.com/yagura-soc/yagura/internal/agent/evtxin"
	"github.com/yagura-soc/yagura/internal/agent/input"
	"github.com/yagura-soc/yagura/internal/agent/journald"
	"github.com/yagura-soc/yagura/internal/agent/tail"
	"github.com/yagura-soc/yagura/internal/agent/wire"
)

// auditFormat is the parser the server uses for the Linux audit log.
const auditFormat = "auditd"

// inputs runs the configured inputs and swaps them when the configuration
// changes: unchanged inputs keep running; a new input starts from the
// positions the batcher holds after every record of a stopped one.
type inputs struct {
	a       *Agent
	mu      sync.Mutex
	running map[string]*runningInput
	done    bool
	stopCh  chan struct{}
}

type runningInput struct {
	cancel context.CancelFunc
	done   chan struct{}
	tailer *tail.Tailer
}

// spec is one input to run.
type spec struct {
	journald bool
	channel  string // a Windows Event Log channel
	file     wire.FileInput
}

func newInputs(a *Agent) *inputs {
	return &inputs{a: a, running: map[string]*runningInput{}, stopCh: make(chan struct{})}
}

func (in *inputs) specs(cfg wire.Config) map[string]spec {
	out := map[string]spec{}
	for _, f := range cfg.Files {
		out["file\x00"+f.Glob+"\x00"+f.Multiline+"\x00"+f.Format] = spec{file: f}
	}
	if cfg.Audit {
		f := wire.FileInput{Glob: in.a.settings.AuditLog, Format: auditFormat}
		out["file\x00"+f.Glob+"\x00\x00"+f.Format] = spec{file: f}
	}
	if cfg.Journald {
		out["journald"] = spec{journald: true}
	}
	for _, ch := range cfg.EventLog {
		out["eventlog\x00"+ch] = spec{channel: ch}
	}
	return out
}

// check validates a configuration before it replaces the running one.
func (in *inputs) check(cfg wire.Config) error {
	for i, f := range cfg.Files {
		if err := checkFileInput(f); err != nil {
			return fmt.Errorf("files[%d]: %w", i, err)
		}
	}
	return nil
}

// apply makes the running inputs those of cfg.
func (in *inputs) apply(_ context.Context, cfg wire.Config) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.done {
		return
	}
	want := in.specs(cfg)
	stopped := false
	for k, r := range in.running {
		if _, keep := want[k]; !keep {
			r.cancel()
			<-r.done
			delete(in.running, k)
			stopped = true
		}
	}
	if stopped {
		// Every record of the stopped inputs is now with the batcher, so
		// the positions below are final for them.
		sync := make(chan struct{})
		in.a.records <- []input.Record{{Sync: sync}}
		<-sync
	}
	pos := in.a.positions()
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, ok := in.running[k]; ok {
			continue
		}
		in.running[k] = in.start(want[k], pos)
	}
}

func (in *inputs) start(s spec, pos map[string]any) *runningInput {
	ctx, cancel := context.WithCancel(context.Background())
	r := &runningInput{cancel: cancel, done: make(chan struct{})}
	log := in.a.log
	if s.journald {
		var jp journald.Position
		decode(pos[journald.Key], &jp)
		go func() {
			defer close(r.done)
			err := journald.Run(ctx, journald.Config{Cursor: jp.Cursor, Log: log}, in.a.records)
			if errors.Is(err, journald.ErrUnavailable) {
				log.Warn("journald input skipped: journalctl is not installed on this host")
			}
		}()
		return r
	}
	if s.channel != "" {
		cps := checkpoints[eventlog.Position](pos, eventlog.Key(s.channel))
		go func() {
			defer close(r.done)
			err := eventlog.Run(ctx, eventlog.Config{Channels: []string{s.channel}, Checkpoints: cps, Log: log}, in.a.records)
			switch {
			case errors.Is(err, eventlog.ErrUnavailable):
				log.Warn("eventlog input skipped: this host has no Windows Event Log", "channel", s.channel)
			case err != nil:
				in.a.noteError("eventlog input", err)
				log.Error("eventlog input stopped", "channel", s.channel, "err", err)
			}
		}()
		log.Info("eventlog input started", "channel", s.channel)
		return r
	}
	if s.file.Format == evtxin.Format {
		eps := checkpoints[evtxin.Position](pos, "evtx:")
		go func() {
			defer close(r.done)
			if err := evtxin.Run(ctx, evtxin.Config{Glob: s.file.Glob, Checkpoints: eps, Log: log}, in.a.records); err != nil {
				in.a.noteError("evtx input", err)
				log.Error("evtx input stopped", "glob", s.file.Glob, "err", err)
			}
		}()
		log.Info("evtx input started", "glob", s.file.Glob)
		return r
	}
	cps := checkpoints[tail.Position](pos, "file:")
	var ml *regexp.Regexp
	if s.file.Multiline != "" {
		ml = regexp.MustCompile(s.file.Multiline) // checked before apply
	}
	r.tailer = tail.New(tail.Config{Glob: s.file.Glob, Multiline: ml, Format: s.file.Format, Checkpoints: cps,
		Poll: time.Duration(in.a.settings.PollMillis) * time.Millisecond, Log: log})
	go func() {
		defer close(r.done)
		if err := r.tailer.Run(ctx, in.a.records); err != nil {
			in.a.noteError("file input", err)
			log.Error("file input stopped", "glob", s.file.Glob, "err", err)
		}
	}()
	log.Info("file input started", "glob", s.file.Glob, "multiline", s.file.Multiline, "format", s.file.Format)
	return r
}

// decode reads a position that is either live (a typed value) or restored
// from disk (JSON).
// checkpoints decodes the saved positions whose keys start with prefix.
func checkpoints[P any](pos map[string]any, prefix string) map[string]P {
	out := map[string]P{}
	for k, v := range pos {
		if strings.HasPrefix(k, prefix) {
			var p P
			if decode(v, &p) {
				out[k] = p
			}
		}
	}
	return out
}

func decode(v any, into any) bool {
	if v == nil {
		return false
	}
	raw, ok := v.(json.RawMessage)
	if !ok {
		var err error
		if raw, err = json.Marshal(v); err != nil {
			return false
		}
	}
	return json.Unmarshal(raw, into) == nil
}

// errors sums the inputs' read errors.
func (in *inputs) errors() int64 {
	in.mu.Lock()
	defer in.mu.Unlock()
	var n int64
	for _, r := range in.running {
		if r.tailer != nil {
			n += r.tailer.Errors()
		}
	}
	return n
}

// stopAll stops every input for good.
func (in *inputs) stopAll() {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.done {
		return
	}
	in.done = true
	for _, r := range in.running {
		r.cancel()
	}
	for _, r := range in.running {
		<-r.done
	}
	close(in.stopCh)
}

// stopped is closed once every input has stopped.
func (in *inputs) stopped() <-chan struct{} { return in.stopCh }
