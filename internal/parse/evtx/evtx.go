// Package evtx reads Windows XML event log files (.evtx) and yields one
// parse.Record per event, with the same flattened field names and string
// renderings as parse/winevent (see its package comment), so a rule or a
// test cannot tell whether an event came from a binary log or a JSON export.
//
// The decoder is the package's own (chunk.go, binxml.go): it parses each
// chunk's templates once, expands every record's template straight into
// fields (fields.go) and renders each value from its BinXML type as the
// Windows XML view shows it (value.go): hex-typed integers as 0x…, GUIDs in
// braces, FILETIMEs and SYSTEMTIMEs as RFC 3339 with 100 ns precision.
//
// Read decodes on the caller's goroutine; ReadParallel spreads a file's
// chunks over several goroutines and still delivers records in file order.
//
// Records past the chunk header's count in a dirty chunk (a log not closed
// cleanly) are not read: they may be left from an earlier use of the chunk,
// and python-evtx and libevtx do not count them either (conformance_test.go).
//
// This package must never panic on a corrupt file, nor stop at the first bad
// record, nor let a corrupt chunk cost more than a fixed multiple of a clean
// one (the budgets in binxml.go): errors are reported per record or per
// chunk and reading goes on. It does no I/O beyond reading the file it is given.
package evtx

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/yagura-soc/yagura/internal/parse"
	"github.com/yagura-soc/yagura/internal/parse/winevent"
)

// Format is the record format name; EVTX events are Windows events.
const Format = winevent.Format

// ErrNotEVTX is returned when a file does not start with the EVTX magic.
var ErrNotEVTX = errors.New("evtx: not an EVTX file")

// RecordError describes a record or chunk that could not be decoded.
type RecordError struct {
	Chunk    int    // chunk index in the file
	RecordID uint64 // 0 when the whole chunk failed
	Err      error
}

func (e *RecordError) Error() string {
	if e.RecordID == 0 {
		return fmt.Sprintf("evtx: chunk %d: %v", e.Chunk, e.Err)
	}
	return fmt.Sprintf("evtx: chunk %d record %d: %v", e.Chunk, e.RecordID, e.Err)
}

func (e *RecordError) Unwrap() error { return e.Err }

// ReadFile calls fn for every record of the EVTX file at path; see Read.
func ReadFile(path string, fn func(parse.Record, error) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("evtx: %w", err)
	}
	defer f.Close()
	if err := Read(f, fn); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// Read decodes every record of an EVTX file in file order and calls fn with
// the record, or with a zero record and a *RecordError when a record or a
// whole chunk cannot be decoded. Reading stops early only when fn returns an
// error (which Read returns) or when the file header is unreadable.
func Read(r io.ReadSeeker, fn func(parse.Record, error) error) error {
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("evtx: seek: %w", err)
	}
	var head [fileHeaderSize]byte
	n, err := io.ReadFull(r, head[:])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return ErrNotEVTX
	}
	h, err := readFileHeader(head[:n])
	if err != nil {
		return err
	}
	if _, err := r.Seek(h.firstChunk, io.SeekStart); err != nil {
		return fmt.Errorf("evtx: seek: %w", err)
	}
	d := newDecoder()
	buf := d.buf
	for i := 0; ; i++ {
		n, err := io.ReadFull(r, buf)
		if n == 0 {
			if err != nil && !errors.Is(err, io.EOF) {
				return fmt.Errorf("evtx: read chunk %d: %w", i, err)
			}
			return nil
		}
		if err := d.chunk(i, buf[:n], fn); err != nil {
			return err
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil // a short last chunk
		} else if err != nil {
			return fmt.Errorf("evtx: read chunk %d: %w", i, err)
		}
	}
}

// ReadParallel is Read with chunks decoded by up to workers goroutines
// (chunks are independent: each carries its own templates and strings).
// fn is still called from one goroutine, in file order. r must be safe for
// concurrent ReadAt (an *os.File or a *bytes.Reader is); size is its length.
// At most 2×workers decoded chunks are held at a time.
func ReadParallel(r io.ReaderAt, size int64, workers int, fn func(parse.Record, error) error) error {
	if workers < 2 {
		return Read(io.NewSectionReader(r, 0, size), fn)
	}
	head := make([]byte, min(size, fileHeaderSize))
	if _, err := r.ReadAt(head, 0); err != nil && !errors.Is(err, io.EOF) {
		return ErrNotEVTX
	}
	h, err := readFileHeader(head)
	if err != nil {
		return err
	}
	chunks := 0
	if size > h.firstChunk {
		chunks = int((size - h.firstChunk + chunkSize - 1) / chunkSize)
	}
	type decoded struct {
		recs []parse.Record
		errs []error
	}
	results := make([]chan decoded, chunks)
	for i := range results {
		results[i] = make(chan decoded, 1)
	}
	jobs := make(chan int)
	done := make(chan struct{})
	defer close(done)
	for w := 0; w < workers; w++ {
		go func() {
			dec := newDecoder()
			buf := dec.buf
			for i := range jobs {
				var d decoded
				n, err := r.ReadAt(buf, h.firstChunk+int64(i)*chunkSize)
				if err != nil && !errors.Is(err, io.EOF) {
					d.recs = append(d.recs, parse.Record{})
					d.errs = append(d.errs, &RecordError{Chunk: i, Err: err})
				} else {
					_ = dec.chunk(i, buf[:n], func(rec parse.Record, err error) error {
						d.recs = append(d.recs, rec)
						d.errs = append(d.errs, err)
						return nil
					})
				}
				select {
				case results[i] <- d:
				case <-done:
					return
				}
			}
		}()
	}
	// Feed jobs at most 2×workers ahead of the consumer: a token per chunk
	// in flight, returned when the consumer has taken its records.
	window := make(chan struct{}, 2*workers)
	go func() {
		defer close(jobs)
		for i := 0; i < chunks; i++ {
			select {
			case window <- struct{}{}:
			case <-done:
				return
			}
			select {
			case jobs <- i:
			case <-done:
				return
			}
		}
	}()
	for i := 0; i < chunks; i++ {
		d := <-results[i]
		<-window
		for j := range d.recs {
			if err := fn(d.recs[j], d.errs[j]); err != nil {
				return err
			}
		}
	}
	return nil
}
