// Package tail follows the files that match a glob the way log shippers
// must: a file is known by its identity (device and inode, or volume and
// file index on Windows) plus a fingerprint of its first bytes, not by its
// name, so that
//
//   - rotation by rename keeps reading the renamed file to its end, then
//     starts the new one from its beginning;
//   - truncation (size below the read offset, or changed first bytes)
//     restarts the file from offset 0;
//   - copy-truncate (logrotate's copytruncate) finds the copy by its
//     fingerprint and reads from it what had not been read from the
//     original before it was truncated, without reading the rest twice;
//   - a restart resumes each file at its checkpointed offset, and a file
//     whose inode was reused by different content starts over.
//
// Lines may be joined into multi-line records by a start pattern. Every
// record carries the position right after it (input.Record.Pos), so the
// caller checkpoints exactly what it has taken.
//
// The tailer only reads files; it never writes, moves or deletes them.
package tail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"sync/atomic"
	"time"

	"github.com/yagura-soc/yagura/internal/agent/input"
)

// FingerprintBytes is how much of a file's beginning identifies its
// content. Files whose first FingerprintBytes are identical (a fixed
// header) look like copies of each other; give them distinct first lines.
const FingerprintBytes = 256

// Position is where reading a file resumes.
type Position struct {
	Path   string `json:"path"`
	Dev    uint64 `json:"dev"`
	Ino    uint64 `json:"ino"`
	FPLen  int    `json:"fp_len"`
	FP     uint64 `json:"fp"`
	Offset int64  `json:"offset"`
}

// Key is the checkpoint key of a file identity.
func Key(dev, ino uint64) string { return fmt.Sprintf("file:%d:%d", dev, ino) }

// Config is one file input.
type Config struct {
	Glob      string
	Multiline *regexp.Regexp // start of a record; nil: every line is a record
	Format    string
	// Checkpoints are the saved positions, by Key.
	Checkpoints map[string]Position
	Poll        time.Duration // how often to look for new data; default 250ms
	// FlushAfter is how long a multi-line record waits for more lines
	// once the file stops growing; default 1s.
	FlushAfter time.Duration
	// CloseAfter is how long a file that left the glob (renamed or
	// deleted) is kept open after its last growth; default 5s.
	CloseAfter time.Duration
	// HoldCopyFor is how long a suspected copy waits for its original to
	// be truncated before it is read as a file of its own; default 30s.
	HoldCopyFor time.Duration
	MaxLine     int // longer lines are cut; default 1 MiB
	Log         *slog.Logger
}

// Tailer follows one glob.
type Tailer struct {
	cfg    Config
	files  map[string]*file // by Key
	chunk  []byte
	now    func() time.Time
	errors atomic.Int64 // read errors, for the heartbeat
}

type file struct {
	key      string
	path     string
	f        *os.File
	dev, ino uint64
	fpLen    int
	fp       uint64
	offset   int64  // bytes consumed (into emitted records, pending or partial)
	partial  []byte // an incomplete last line
	pending  []byte // a multi-line record being assembled
	pendEnd  int64  // offset right after pending
	inGlob   bool
	grew     time.Time // last time the file grew
	copyOf   string    // held as a suspected copy of this key
	heldAt   time.Time
}

// New builds a tailer.
func New(cfg Config) *Tailer {
	if cfg.Poll <= 0 {
		cfg.Poll = 250 * time.Millisecond
	}
	if cfg.FlushAfter <= 0 {
		cfg.FlushAfter = time.Second
	}
	if cfg.CloseAfter <= 0 {
		cfg.CloseAfter = 5 * time.Second
	}
	if cfg.HoldCopyFor <= 0 {
		cfg.HoldCopyFor = 30 * time.Second
	}
	if cfg.MaxLine <= 0 {
		cfg.MaxLine = 1 << 20
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Tailer{cfg: cfg, files: map[string]*file{}, chunk: make([]byte, 256<<10), now: time.Now}
}

// Errors counts read errors since the start.
func (t *Tailer) Errors() int64 { return t.errors.Load() }

// Run follows the glob until ctx ends, sending records to out. Files are
// closed on return; their positions stay with the records already sent.
func (t *Tailer) Run(ctx context.Context, out chan<- []input.Record) error {
	if _, err := filepath.Match(t.cfg.Glob, ""); err != nil {
		return fmt.Errorf("file input %q: %w", t.cfg.Glob, err)
	}
	defer func() {
		for _, f := range t.files {
			f.f.Close()
		}
	}()
	tick := time.NewTicker(t.cfg.Poll)
	defer tick.Stop()
	for {
		if err := t.poll(ctx, out); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// send hands records over, or gives up when ctx ends.
func send(ctx context.Context, out chan<- []input.Record, recs []input.Record) error {
	if len(recs) == 0 {
		return nil
	}
	select {
	case out <- recs:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// poll looks at the glob once and reads what is new.
func (t *Tailer) poll(ctx context.Context, out chan<- []input.Record) error {
	paths, _ := filepath.Glob(t.cfg.Glob)
	sort.Strings(paths)
	for _, f := range t.files {
		f.inGlob = false
	}
	for _, p := range paths {
		dev, ino, err := pathID(p)
		if err != nil {
			continue // gone between glob and stat
		}
		if f, ok := t.files[Key(dev, ino)]; ok {
			f.inGlob, f.path = true, p
			continue
		}
		if err := t.open(p); err != nil {
			t.errors.Add(1)
			t.cfg.Log.Warn("file input: cannot open", "path", p, "err", err)
		}
	}
	// Originals first (they settle the offsets of their copies), then in
	// key order so that runs are reproducible.
	keys := make([]string, 0, len(t.files))
	for k := range t.files {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := t.files[keys[i]], t.files[keys[j]]
		if (a.copyOf == "") != (b.copyOf == "") {
			return a.copyOf == ""
		}
		return keys[i] < keys[j]
	})
	for _, k := range keys {
		f, ok := t.files[k]
		if !ok {
			continue
		}
		if err := t.read(ctx, f, out); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			t.errors.Add(1)
			t.cfg.Log.Warn("file input: read failed", "path", f.path, "err", err)
		}
	}
	return nil
}

// fingerprint hashes the first n bytes of f.
func fingerprint(f *os.File, n int) (uint64, error) {
	buf := make([]byte, n)
	if _, err := f.ReadAt(buf, 0); err != nil {
		return 0, err
	}
	h := fnv.New64a()
	h.Write(buf)
	return h.Sum64(), nil
}

// open starts following a file the tailer has not seen under its identity.
func (t *Tailer) open(path string) error {
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	dev, ino, err := openID(fh)
	if err != nil {
		fh.Close()
		return err
	}
	fi, err := fh.Stat()
	if err != nil {
		fh.Close()
		return err
	}
	f := &file{key: Key(dev, ino), path: path, f: fh, dev: dev, ino: ino, inGlob: true, grew: t.now()}
	if err := t.refreshFingerprint(f, fi.Size()); err != nil {
		fh.Close()
		return err
	}
	if cp, ok := t.cfg.Checkpoints[f.key]; ok && t.matches(f, cp.FPLen, cp.FP) && cp.Offset <= fi.Size() {
		f.offset = cp.Offset
	} else if orig := t.original(f); orig != nil {
		// A copy of a file we follow (copy-truncate in progress): read
		// nothing until the original says where it stopped.
		f.copyOf, f.heldAt = orig.key, t.now()
		f.offset = -1
	} else if cp, ok := t.checkpointOf(f); ok && cp.Offset <= fi.Size() {
		// The copy of a file followed before a restart.
		f.offset = cp.Offset
	}
	t.files[f.key] = f
	return nil
}

// matches reports whether f's first fpLen bytes hash to fp.
func (t *Tailer) matches(f *file, fpLen int, fp uint64) bool {
	if fpLen == 0 {
		return true
	}
	got, err := fingerprint(f.f, fpLen)
	return err == nil && got == fp
}

// original finds a followed file with the same full fingerprint.
func (t *Tailer) original(f *file) *file {
	if f.fpLen < FingerprintBytes {
		return nil
	}
	for _, o := range t.files {
		if o.key != f.key && o.copyOf == "" && o.fpLen == FingerprintBytes && o.fp == f.fp {
			return o
		}
	}
	return nil
}

func (t *Tailer) checkpointOf(f *file) (Position, bool) {
	if f.fpLen < FingerprintBytes {
		return Position{}, false
	}
	for k, cp := range t.cfg.Checkpoints {
		if k != f.key && cp.FPLen == FingerprintBytes && cp.FP == f.fp {
			return cp, true
		}
	}
	return Position{}, false
}

// refreshFingerprint extends a short fingerprint as the file grows.
func (t *Tailer) refreshFingerprint(f *file, size int64) error {
	n := int(min(size, FingerprintBytes))
	if n == f.fpLen || n < f.fpLen {
		return nil
	}
	fp, err := fingerprint(f.f, n)
	if err != nil {
		return err
	}
	f.fpLen, f.fp = n, fp
	return nil
}

// position is where reading resumes after everything emitted so far.
func (f *file) position(end int64) Position {
	return Position{Path: f.path, Dev: f.dev, Ino: f.ino, FPLen: f.fpLen, FP: f.fp, Offset: end}
}

// read takes what is new in one file.
func (t *Tailer) read(ctx context.Context, f *file, out chan<- []input.Record) error {
	now := t.now()
	if f.copyOf != "" {
		if _, ok := t.files[f.copyOf]; ok && now.Sub(f.heldAt) < t.cfg.HoldCopyFor {
			return nil
		}
		// The original is gone without being truncated, or took too long:
		// read the copy from where the original had got to.
		if o, ok := t.files[f.copyOf]; ok {
			f.offset = o.offset
		} else {
			f.offset = 0
		}
		f.copyOf = ""
	}
	fi, err := f.f.Stat()
	if err != nil {
		return err
	}
	size := fi.Size()
	if size < f.offset || (f.fpLen > 0 && !t.matches(f, f.fpLen, f.fp)) {
		if err := t.truncated(ctx, f, out); err != nil {
			return err
		}
		f.fpLen, f.fp = 0, 0
	}
	if err := t.refreshFingerprint(f, size); err != nil {
		return err
	}
	var recs []input.Record
	for f.offset < size {
		n, err := f.f.ReadAt(t.chunk[:min(int64(len(t.chunk)), size-f.offset)], f.offset)
		if n == 0 {
			if err != nil && !errors.Is(err, io.EOF) {
				return err
			}
			break
		}
		recs = t.lines(f, t.chunk[:n], recs)
		f.grew = now
		if len(recs) >= 1024 { // bounded hand-overs keep memory flat during catch-up
			if err := send(ctx, out, recs); err != nil {
				return err
			}
			recs = nil
		}
	}
	idle := now.Sub(f.grew)
	if len(f.pending) > 0 && idle >= t.cfg.FlushAfter {
		recs = t.flushPending(f, recs)
	}
	if !f.inGlob && idle >= t.cfg.CloseAfter {
		// Renamed away or deleted, and quiet: its last words, then close.
		if len(f.partial) > 0 {
			recs = t.emit(f, recs, f.partial, f.offset)
			f.partial = nil
		}
		recs = t.flushPending(f, recs)
		recs = append(recs, input.Record{Key: f.key, Forget: true})
		if err := send(ctx, out, recs); err != nil {
			return err
		}
		f.f.Close()
		delete(t.files, f.key)
		return nil
	}
	return send(ctx, out, recs)
}

// lines splits a chunk read at f.offset into lines and records.
func (t *Tailer) lines(f *file, chunk []byte, recs []input.Record) []input.Record {
	// One allocation for the chunk's lines: records slice into it.
	data := make([]byte, len(chunk))
	copy(data, chunk)
	base := f.offset
	f.offset += int64(len(chunk))
	start := 0
	for start < len(data) {
		i := bytes.IndexByte(data[start:], '\n')
		if i < 0 {
			f.partial = append(f.partial, data[start:]...)
			if len(f.partial) >= t.cfg.MaxLine {
				recs = t.line(f, recs, f.partial, f.offset)
				f.partial = nil
			}
			break
		}
		line := data[start : start+i]
		end := base + int64(start+i+1)
		if len(f.partial) > 0 {
			line = append(f.partial, line...)
			f.partial = nil
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		recs = t.line(f, recs, line, end)
		start += i + 1
	}
	return recs
}

// line handles one complete line ending at offset end.
func (t *Tailer) line(f *file, recs []input.Record, line []byte, end int64) []input.Record {
	if len(line) > t.cfg.MaxLine {
		line = line[:t.cfg.MaxLine]
	}
	if t.cfg.Multiline == nil {
		if len(line) == 0 {
			return recs // a blank line is not a record, but still advances
		}
		return t.emit(f, recs, line, end)
	}
	if t.cfg.Multiline.Match(line) || len(f.pending) == 0 {
		recs = t.flushPending(f, recs)
		f.pending = append(f.pending[:0:0], line...)
	} else if len(f.pending) < t.cfg.MaxLine {
		f.pending = append(append(f.pending, '\n'), line...)
	}
	f.pendEnd = end
	return recs
}

func (t *Tailer) flushPending(f *file, recs []input.Record) []input.Record {
	if len(f.pending) == 0 {
		return recs
	}
	recs = t.emit(f, recs, f.pending, f.pendEnd)
	f.pending = nil
	return recs
}

func (t *Tailer) emit(f *file, recs []input.Record, data []byte, end int64) []input.Record {
	return append(recs, input.Record{Source: f.path, Format: t.cfg.Format, Data: data, Key: f.key, Pos: f.position(end)})
}

// truncated handles a file cut below what was read: whatever the copy
// (copy-truncate) holds beyond the old offset is read from the copy, and
// the file restarts at 0.
func (t *Tailer) truncated(ctx context.Context, f *file, out chan<- []input.Record) error {
	old := f.offset
	t.cfg.Log.Info("file input: truncated; reading it again from the start", "path", f.path, "offset", old)
	var recs []input.Record
	if f.fpLen == FingerprintBytes {
		if c := t.heldCopy(f); c != nil {
			c.copyOf, c.offset = "", old // the tailer reads it on
		} else if path, ok := t.findCopy(f, old); ok {
			recs = t.drainCopy(f, path, old, recs)
		}
	}
	f.offset, f.partial, f.pending = 0, nil, nil
	// The restart is a position of its own: a checkpoint taken now must
	// not send a restarted agent past the new content.
	recs = append(recs, input.Record{Key: f.key, Pos: f.position(0)})
	return send(ctx, out, recs)
}

func (t *Tailer) heldCopy(f *file) *file {
	for _, c := range t.files {
		if c.copyOf == f.key {
			return c
		}
	}
	return nil
}

// findCopy looks beside f for an unfollowed file with f's fingerprint that
// is at least `from` bytes long.
func (t *Tailer) findCopy(f *file, from int64) (string, bool) {
	dir := filepath.Dir(f.path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", false
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		p := filepath.Join(dir, e.Name())
		dev, ino, err := pathID(p)
		if err != nil || Key(dev, ino) == f.key {
			continue
		}
		if _, followed := t.files[Key(dev, ino)]; followed {
			continue
		}
		c, err := os.Open(p)
		if err != nil {
			continue
		}
		fi, err := c.Stat()
		ok := err == nil && fi.Size() >= from
		if ok {
			fp, err := fingerprint(c, FingerprintBytes)
			ok = err == nil && fp == f.fp
		}
		c.Close()
		if ok {
			return p, true
		}
	}
	return "", false
}

// drainCopy reads the copy from `from` to its end as the rest of f.
func (t *Tailer) drainCopy(f *file, path string, from int64, recs []input.Record) []input.Record {
	data, err := readFrom(path, from)
	if err != nil {
		t.errors.Add(1)
		t.cfg.Log.Warn("file input: copy-truncate copy unreadable", "copy", path, "err", err)
		return recs
	}
	t.cfg.Log.Info("file input: copy-truncate: reading the rest from the copy", "path", f.path, "copy", path, "bytes", len(data))
	saved := f.offset
	f.offset = from
	recs = t.lines(f, data, recs)
	if len(f.partial) > 0 {
		recs = t.line(f, recs, f.partial, f.offset)
		f.partial = nil
	}
	recs = t.flushPending(f, recs)
	f.offset = saved
	return recs
}

func readFrom(path string, from int64) ([]byte, error) {
	c, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if _, err := c.Seek(from, io.SeekStart); err != nil {
		return nil, err
	}
	return io.ReadAll(io.LimitReader(c, 512<<20))
}
