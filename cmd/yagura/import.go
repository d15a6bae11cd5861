package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/yagura-soc/yagura/internal/ingest"
	"github.com/yagura-soc/yagura/internal/metrics"
	"github.com/yagura-soc/yagura/internal/parse"
	"github.com/yagura-soc/yagura/internal/parse/evtx"
	"github.com/yagura-soc/yagura/internal/pipeline"
	"github.com/yagura-soc/yagura/internal/store"
	"github.com/yagura-soc/yagura/internal/store/duckdb"
	"github.com/yagura-soc/yagura/internal/store/sqlite"
)

// importBatch is how many records go to the pipeline in one batch.
const importBatch = 1000

// runImport is "yagura import [--data DIR] [--tenant T] [--format F]
// FILE...": EVTX files, JSON lines and log files (gzipped or not) into a
// tenant, through the same pipeline as live intake (parse, normalize,
// detect, store), with progress on stderr. It opens the stores itself, so
// the server must not be running on the same data folder.
func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("import", stderr)
	var d dataFlags
	d.register(fs)
	tenant := fs.String("tenant", store.DefaultTenant, "tenant the records belong to")
	format := fs.String("format", "", "parser for text files (default: detected per record); EVTX files are always read as EVTX")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError("import needs at least one file")
	}
	cfg, err := d.load()
	if err != nil {
		return err
	}
	for _, f := range fs.Args() {
		if st, err := os.Stat(f); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		} else if st.IsDir() {
			return usageError("%s is a folder; name the files (e.g. %s/*.evtx)", f, f)
		}
	}
	log := newLogger(stderr, cfg.LogLevel)
	deps, err := engines(cfg, log)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return fmt.Errorf("data folder: %w", err)
	}
	events, err := duckdb.OpenWith(ctx, cfg.EventsPath(), duckdb.Options{MemoryLimit: cfg.Events.MemoryLimit})
	if err != nil {
		if strings.Contains(strings.ToLower(err.Error()), "lock") {
			return fmt.Errorf("the event store %s is in use by another process: is `yagura serve` running on this data folder? "+
				"Stop it first, or send the files to the running server instead (POST /api/v1/events, HEC or syslog): %w", cfg.EventsPath(), err)
		}
		return err
	}
	defer events.Close()
	state, err := sqlite.Open(ctx, cfg.StatePath())
	if err != nil {
		return err
	}
	defer state.Close()
	if _, err := state.Tenants().Get(ctx, *tenant); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("tenant %q does not exist (create it with 'yagura tenant create %s')", *tenant, *tenant)
		}
		return err
	}
	p := pipeline.New(pipeline.Config{Workers: cfg.Pipeline.Workers, QueueBatches: cfg.Pipeline.QueueBatches,
		MaxWriteEvents: cfg.Pipeline.MaxWriteEvents, DedupWindow: time.Duration(cfg.Alerts.DedupWindow)},
		events, state, deps.Normalize, deps.Detector, metrics.New(), log)

	imp := &importer{p: p, tenant: *tenant, format: *format, maxLine: cfg.Pipeline.MaxLineBytes, results: make(chan pending, 256)}
	collected := make(chan struct{})
	go func() { imp.collect(); close(collected) }()
	start := time.Now()
	var readErr error
	for _, path := range fs.Args() {
		if err := imp.file(ctx, path, stderr); err != nil {
			readErr = err
			break
		}
	}
	close(imp.results)
	<-collected
	if err := p.Close(context.Background()); err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	fmt.Fprintf(stderr, "import: %d records from %d file(s) stored in tenant %s in %.1fs (%.0f/s); %d stored raw with a parse error; %d unreadable\n",
		imp.stored.Load(), len(fs.Args()), *tenant, secs, float64(imp.stored.Load())/max(secs, 0.001), imp.parseErrors.Load(), imp.unreadable.Load())
	if readErr != nil {
		return readErr
	}
	if err := imp.storeErr.Load(); err != nil {
		return fmt.Errorf("some records were not stored: %w", *err)
	}
	return nil
}

// importer feeds one pipeline from files and counts the outcome.
type importer struct {
	p       *pipeline.Pipeline
	tenant  string
	format  string
	maxLine int

	results                         chan pending
	stored, parseErrors, unreadable atomic.Int64
	read                            atomic.Int64
	storeErr                        atomic.Pointer[error]
}

type pending struct {
	ch <-chan pipeline.Result
	n  int
}

// collect waits for each batch's acknowledgement, in order.
func (imp *importer) collect() {
	for pd := range imp.results {
		r := <-pd.ch
		if r.Err != nil {
			err := r.Err
			imp.storeErr.CompareAndSwap(nil, &err)
			continue
		}
		imp.stored.Add(int64(r.Accepted))
		imp.parseErrors.Add(int64(len(r.Errors)))
	}
}

// send hands one batch over; Enqueue blocks while the pipeline is full.
func (imp *importer) send(ctx context.Context, source string, items []pipeline.Item) error {
	if len(items) == 0 {
		return nil
	}
	ch, err := imp.p.Enqueue(ctx, pipeline.Batch{Tenant: imp.tenant, Source: source, Items: items})
	if err != nil {
		return err
	}
	imp.read.Add(int64(len(items)))
	imp.results <- pending{ch: ch, n: len(items)}
	return nil
}

// file imports one file, printing progress every few seconds.
func (imp *importer) file(ctx context.Context, path string, stderr io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, _ := f.Stat()
	counted := &countingReader{r: f}
	source := "import:" + filepath.Base(path)
	before := imp.read.Load()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(2 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				pct := ""
				if st != nil && st.Size() > 0 {
					pct = fmt.Sprintf(" (%.0f%% read)", 100*float64(counted.n.Load())/float64(st.Size()))
				}
				fmt.Fprintf(stderr, "import: %s: %d records%s, %d stored so far\n", path, imp.read.Load()-before, pct, imp.stored.Load())
			}
		}
	}()
	head := make([]byte, 8)
	n, _ := io.ReadFull(f, head)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	switch {
	case n == 8 && bytes.Equal(head, []byte("ElfFile\x00")):
		err = imp.evtxFile(ctx, f, source)
	case n >= 2 && head[0] == 0x1f && head[1] == 0x8b:
		var zr *gzip.Reader
		if zr, err = gzip.NewReader(counted); err == nil {
			err = imp.lines(ctx, zr, source)
		}
	default:
		err = imp.lines(ctx, counted, source)
	}
	close(stop)
	wg.Wait()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	fmt.Fprintf(stderr, "import: %s: %d records read\n", path, imp.read.Load()-before)
	return nil
}

// lines sends one record per line; longer lines are cut and flagged.
func (imp *importer) lines(ctx context.Context, r io.Reader, source string) error {
	br := bufio.NewReaderSize(r, 1<<20)
	batch := make([]pipeline.Item, 0, importBatch)
	var rec []byte
	total := 0
	for {
		chunk, err := br.ReadSlice('\n')
		if len(rec) < imp.maxLine {
			rec = append(rec, chunk[:min(len(chunk), imp.maxLine-len(rec))]...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			total += len(chunk)
			continue
		}
		total += len(bytes.TrimRight(chunk, "\r\n"))
		line := bytes.TrimRight(rec, "\r\n")
		if len(bytes.TrimSpace(line)) > 0 {
			it := ingest.Record(line, imp.maxLine, total > imp.maxLine)
			it.Format = imp.format
			batch = append(batch, it)
		}
		rec, total = rec[:0], 0
		if len(batch) == importBatch || (err != nil && len(batch) > 0) {
			if serr := imp.send(ctx, source, batch); serr != nil {
				return serr
			}
			batch = make([]pipeline.Item, 0, importBatch)
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// evtxFile sends each EVTX record as the flattened JSON the winevent
// parser reads, with its time; undecodable records are counted and named.
func (imp *importer) evtxFile(ctx context.Context, f io.ReadSeeker, source string) error {
	batch := make([]pipeline.Item, 0, importBatch)
	err := evtx.Read(f, func(rec parse.Record, rerr error) error {
		if rerr != nil {
			imp.unreadable.Add(1)
			return nil
		}
		data, err := json.Marshal(rec.Fields)
		if err != nil {
			imp.unreadable.Add(1)
			return nil
		}
		it := ingest.Record(data, 0, false)
		it.Format, it.Time = evtx.Format, rec.Time
		batch = append(batch, it)
		if len(batch) == importBatch {
			if err := imp.send(ctx, source, batch); err != nil {
				return err
			}
			batch = make([]pipeline.Item, 0, importBatch)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return imp.send(ctx, source, batch)
}

type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}
