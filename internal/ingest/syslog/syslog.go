// Package syslog receives syslog over UDP and TCP on one address. TCP
// accepts both framings of RFC 6587, detected per message: octet counting
// ("123 <34>1 ...") and LF-terminated lines. Records are not parsed here;
// the pipeline's normalizer does that.
//
// TCP never drops: a connection hands a batch to the pipeline and reads on
// only while the pipeline accepts, so when the stores are slow the kernel's
// receive buffer fills and the sender's flow control holds it back. UDP has
// no flow control: when the pipeline is full a datagram is dropped and
// counted, never silently.
package syslog

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/yagura-soc/yagura/internal/ingest"
	"github.com/yagura-soc/yagura/internal/metrics"
	"github.com/yagura-soc/yagura/internal/pipeline"
)

// Config of a syslog listener.
type Config struct {
	Addr         string // host:port for both UDP and TCP
	Tenant       string // the tenant every record belongs to
	MaxLineBytes int    // longer records are cut (the normalizer flags them)
	// FlushEvery bounds how long a partial batch waits on a quiet
	// connection before it is handed over.
	FlushEvery time.Duration
	BatchSize  int
}

// Source is a running syslog listener.
type Source struct {
	cfg     Config
	sink    ingest.Sink
	metrics *metrics.Metrics
	log     *slog.Logger

	mu   sync.Mutex
	addr string
	tcp  net.Listener
	udp  net.PacketConn
}

// New makes a listener; Listen binds it, Run serves it.
func New(cfg Config, sink ingest.Sink, m *metrics.Metrics, log *slog.Logger) *Source {
	if cfg.MaxLineBytes <= 0 {
		cfg.MaxLineBytes = 64 << 10
	}
	if cfg.FlushEvery <= 0 {
		cfg.FlushEvery = 50 * time.Millisecond
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 1000
	}
	return &Source{cfg: cfg, sink: sink, metrics: m, log: log}
}

// Listen binds the TCP and UDP sockets, so that callers know the address
// (and errors like "address in use") before Run.
func (s *Source) Listen() error {
	tcp, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("syslog: listen tcp %s: %w", s.cfg.Addr, err)
	}
	// UDP on the same port as TCP, also when the port was chosen by the OS.
	udp, err := net.ListenPacket("udp", tcp.Addr().String())
	if err != nil {
		tcp.Close()
		return fmt.Errorf("syslog: listen udp %s: %w", tcp.Addr(), err)
	}
	s.mu.Lock()
	s.tcp, s.udp, s.addr = tcp, udp, tcp.Addr().String()
	s.mu.Unlock()
	return nil
}

// Addr implements ingest.Source.
func (s *Source) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Run implements ingest.Source.
func (s *Source) Run(ctx context.Context) error {
	if s.Addr() == "" {
		if err := s.Listen(); err != nil {
			return err
		}
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); s.serveUDP(ctx) }()
	go func() { defer wg.Done(); s.serveTCP(ctx, &wg) }()
	<-ctx.Done()
	s.tcp.Close()
	s.udp.Close()
	wg.Wait()
	return nil
}

func (s *Source) serveTCP(ctx context.Context, wg *sync.WaitGroup) {
	var conns sync.Map
	for {
		c, err := s.tcp.Accept()
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
				s.log.Warn("syslog tcp accept", "err", err)
				continue
			}
			// Unblock readers so their connections end and flush.
			conns.Range(func(k, _ any) bool { k.(net.Conn).SetReadDeadline(time.Now()); return true })
			return
		}
		conns.Store(c, nil)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer conns.Delete(c)
			defer c.Close()
			s.serveConn(ctx, c)
		}()
	}
}

// serveConn frames records and hands them over in batches. It waits for
// each batch's acknowledgement only before handing over the next: one
// batch in flight per connection keeps ordering and bounds memory.
func (s *Source) serveConn(ctx context.Context, c net.Conn) {
	r := bufio.NewReaderSize(c, 64<<10)
	var pending <-chan pipeline.Result
	var batch []pipeline.Item
	wait := func() bool {
		if pending == nil {
			return true
		}
		res := <-pending
		pending = nil
		if res.Err != nil {
			s.log.Error("syslog batch not stored", "remote", c.RemoteAddr(), "err", res.Err)
			return false
		}
		return true
	}
	flush := func() bool {
		if len(batch) == 0 {
			return true
		}
		if !wait() {
			return false
		}
		// Enqueue blocks while the pipeline is full: reading stops and
		// TCP flow control pushes back on the sender.
		ch, err := s.sink.Enqueue(context.WithoutCancel(ctx), pipeline.Batch{
			Tenant: s.cfg.Tenant, Source: "syslog", Items: batch,
		})
		if err != nil {
			s.log.Warn("syslog: pipeline refused a batch", "err", err)
			return false
		}
		pending, batch = ch, nil
		return true
	}
	defer func() {
		flush()
		wait()
	}()
	for {
		// Hand over a partial batch when the sender pauses.
		c.SetReadDeadline(time.Now().Add(s.cfg.FlushEvery))
		rec, err := readFrame(r, s.cfg.MaxLineBytes)
		if len(rec) > 0 {
			batch = append(batch, pipeline.Item{Data: rec})
			if len(batch) >= s.cfg.BatchSize && !flush() {
				return
			}
		}
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() && ctx.Err() == nil {
				if !flush() {
					return
				}
				continue
			}
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && ctx.Err() == nil {
				s.log.Warn("syslog tcp read", "remote", c.RemoteAddr(), "err", err)
			}
			return
		}
	}
}

// readFrame reads one record: octet-counted when it starts with a digit,
// else up to LF. Records longer than max are cut to max; the rest of an
// over-long LF record is skipped so the stream stays in sync.
func readFrame(r *bufio.Reader, max int) ([]byte, error) {
	b, err := r.Peek(1)
	if err != nil {
		return nil, err
	}
	if b[0] >= '1' && b[0] <= '9' {
		if n, ok := octetCount(r); ok {
			rec := make([]byte, n)
			if _, err := io.ReadFull(r, rec); err != nil {
				return nil, err
			}
			if n > max {
				rec = rec[:max]
			}
			return rec, nil
		}
	}
	var rec []byte
	for {
		chunk, err := r.ReadSlice('\n')
		if len(rec) < max {
			rec = append(rec, chunk[:min(len(chunk), max-len(rec))]...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		rec = trimEOL(rec)
		if err != nil && len(rec) > 0 && errors.Is(err, io.EOF) {
			return rec, nil // last record without LF
		}
		return rec, err
	}
}

// octetCount consumes "NNN " when the stream holds an octet-counted frame.
func octetCount(r *bufio.Reader) (int, bool) {
	head, _ := r.Peek(12)
	for i, c := range head {
		if c == ' ' && i > 0 {
			n, err := strconv.Atoi(string(head[:i]))
			if err != nil || n <= 0 || n > 16<<20 {
				return 0, false
			}
			r.Discard(i + 1)
			return n, true
		}
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	return 0, false
}

func trimEOL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// serveUDP reads datagrams, one record each, and hands them over in
// batches without waiting for acknowledgements.
func (s *Source) serveUDP(ctx context.Context) {
	buf := make([]byte, 64<<10)
	var batch []pipeline.Item
	done, cancel := context.WithCancel(context.Background())
	cancel() // a done context: Enqueue succeeds only if there is room now
	flush := func() {
		if len(batch) == 0 {
			return
		}
		if _, err := s.sink.Enqueue(done, pipeline.Batch{Tenant: s.cfg.Tenant, Source: "syslog", Items: batch}); err != nil {
			s.metrics.UDPDropped.Add(float64(len(batch)))
		}
		batch = nil
	}
	for {
		s.udp.SetReadDeadline(time.Now().Add(s.cfg.FlushEvery))
		n, _, err := s.udp.ReadFrom(buf)
		if n > 0 {
			rec := trimEOL(buf[:min(n, s.cfg.MaxLineBytes)])
			if len(rec) > 0 {
				batch = append(batch, pipeline.Item{Data: append([]byte(nil), rec...)})
			}
			if len(batch) >= s.cfg.BatchSize {
				flush()
			}
		}
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() && ctx.Err() == nil {
				flush()
				continue
			}
			flush()
			return
		}
	}
}
