// Package buffer is the host agent's bounded disk buffer: every batch is
// written to its own segment file (fsynced, then renamed into place) before
// the inputs' read positions move past it, and deleted only once the server
// has acknowledged it. So a batch survives agent restarts and server
// outages, and the positions saved with the newest segment are exactly
// those of the data already in the buffer.
//
// The buffer is bounded in bytes. When it is full it either refuses new
// batches (KeepOldest: the caller stops reading, the newest data waits in
// its source) or deletes the oldest segments (KeepNewest), and in both
// cases says so through Stats and the log.
//
// It must never lose a segment it has acknowledged to Append, except by
// the KeepNewest policy, and never block Append on the network.
package buffer

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Policy says what a full buffer keeps.
type Policy string

// Policies.
const (
	KeepOldest Policy = "oldest" // refuse new batches; inputs pause
	KeepNewest Policy = "newest" // delete the oldest segments to make room
)

// ParsePolicy reads a policy name; empty means KeepOldest.
func ParsePolicy(s string) (Policy, error) {
	switch Policy(s) {
	case "", KeepOldest:
		return KeepOldest, nil
	case KeepNewest:
		return KeepNewest, nil
	}
	return "", fmt.Errorf("buffer policy %q: use %q or %q", s, KeepOldest, KeepNewest)
}

// ErrFull is returned by Append under KeepOldest when the batch does not fit.
var ErrFull = errors.New("disk buffer is full")

// ErrClosed is returned once Close has been called.
var ErrClosed = errors.New("disk buffer is closed")

const (
	segmentExt = ".seg"
	stateFile  = "state"
)

var segmentMagic = []byte("YGB1")

// Segment is one buffered batch.
type Segment struct {
	Seq     uint64
	Payload []byte
}

type segment struct {
	seq  uint64
	size int64
}

// Stats describe the buffer for metrics and heartbeats.
type Stats struct {
	Segments int64
	Bytes    int64
	Max      int64
	Full     bool  // the last Append found the buffer full
	Dropped  int64 // segments deleted (KeepNewest) or refused (KeepOldest) because it was full
}

// Buffer is an open disk buffer.
type Buffer struct {
	dir    string
	max    int64
	policy Policy
	log    *slog.Logger

	mu      sync.Mutex
	segs    []segment // oldest first
	bytes   int64
	full    bool
	dropped int64
	closed  bool
	wake    chan struct{} // closed and replaced when a segment arrives
}

// Open opens (or creates) the buffer in dir. It returns the saved state of
// the newest batch (nil when none) and that batch's sequence number, so
// the caller resumes reading right after what is already buffered.
func Open(dir string, max int64, policy Policy, log *slog.Logger) (*Buffer, []byte, uint64, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, 0, fmt.Errorf("disk buffer: create %s: %w", dir, err)
	}
	b := &Buffer{dir: dir, max: max, policy: policy, log: log, wake: make(chan struct{})}
	state, seq, err := b.readStateFile()
	if err != nil {
		return nil, nil, 0, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("disk buffer: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasSuffix(name, ".tmp") {
			os.Remove(filepath.Join(dir, name)) // a write that never completed
			continue
		}
		n, ok := strings.CutSuffix(name, segmentExt)
		if !ok {
			continue
		}
		s, err := strconv.ParseUint(n, 10, 64)
		if err != nil {
			continue
		}
		info, err := e.Info()
		if err != nil {
			return nil, nil, 0, fmt.Errorf("disk buffer: %w", err)
		}
		b.segs = append(b.segs, segment{seq: s, size: info.Size()})
		b.bytes += info.Size()
	}
	sort.Slice(b.segs, func(i, j int) bool { return b.segs[i].seq < b.segs[j].seq })
	if n := len(b.segs); n > 0 && b.segs[n-1].seq > seq {
		newest := b.segs[n-1].seq
		st, _, err := b.read(newest)
		if err != nil {
			return nil, nil, 0, fmt.Errorf("disk buffer: newest segment %d: %w (move it away to start over)", newest, err)
		}
		state, seq = st, newest
	}
	return b, state, seq, nil
}

func (b *Buffer) path(seq uint64) string {
	return filepath.Join(b.dir, fmt.Sprintf("%020d%s", seq, segmentExt))
}

// writeFile writes data durably: temporary file, fsync, rename, fsync of
// the folder.
func (b *Buffer) writeFile(name string, parts ...[]byte) (int64, error) {
	tmp := name + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, p := range parts {
		m, err := f.Write(p)
		n += int64(m)
		if err != nil {
			f.Close()
			os.Remove(tmp)
			return 0, err
		}
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return 0, err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return 0, err
	}
	if err := os.Rename(tmp, name); err != nil {
		os.Remove(tmp)
		return 0, err
	}
	syncDir(b.dir)
	return n, nil
}

// Append stores one batch with the read positions that follow it.
func (b *Buffer) Append(seq uint64, payload, state []byte) error {
	size := int64(len(segmentMagic) + binary.MaxVarintLen64 + len(state) + len(payload))
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	if b.bytes+size > b.max && len(b.segs) > 0 {
		if !b.full {
			b.log.Error("agent disk buffer is FULL: the server has not taken batches for a while",
				"bytes", b.bytes, "max", b.max, "policy", string(b.policy))
		}
		b.full = true
		if b.policy == KeepOldest {
			return ErrFull
		}
		for b.bytes+size > b.max && len(b.segs) > 0 {
			old := b.segs[0]
			if err := os.Remove(b.path(old.seq)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("disk buffer: drop oldest segment: %w", err)
			}
			b.segs = b.segs[1:]
			b.bytes -= old.size
			b.dropped++
			b.log.Warn("agent disk buffer full: dropped the oldest batch", "seq", old.seq)
		}
	} else {
		b.full = false
	}
	var hdr [binary.MaxVarintLen64]byte
	hn := binary.PutUvarint(hdr[:], uint64(len(state)))
	n, err := b.writeFile(b.path(seq), segmentMagic, hdr[:hn], state, payload)
	if err != nil {
		return fmt.Errorf("disk buffer: write segment %d: %w", seq, err)
	}
	b.segs = append(b.segs, segment{seq: seq, size: n})
	b.bytes += n
	close(b.wake)
	b.wake = make(chan struct{})
	return nil
}

// NoteRefused counts a batch the caller gave up on because the buffer was
// full (KeepOldest with an input that cannot wait).
func (b *Buffer) NoteRefused() {
	b.mu.Lock()
	b.dropped++
	b.mu.Unlock()
}

// read loads a segment's state and payload.
func (b *Buffer) read(seq uint64) ([]byte, []byte, error) {
	data, err := os.ReadFile(b.path(seq))
	if err != nil {
		return nil, nil, err
	}
	if !bytes.HasPrefix(data, segmentMagic) {
		return nil, nil, errors.New("not a buffer segment (bad magic)")
	}
	r := bytes.NewReader(data[len(segmentMagic):])
	n, err := binary.ReadUvarint(r)
	if err != nil || n > uint64(r.Len()) {
		return nil, nil, errors.New("segment header is damaged")
	}
	rest := data[len(data)-r.Len():]
	return rest[:n], rest[n:], nil
}

// Oldest waits for the oldest segment whose sequence is above after and
// returns it. It returns ErrClosed once the buffer is closed, or done's
// error when done is closed first.
func (b *Buffer) Oldest(done <-chan struct{}, after uint64) (Segment, error) {
	for {
		b.mu.Lock()
		if b.closed {
			b.mu.Unlock()
			return Segment{}, ErrClosed
		}
		var next uint64
		for _, s := range b.segs {
			if s.seq > after {
				next = s.seq
				break
			}
		}
		wake := b.wake
		b.mu.Unlock()
		if next != 0 {
			_, payload, err := b.read(next)
			if errors.Is(err, os.ErrNotExist) {
				continue // dropped meanwhile (KeepNewest); look again
			}
			if err != nil {
				return Segment{}, fmt.Errorf("disk buffer: segment %d: %w", next, err)
			}
			return Segment{Seq: next, Payload: payload}, nil
		}
		select {
		case <-wake:
		case <-done:
			return Segment{}, io.EOF
		}
	}
}

// Ack deletes an acknowledged segment. When it was the newest, its state
// is saved first, so positions survive an empty buffer.
func (b *Buffer) Ack(seq uint64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	i := sort.Search(len(b.segs), func(i int) bool { return b.segs[i].seq >= seq })
	if i == len(b.segs) || b.segs[i].seq != seq {
		return nil // already gone (dropped as oldest)
	}
	if i == len(b.segs)-1 {
		state, _, err := b.read(seq)
		if err != nil {
			return fmt.Errorf("disk buffer: segment %d: %w", seq, err)
		}
		if err := b.writeState(seq, state); err != nil {
			return err
		}
	}
	if err := os.Remove(b.path(seq)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("disk buffer: delete acknowledged segment %d: %w", seq, err)
	}
	b.bytes -= b.segs[i].size
	b.segs = append(b.segs[:i], b.segs[i+1:]...)
	if b.full && b.bytes < b.max {
		b.full = false
		b.log.Info("agent disk buffer has room again", "bytes", b.bytes, "max", b.max)
	}
	return nil
}

// SaveState records positions that no batch carries (an input forgot a
// file). It is skipped while a segment at or above seq exists: that one
// carries the state and saves it when acknowledged.
func (b *Buffer) SaveState(seq uint64, state []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if n := len(b.segs); n > 0 && b.segs[n-1].seq >= seq {
		return nil
	}
	return b.writeState(seq, state)
}

func (b *Buffer) writeState(seq uint64, state []byte) error {
	var hdr [binary.MaxVarintLen64]byte
	n := binary.PutUvarint(hdr[:], seq)
	if _, err := b.writeFile(filepath.Join(b.dir, stateFile), hdr[:n], state); err != nil {
		return fmt.Errorf("disk buffer: save state: %w", err)
	}
	return nil
}

func (b *Buffer) readStateFile() ([]byte, uint64, error) {
	data, err := os.ReadFile(filepath.Join(b.dir, stateFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("disk buffer: state: %w", err)
	}
	seq, n := binary.Uvarint(data)
	if n <= 0 {
		return nil, 0, errors.New("disk buffer: state file is damaged (delete it to re-read inputs from their start)")
	}
	return data[n:], seq, nil
}

// Stats reports the buffer's fill.
func (b *Buffer) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	return Stats{Segments: int64(len(b.segs)), Bytes: b.bytes, Max: b.max, Full: b.full, Dropped: b.dropped}
}

// Close stops Oldest waiters. Segments stay on disk.
func (b *Buffer) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.closed {
		b.closed = true
		close(b.wake)
	}
}
