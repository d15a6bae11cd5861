// Package agent is the host agent behind cmd/yagura-agent: it enrolls
// with a Yagura server, follows files (globs, the Linux audit log) and the
// systemd journal, writes batches to a bounded disk buffer before it moves
// any read position, and delivers the buffer to the server's agent
// endpoint, where per-agent sequence numbers make delivery effectively
// exactly-once. Heartbeats report its health and bring back the
// configuration the server holds for it, applied without a restart.
//
// It must never link server code (stores, DuckDB, SQLite): the binary is
// small, static and cross-compiled. It talks to the server only through
// package wire.
package agent

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/yagura-soc/yagura/internal/agent/buffer"
	"github.com/yagura-soc/yagura/internal/agent/input"
	"github.com/yagura-soc/yagura/internal/agent/wire"
)

// Version is set at build time (-ldflags "-X .../internal/agent.Version=…").
var Version = "dev"

// EnrollOptions are the arguments of `yagura-agent enroll`.
type EnrollOptions struct {
	Server, Token, StateDir, Hostname, CAFile string
}

// Enroll trades an enrollment token for the agent's identity and saves it
// in the state folder.
func Enroll(ctx context.Context, o EnrollOptions) (Identity, error) {
	if o.Server == "" || o.Token == "" {
		return Identity{}, errors.New("enroll needs --server URL and --token ENROLLMENT_TOKEN (an admin makes one with 'yagura token create --role enroll')")
	}
	if o.Hostname == "" {
		h, err := os.Hostname()
		if err != nil {
			return Identity{}, fmt.Errorf("hostname: %w (pass --hostname)", err)
		}
		o.Hostname = h
	}
	c, err := newClient(o.Server, "", o.CAFile, defaultRequestTimeout)
	if err != nil {
		return Identity{}, err
	}
	resp, err := c.enroll(ctx, o.Token, wire.EnrollRequest{Hostname: o.Hostname, OS: runtime.GOOS, Arch: runtime.GOARCH, Version: Version})
	if err != nil {
		var se *statusError
		if errors.As(err, &se) {
			return Identity{}, fmt.Errorf("enrollment refused: %s", se.Msg)
		}
		return Identity{}, fmt.Errorf("enrollment failed: %w", err)
	}
	caFile := o.CAFile
	if caFile != "" {
		if abs, err := filepath.Abs(caFile); err == nil {
			caFile = abs
		}
	}
	id := Identity{Server: c.base, CAFile: caFile, AgentID: resp.AgentID, Tenant: resp.Tenant, Secret: resp.Secret, CommandKey: resp.CommandKey}
	return id, saveIdentity(o.StateDir, id)
}

// Agent is a running agent.
type Agent struct {
	stateDir string
	id       Identity
	settings Settings
	log      *slog.Logger
	client   *client
	buf      *buffer.Buffer
	records  chan []input.Record
	started  time.Time

	lines   atomic.Int64 // records taken into batches
	sent    atomic.Int64 // records acknowledged by the server
	errs    atomic.Int64
	lastErr atomic.Value // string
	seq     uint64       // batcher only
	// frozen (batcher only) is set when a batch could not be buffered on
	// the way out: nothing after it may be saved, or the saved positions
	// would skip its records. They are read again after the restart.
	frozen bool
	posMu  sync.Mutex
	pos    map[string]any // read positions as of the last record taken
	inputs *inputs
	cfgVer atomic.Int64
	full   atomic.Bool

	contain containment
	cmdMu   sync.Mutex
	obeyed  map[string]bool      // commands carried out (or refused) since the start
	results []wire.CommandResult // not yet delivered in a heartbeat
}

// Open loads the identity, the settings and the disk buffer.
func Open(stateDir string, log *slog.Logger) (*Agent, error) {
	id, err := LoadIdentity(stateDir)
	if err != nil {
		return nil, err
	}
	settings, err := LoadSettings(stateDir)
	if err != nil {
		return nil, err
	}
	c, err := newClient(id.Server, id.Secret, id.CAFile, time.Duration(settings.RequestTimeoutSeconds)*time.Second)
	if err != nil {
		return nil, err
	}
	policy, _ := buffer.ParsePolicy(settings.BufferKeep)
	buf, state, seq, err := buffer.Open(filepath.Join(stateDir, bufferDir), settings.BufferMaxBytes, policy, log)
	if err != nil {
		return nil, err
	}
	a := &Agent{stateDir: stateDir, id: id, settings: settings, log: log, client: c, buf: buf,
		records: make(chan []input.Record, 4), started: time.Now(), seq: seq, pos: map[string]any{},
		contain: newContainment(), obeyed: map[string]bool{}}
	if len(state) > 0 {
		var saved map[string]json.RawMessage
		if err := json.Unmarshal(state, &saved); err != nil {
			buf.Close()
			return nil, fmt.Errorf("saved read positions are damaged: %w", err)
		}
		for k, v := range saved {
			a.pos[k] = v
		}
	}
	a.lastErr.Store("")
	a.inputs = newInputs(a)
	return a, nil
}

// Run collects and delivers until ctx ends. On the way out it closes the
// open batch into the buffer, so a restart resumes where it stopped.
func (a *Agent) Run(ctx context.Context) error {
	a.log.Info("yagura-agent running", "agent", a.id.AgentID, "tenant", a.id.Tenant, "server", a.id.Server,
		"state", a.stateDir, "buffered_batches", a.buf.Stats().Segments, "version", Version)
	var wg sync.WaitGroup
	inputsCtx, stopInputs := context.WithCancel(context.Background())
	batcherDone := make(chan struct{})
	go func() { defer close(batcherDone); a.batch(ctx) }()
	senderCtx, stopSender := context.WithCancel(context.Background())
	wg.Add(2)
	go func() { defer wg.Done(); a.send(senderCtx) }()
	go func() { defer wg.Done(); a.heartbeats(ctx) }()
	if a.settings.MetricsAddr != "" {
		if err := a.serveMetrics(ctx, a.settings.MetricsAddr); err != nil {
			a.log.Error("metrics endpoint not served", "addr", a.settings.MetricsAddr, "err", err)
		}
	}
	a.inputs.apply(inputsCtx, a.localConfig())

	<-ctx.Done()
	a.log.Info("yagura-agent stopping: closing inputs, buffering the open batch")
	a.inputs.stopAll()
	stopInputs()
	<-batcherDone
	stopSender()
	a.buf.Close()
	wg.Wait()
	return nil
}

// localConfig is the configuration from agent.json.
func (a *Agent) localConfig() wire.Config {
	return wire.Config{Files: a.settings.Files, Journald: a.settings.Journald, Audit: a.settings.Audit, EventLog: a.settings.EventLog}
}

func (a *Agent) noteError(what string, err error) {
	a.errs.Add(1)
	a.lastErr.Store(what + ": " + err.Error())
}

// positions is a copy of the read positions as of the last record taken.
func (a *Agent) positions() map[string]any {
	a.posMu.Lock()
	defer a.posMu.Unlock()
	out := make(map[string]any, len(a.pos))
	for k, v := range a.pos {
		out[k] = v
	}
	return out
}

// batch is the one goroutine that turns records into buffered batches.
func (a *Agent) batch(ctx context.Context) {
	b := wire.NewBuilder()
	wait := time.Duration(a.settings.BatchWaitMillis) * time.Millisecond
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	timing := false
	flush := func(final bool) {
		if timing {
			timer.Stop()
			timing = false
		}
		if b.Len() == 0 {
			return
		}
		a.flush(ctx, b, final)
		b.Reset()
	}
	for {
		select {
		case recs := <-a.records:
			for _, r := range recs {
				if r.Sync != nil {
					flush(false)
					close(r.Sync)
					continue
				}
				a.take(b, r)
				// Limits hold per record: one hand-over may hold more
				// records than a batch may.
				if b.Len() >= a.settings.BatchMaxRecords || b.Size() >= a.settings.BatchMaxBytes {
					flush(false)
				}
			}
			if b.Len() > 0 && !timing {
				timer.Reset(wait)
				timing = true
			}
		case <-timer.C:
			timing = false
			flush(false)
		case <-ctx.Done():
			// Inputs are stopping; take what they still send, then the
			// last batch goes to the buffer.
			for {
				select {
				case recs := <-a.records:
					for _, r := range recs {
						if r.Sync != nil {
							close(r.Sync)
							continue
						}
						a.take(b, r)
						if b.Len() >= a.settings.BatchMaxRecords || b.Size() >= a.settings.BatchMaxBytes {
							flush(true)
						}
					}
				case <-a.inputs.stopped():
					flush(true)
					return
				}
			}
		}
	}
}

// take adds one record to the open batch and moves its input's position.
func (a *Agent) take(b *wire.Builder, r input.Record) {
	if a.frozen {
		return
	}
	a.posMu.Lock()
	defer a.posMu.Unlock()
	if r.Forget {
		delete(a.pos, r.Key)
		return
	}
	if r.Data != nil {
		b.Add(r.Source, r.Format, r.Data)
	}
	a.pos[r.Key] = r.Pos
}

// flush compresses a batch and appends it to the disk buffer with the
// read positions that follow it. With KeepOldest and a full buffer it
// waits (the inputs pause behind it) until there is room, or until the
// agent stops, in which case the batch is not saved and its records are
// read again after the restart.
func (a *Agent) flush(ctx context.Context, b *wire.Builder, final bool) {
	if a.frozen {
		return
	}
	seq := a.seq + 1
	var z bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&z, gzip.BestSpeed)
	b.Encode(zw, seq)
	zw.Close()
	a.posMu.Lock()
	state, err := json.Marshal(a.pos)
	a.posMu.Unlock()
	if err != nil {
		a.noteError("save positions", err)
		return
	}
	for {
		err := a.buf.Append(seq, z.Bytes(), state)
		if err == nil {
			a.seq = seq
			a.lines.Add(int64(b.Len()))
			a.full.Store(false)
			return
		}
		if errors.Is(err, buffer.ErrFull) {
			if !a.full.Swap(true) {
				a.log.Error("DISK BUFFER FULL: inputs are paused until the server takes batches (buffer_keep=oldest)",
					"max_bytes", a.settings.BufferMaxBytes)
			}
		} else {
			a.noteError("disk buffer", err)
			a.log.Error("batch not buffered; retrying", "err", err)
		}
		if final {
			a.frozen = true
			return
		}
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
			a.frozen = true
			return
		}
	}
}

// send delivers buffered batches in order, forever retrying what the
// server did not acknowledge.
func (a *Agent) send(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for {
		seg, err := a.buf.Oldest(ctx.Done(), 0)
		if err != nil {
			return
		}
		resp, err := a.client.batch(ctx, seg.Payload)
		var se *statusError
		switch {
		case err == nil:
			if err := a.buf.Ack(seg.Seq); err != nil {
				a.noteError("disk buffer", err)
				a.log.Error("acknowledged batch not removed from the buffer", "seq", seg.Seq, "err", err)
			}
			a.sent.Add(int64(resp.Accepted))
			backoff = 100 * time.Millisecond
			continue
		case ctx.Err() != nil:
			return
		case errors.As(err, &se) && se.Permanent():
			// The server cannot read this batch and never will: keeping it
			// would stop delivery for good.
			a.noteError("batch rejected", err)
			a.log.Error("server rejected a batch as unreadable; it is dropped", "seq", seg.Seq, "err", err)
			a.buf.Ack(seg.Seq)
			continue
		}
		a.noteError("delivery", err)
		a.log.Warn("batch not delivered; will retry", "seq", seg.Seq, "retry_in", backoff, "err", err)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

// report is the heartbeat body.
func (a *Agent) report(prevLines int64, since time.Duration) wire.Heartbeat {
	st := a.buf.Stats()
	hb := wire.Heartbeat{Version: Version, UptimeSeconds: int64(time.Since(a.started).Seconds()),
		BufferBatches: st.Segments, BufferBytes: st.Bytes, BufferFull: st.Full || a.full.Load(), Dropped: st.Dropped,
		Errors: a.errs.Load() + a.inputs.errors(), LastError: a.lastErr.Load().(string), ConfigVersion: a.cfgVer.Load()}
	if since > 0 {
		hb.EventsPerSecond = float64(a.lines.Load()-prevLines) / since.Seconds()
	}
	return hb
}

// heartbeats report health and apply the configuration the server
// answers with.
func (a *Agent) heartbeats(ctx context.Context) {
	every := time.Duration(a.settings.HeartbeatSeconds) * time.Second
	prev, last := a.lines.Load(), time.Now()
	for {
		now := time.Now()
		hb := a.report(prev, now.Sub(last))
		hb.Results = a.takeResults()
		prev, last = a.lines.Load(), now
		// A heartbeat is bounded by two intervals, not the request bound
		// (minutes): one stuck on a silent connection would make the
		// server call a live agent silent; the next goes on a new one.
		hctx, cancel := context.WithTimeout(ctx, 2*every)
		resp, err := a.client.heartbeat(hctx, hb)
		cancel()
		if err == nil {
			a.resultsDelivered(len(hb.Results))
			a.obey(ctx, resp.Commands)
		}
		switch {
		case err != nil && ctx.Err() == nil:
			a.noteError("heartbeat", err)
			a.log.Warn("heartbeat not delivered", "err", err)
		case err == nil && resp.Config.Version > 0 && resp.Config.Version != a.cfgVer.Load():
			if err := a.inputs.check(resp.Config); err != nil {
				a.noteError("server configuration", err)
				a.log.Error("configuration from the server not applied", "version", resp.Config.Version, "err", err)
			} else {
				a.log.Info("applying configuration from the server", "version", resp.Config.Version)
				a.cfgVer.Store(resp.Config.Version)
				// Not inline: swapping inputs waits for the batcher, which
				// may be waiting for room in a full buffer, and heartbeats
				// must go on reporting that.
				go a.inputs.apply(ctx, resp.Config)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}
