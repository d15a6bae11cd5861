// Package scan is the offline forensic scanner behind "yagura scan": it
// reads event files (EVTX, Windows events as JSON lines or JSON documents),
// normalizes them, runs them through a detector in timestamp order across
// all files (so correlations see one timeline) and reports the matches.
//
// Formats recognised: .evtx (by magic); JSON, one object per line or
// several pretty-printed objects or a JSON array, each object read as a
// Windows event in any form parse/winevent accepts or else as generic JSON;
// and text logs, line by line, in any format parse/auto detects (syslog
// RFC 3164/5424, sshd/sudo auth logs, auditd, web access logs, key=value).
// A text file whose first lines no parser recognises is reported as
// unsupported and counted, never silently skipped.
//
// The scanner holds every event of a scan in memory to sort them (about
// 2 KB per event); it must never write anywhere but the writers it is
// given, never stop at a bad record, and never panic on input.
package scan

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/yagura-soc/yagura/internal/detect"
	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/normalize"
	"github.com/yagura-soc/yagura/internal/parse"
	"github.com/yagura-soc/yagura/internal/parse/evtx"
	"github.com/yagura-soc/yagura/internal/parse/winevent"
)

// Tenant is the tenant given to scanned events.
const Tenant = "scan"

// Levels in increasing severity, as Sigma names them.
var Levels = []string{"informational", "low", "medium", "high", "critical"}

// LevelRank returns the position of a Sigma level in Levels, -1 if unknown.
func LevelRank(level string) int {
	for i, l := range Levels {
		if strings.EqualFold(l, level) {
			return i
		}
	}
	return -1
}

// Finding is one match with where it came from.
type Finding struct {
	detect.Match
	Source   string // file of the (last) triggering event
	RecordID string // EventRecordID of that event, "" when the input has none
}

// Summary counts what a scan did.
type Summary struct {
	Files       int
	Unsupported []string // files in no format the scanner reads
	Events      int
	Errors      int // records that could not be parsed
	Matches     int
	ByLevel     map[string]int
	ByRule      map[string]int // "title (id)" → count
	ErrorSample []string       // the first few record errors, for the report
}

// Options configure a scan.
type Options struct {
	// MinLevel drops findings below this Sigma level ("" keeps all).
	MinLevel string
}

// Files expands inputs (files or directories, walked recursively) into the
// sorted list of regular files to read.
func Files(inputs []string) ([]string, error) {
	var out []string
	for _, in := range inputs {
		info, err := os.Stat(in)
		if err != nil {
			return nil, fmt.Errorf("scan: %w", err)
		}
		if !info.IsDir() {
			out = append(out, in)
			continue
		}
		err = filepath.WalkDir(in, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.Type().IsRegular() && !strings.HasPrefix(d.Name(), ".") {
				out = append(out, p)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("scan: walk %s: %w", in, err)
		}
	}
	sort.Strings(out)
	return out, nil
}

// Run reads every input, sorts the events by timestamp (file order breaks
// ties) and passes them to det; emit is called for each finding at or above
// opts.MinLevel, in timeline order. Run returns an error only when an input
// cannot be read at all or emit fails; bad records are counted.
func Run(inputs []string, det detect.Detector, opts Options, emit func(Finding) error) (Summary, error) {
	sum := Summary{ByLevel: map[string]int{}, ByRule: map[string]int{}}
	files, err := Files(inputs)
	if err != nil {
		return sum, err
	}
	// Files are decoded in parallel (EVTX decoding dominates a scan), then
	// concatenated in file order so equal timestamps keep a stable order.
	perFile := make([]fileResult, len(files))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				perFile[i] = readOne(files[i])
			}
		}()
	}
	for i := range files {
		next <- i
	}
	close(next)
	wg.Wait()
	var events []*event.Event
	for i, r := range perFile {
		sum.Files++
		if errors.Is(r.err, ErrUnsupported) {
			sum.Unsupported = append(sum.Unsupported, files[i])
			continue
		}
		if r.err != nil {
			return sum, r.err
		}
		sum.Events += len(r.events)
		sum.Errors += r.errors
		for _, e := range r.sample {
			if len(sum.ErrorSample) < 10 {
				sum.ErrorSample = append(sum.ErrorSample, e)
			}
		}
		events = append(events, r.events...)
		perFile[i] = fileResult{}
	}
	sort.SliceStable(events, func(i, j int) bool { return events[i].Timestamp.Before(events[j].Timestamp) })
	minRank := LevelRank(opts.MinLevel)
	var out []detect.Match
	for i, ev := range events {
		out = det.Detect(ev, out[:0])
		for _, m := range out {
			if LevelRank(m.Level) < minRank {
				continue
			}
			fd := Finding{Match: m, Source: ev.Source}
			if n := len(m.Events); n > 0 {
				last := m.Events[n-1]
				fd.Source = last.Source
				fd.RecordID, _ = last.Fields["EventRecordID"].(string)
			}
			sum.Matches++
			sum.ByLevel[strings.ToLower(m.Level)]++
			sum.ByRule[m.RuleTitle+" ("+m.RuleID+")"]++
			if err := emit(fd); err != nil {
				return sum, err
			}
		}
		if len(out) == 0 {
			events[i] = nil // nothing refers to it any more: let it go
		}
	}
	return sum, nil
}

// fileResult is what one file yielded.
type fileResult struct {
	events []*event.Event
	errors int
	sample []string
	err    error
}

func readOne(path string) fileResult {
	var r fileResult
	r.err = ReadFile(path, func(ev *event.Event, err error) {
		if err != nil {
			r.errors++
			if len(r.sample) < 10 {
				r.sample = append(r.sample, fmt.Sprintf("%s: %v", path, err))
			}
			return
		}
		r.events = append(r.events, ev)
	})
	return r
}

// ErrUnsupported marks a file in no format the scanner reads.
var ErrUnsupported = errors.New("scan: unsupported file format")

// ReadFile reads one file's events, normalized, calling fn for each event or
// record error. It returns ErrUnsupported for files in no known format.
func ReadFile(path string, fn func(*event.Event, error)) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("scan: %w", err)
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	if bytes.HasPrefix(head, []byte("ElfFile\x00")) {
		info, err := f.Stat()
		if err != nil {
			return fmt.Errorf("scan: %w", err)
		}
		// A single large log (a server's Security.evtx) is decoded on all
		// cores too, chunk by chunk.
		return evtx.ReadParallel(f, info.Size(), runtime.GOMAXPROCS(0), func(rec parse.Record, err error) error {
			if err != nil {
				fn(nil, err)
				return nil
			}
			fn(NewEvent(rec, path), nil)
			return nil
		})
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("scan: %w", err)
	}
	trimmed := bytes.TrimLeft(head, " \t\r\n\ufeff")
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		err := readJSON(bufio.NewReaderSize(f, 1<<20), path, fn)
		if !errors.Is(err, ErrUnsupported) {
			return err
		}
		// Not JSON after all (e.g. a log line starting with '['): read as text.
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("scan: %w", err)
		}
	}
	return readText(f, path, fn)
}

// probeLines is how many leading non-comment lines decide whether a text
// file is in a known format.
const probeLines = 5

// readText reads a text log line by line through parse/auto. The file is
// unsupported when none of its first probeLines lines (after # comments,
// as in W3C logs) is recognised.
func readText(r io.Reader, path string, fn func(*event.Event, error)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	probed, known := 0, false
	var pending []*event.Event
	var pendingErr []error
	flush := func() {
		for i, ev := range pending {
			if ev != nil {
				fn(ev, nil)
			} else {
				fn(nil, pendingErr[i])
			}
		}
		pending, pendingErr = nil, nil
	}
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimRight(sc.Bytes(), "\r")
		if len(bytes.TrimSpace(b)) == 0 || b[0] == '#' {
			continue
		}
		ev, rerr := normalizeRaw(b, path)
		if rerr != nil {
			rerr = fmt.Errorf("line %d: %w", line, rerr)
		}
		if !known {
			probed++
			known = ev != nil
			pending = append(pending, ev)
			pendingErr = append(pendingErr, rerr)
			if known {
				flush()
			} else if probed >= probeLines {
				return ErrUnsupported
			}
			continue
		}
		fn(ev, rerr)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("scan: read %s: %w", path, err)
	}
	if !known {
		return ErrUnsupported
	}
	return nil
}

// readJSON decodes a stream of JSON values (lines, pretty-printed objects,
// or arrays of objects) and parses each object as a Windows event. A
// syntax error ends the file (the decoder cannot resynchronise) and is
// reported as a record error.
func readJSON(r io.Reader, path string, fn func(*event.Event, error)) error {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	seen := 0
	for {
		var v any
		err := dec.Decode(&v)
		if err == io.EOF {
			break
		}
		if err != nil {
			if seen == 0 {
				return ErrUnsupported
			}
			fn(nil, fmt.Errorf("JSON after %d values: %w", seen, err))
			break
		}
		seen++
		items := []any{v}
		if arr, ok := v.([]any); ok {
			items = arr
		}
		for _, it := range items {
			m, ok := it.(map[string]any)
			if !ok {
				fn(nil, errors.New("JSON value is not an object"))
				continue
			}
			rec, err := winevent.FromMap(m)
			if err == nil {
				fn(NewEvent(rec, path), nil)
				continue
			}
			// Not a Windows event: generic JSON through the shared normalizer.
			raw, merr := json.Marshal(m)
			if merr != nil {
				fn(nil, fmt.Errorf("re-encode JSON: %w", merr))
				continue
			}
			fn(normalizeRaw(raw, path))
		}
	}
	return nil
}

// normalizeRaw reads one raw record through the shared normalizer; a record
// no parser made any field of is an error.
func normalizeRaw(raw []byte, source string) (*event.Event, error) {
	ev := &event.Event{Tenant: Tenant, Source: source, Raw: string(raw)}
	normalize.Event(ev, raw, "")
	if ev.ParseError != "" && len(ev.Fields) == 0 {
		return nil, errors.New(ev.ParseError)
	}
	return ev, nil
}

// NewEvent wraps a parsed Windows record as a normalized event.
func NewEvent(rec parse.Record, source string) *event.Event {
	ev := &event.Event{
		Tenant:    Tenant,
		Timestamp: rec.Time,
		Source:    source,
		Fields:    rec.Fields,
		ECS:       make(event.Fields, 24),
	}
	normalize.Windows(ev)
	return ev
}
