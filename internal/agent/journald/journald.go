// Package journald reads the systemd journal through
// `journalctl -o json --follow`, resuming after the saved cursor, and hands
// each entry (one JSON object) to the batcher with the cursor that follows
// it. It runs journalctl with a fixed argument list (the cursor is one
// argument, never shell text) and, where journalctl does not exist, says so
// once and does nothing.
package journald

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"time"

	"github.com/yagura-soc/yagura/internal/agent/input"
)

// Key is the checkpoint key of the journal position.
const Key = "journald"

// Source names journal records.
const Source = "journald"

// Position is where reading resumes.
type Position struct {
	Cursor string `json:"cursor"`
}

// ErrUnavailable means journalctl is not installed (not a systemd host).
var ErrUnavailable = errors.New("journalctl not found: journald input skipped")

// Config is the journald input.
type Config struct {
	Cursor  string // resume after it; empty: start at the end of the journal
	Command string // default "journalctl"
	Log     *slog.Logger
	// Restart is the pause before journalctl is started again after it
	// exited; default 1s.
	Restart time.Duration
}

// Args are journalctl's arguments for a cursor.
func Args(cursor string) []string {
	args := []string{"--output", "json", "--follow", "--no-pager", "--quiet"}
	if cursor != "" {
		return append(args, "--after-cursor", cursor)
	}
	return append(args, "--lines", "0")
}

// Run follows the journal until ctx ends.
func Run(ctx context.Context, cfg Config, out chan<- []input.Record) error {
	if cfg.Command == "" {
		cfg.Command = "journalctl"
	}
	if cfg.Restart <= 0 {
		cfg.Restart = time.Second
	}
	path, err := exec.LookPath(cfg.Command)
	if err != nil {
		return ErrUnavailable
	}
	cursor := cfg.Cursor
	for {
		next, err := follow(ctx, path, cursor, out)
		cursor = next
		if ctx.Err() != nil {
			return nil
		}
		if cfg.Log != nil {
			cfg.Log.Warn("journalctl exited; starting it again", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(cfg.Restart):
		}
	}
}

// follow runs journalctl once and returns the last cursor it delivered.
func follow(ctx context.Context, path, cursor string, out chan<- []input.Record) (string, error) {
	cmd := exec.CommandContext(ctx, path, Args(cursor)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return cursor, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return cursor, fmt.Errorf("start %s: %w", path, err)
	}
	defer cmd.Wait()
	br := bufio.NewReaderSize(stdout, 256<<10)
	var recs []input.Record
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 && line[len(line)-1] == '\n' {
			line = bytes.TrimRight(line, "\r\n")
			var entry struct {
				Cursor string `json:"__CURSOR"`
			}
			if json.Unmarshal(line, &entry) == nil && entry.Cursor != "" {
				cursor = entry.Cursor
				recs = append(recs, input.Record{Source: Source, Data: line, Key: Key, Pos: Position{Cursor: cursor}})
			}
		}
		// Hand over whenever journalctl has nothing more buffered, so a
		// quiet journal is not held back.
		if len(recs) > 0 && (br.Buffered() == 0 || len(recs) >= 1024 || err != nil) {
			select {
			case out <- recs:
				recs = nil
			case <-ctx.Done():
				return cursor, ctx.Err()
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return cursor, fmt.Errorf("journalctl ended: %s", bytes.TrimSpace(stderr.Bytes()))
			}
			return cursor, err
		}
	}
}
