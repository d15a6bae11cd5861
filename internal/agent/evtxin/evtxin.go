// Package evtxin is the host agent's EVTX input: it follows Windows event
// log files (.evtx) by glob and ships each new record as a JSON object of
// the fields internal/parse/evtx decodes, with format "winevent", so the
// server parses and normalizes it like any other Windows event export.
//
// A file is re-read when its size or modification time changes; records at
// or below the file's saved EventRecordID are skipped, so a restart or a
// re-read sends nothing twice. It only reads files.
package evtxin

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/yagura-soc/yagura/internal/agent/input"
	"github.com/yagura-soc/yagura/internal/parse"
	"github.com/yagura-soc/yagura/internal/parse/evtx"
)

// Format is the input's name in a file input's "format".
const Format = "evtx"

// Position is how far a file was read.
type Position struct {
	Path     string `json:"path"`
	RecordID uint64 `json:"record_id"`
}

// Key is the checkpoint key of an EVTX file (by path: Windows keeps its
// logs under fixed names and rewrites them in place).
func Key(path string) string { return "evtx:" + path }

// Config is one EVTX input.
type Config struct {
	Glob        string
	Checkpoints map[string]Position
	Poll        time.Duration // default 5s: event logs are flushed in bursts
	Log         *slog.Logger
}

type seen struct {
	size    int64
	modTime time.Time
}

// Run follows the glob until ctx ends.
func Run(ctx context.Context, cfg Config, out chan<- []input.Record) error {
	if _, err := filepath.Match(cfg.Glob, ""); err != nil {
		return fmt.Errorf("evtx input %q: %w", cfg.Glob, err)
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 5 * time.Second
	}
	last := map[string]uint64{}
	for k, p := range cfg.Checkpoints {
		last[k] = p.RecordID
	}
	files := map[string]seen{}
	tick := time.NewTicker(cfg.Poll)
	defer tick.Stop()
	for {
		paths, _ := filepath.Glob(cfg.Glob)
		sort.Strings(paths)
		for _, p := range paths {
			fi, err := os.Stat(p)
			if err != nil {
				continue
			}
			if s, ok := files[p]; ok && s.size == fi.Size() && s.modTime.Equal(fi.ModTime()) {
				continue
			}
			if err := readFile(ctx, p, last, out); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				if cfg.Log != nil {
					cfg.Log.Warn("evtx input: read failed", "path", p, "err", err)
				}
				continue
			}
			files[p] = seen{fi.Size(), fi.ModTime()}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// readFile sends the records of one file above its saved record id. A
// file whose highest id is below the saved one was cleared: it is read
// from its start.
func readFile(ctx context.Context, path string, last map[string]uint64, out chan<- []input.Record) error {
	key := Key(path)
	if top, err := highestID(path); err == nil && top < last[key] {
		last[key] = 0
	}
	from := last[key]
	var recs []input.Record
	flush := func() error {
		if len(recs) == 0 {
			return nil
		}
		select {
		case out <- recs:
			recs = nil
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	err := evtx.ReadFile(path, func(r parse.Record, err error) error {
		if err != nil {
			return nil // a damaged record or chunk: the rest still counts
		}
		id, _ := strconv.ParseUint(fmt.Sprint(r.Fields["EventRecordID"]), 10, 64)
		if id != 0 && id <= from {
			return nil
		}
		data, jerr := json.Marshal(r.Fields)
		if jerr != nil {
			return nil
		}
		if id > last[key] {
			last[key] = id
		}
		recs = append(recs, input.Record{Source: path, Format: "winevent", Data: data, Key: key, Pos: Position{Path: path, RecordID: last[key]}})
		if len(recs) >= 1024 {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

// highestID is the largest EventRecordID in a file.
func highestID(path string) (uint64, error) {
	var top uint64
	err := evtx.ReadFile(path, func(r parse.Record, err error) error {
		if err == nil {
			if id, _ := strconv.ParseUint(fmt.Sprint(r.Fields["EventRecordID"]), 10, 64); id > top {
				top = id
			}
		}
		return nil
	})
	return top, err
}
