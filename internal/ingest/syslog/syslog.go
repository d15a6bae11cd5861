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
	"crypto/tls"
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
	Addr         string // host:port for both UDP and TCP; empty: TLS only
	Tenant       string // the tenant every record belongs to
	MaxLineBytes int    // longer records are cut (the normalizer flags them)
	// FlushEvery bounds how long a partial UDP batch waits on a quiet
	// socket before it is handed over. (A TCP or TLS connection hands its
	// batch over whenever it has framed everything received so far.)
	FlushEvery time.Duration
	BatchSize  int
	// MaxInFlight bounds the batches of one connection waiting to be
	// stored (default 4).
	MaxInFlight int
	// Networks and, on the TLS listener, client certificates pick a tenant
	// other than Tenant for some senders (see ingest.TenantMap).
	Networks []ingest.NetworkTenant
	Certs    map[string]string
	// TLSAddr, when set, adds an RFC 5425 listener (TLS, octet counting or
	// LF) using TLS; see tls.go.
	TLSAddr string
	TLS     *tls.Config
	// UDPReadBuffer sets the UDP socket's receive buffer (SO_RCVBUF) in
	// bytes; 0 keeps the system default. Bursts beyond it are lost in the
	// kernel (counted by the OS, see docs/collection.md).
	UDPReadBuffer int
}

// Source is a running syslog listener.
type Source struct {
	cfg     Config
	sink    ingest.Sink
	metrics *metrics.Metrics
	log     *slog.Logger

	mu      sync.Mutex
	addr    string
	tcp     net.Listener
	udp     net.PacketConn
	tlsLn   net.Listener
	tlsAddr string
	tenants ingest.TenantMap
	// listened is set once Listen bound what the config asks for.
	listened bool
	// kernelDrops is set when the kernel reports datagrams it dropped
	// for a full receive buffer (Linux).
	kernelDrops bool
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
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 4
	}
	return &Source{cfg: cfg, sink: sink, metrics: m, log: log,
		tenants: ingest.TenantMap{Default: cfg.Tenant, Networks: cfg.Networks, Certs: cfg.Certs}}
}

// Listen binds the TCP and UDP sockets, so that callers know the address
// (and errors like "address in use") before Run.
func (s *Source) Listen() error {
	if s.cfg.Addr == "" {
		// TLS only: no plain-text listener at all.
		if err := s.listenTLS(); err != nil {
			return err
		}
		s.mu.Lock()
		s.listened = true
		s.mu.Unlock()
		return nil
	}
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
	if s.cfg.UDPReadBuffer > 0 {
		if err := udp.(*net.UDPConn).SetReadBuffer(s.cfg.UDPReadBuffer); err != nil {
			tcp.Close()
			udp.Close()
			return fmt.Errorf("syslog: udp receive buffer of %d bytes: %w", s.cfg.UDPReadBuffer, err)
		}
	}
	if err := s.listenTLS(); err != nil {
		tcp.Close()
		udp.Close()
		return err
	}
	s.kernelDrops = enableKernelDrops(udp.(*net.UDPConn))
	s.mu.Lock()
	s.tcp, s.udp, s.addr, s.listened = tcp, udp, tcp.Addr().String(), true
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
	s.mu.Lock()
	listened := s.listened
	s.mu.Unlock()
	if !listened {
		if err := s.Listen(); err != nil {
			return err
		}
	}
	var wg sync.WaitGroup
	serveStream := func(ln net.Listener, name string) {
		defer wg.Done()
		ingest.ServeStream(ctx, ln, s.log, name, func(c net.Conn) { s.serveConn(ctx, c) })
	}
	if s.tcp != nil {
		wg.Add(2)
		go func() { defer wg.Done(); s.serveUDP(ctx) }()
		go serveStream(s.tcp, "syslog tcp")
	}
	if s.tlsLn != nil {
		wg.Add(1)
		go serveStream(s.tlsLn, "syslog tls")
	}
	<-ctx.Done()
	if s.udp != nil {
		s.udp.Close()
	}
	wg.Wait()
	return nil
}

// serveConn frames records and hands them over in batches. At most
// MaxInFlight batches per connection wait for their acknowledgement: that
// bounds memory, while letting a fast sender fill the pipeline's group
// commits instead of waiting out every commit.
func (s *Source) serveConn(ctx context.Context, c net.Conn) {
	tenant, err := s.tenants.Conn(c)
	if err != nil {
		s.log.Warn("syslog tls handshake failed", "remote", c.RemoteAddr(), "err", err)
		return
	}
	r := bufio.NewReaderSize(c, 64<<10)
	var pending []<-chan pipeline.Result
	var batch []pipeline.Item
	// wait collects acknowledgements, oldest first, until fewer than keep
	// batches are in flight.
	wait := func(keep int) bool {
		for len(pending) > keep {
			res := <-pending[0]
			pending = pending[1:]
			if res.Err != nil {
				s.log.Error("syslog batch not stored", "remote", c.RemoteAddr(), "err", res.Err)
				return false
			}
		}
		return true
	}
	flush := func() bool {
		if len(batch) == 0 {
			return true
		}
		if !wait(s.cfg.MaxInFlight - 1) {
			return false
		}
		// Enqueue blocks while the pipeline is full: reading stops and
		// TCP flow control pushes back on the sender.
		ch, err := s.sink.Enqueue(context.WithoutCancel(ctx), pipeline.Batch{
			Tenant: tenant, Source: "syslog", Items: batch,
		})
		if err != nil {
			s.log.Warn("syslog: pipeline refused a batch", "err", err)
			return false
		}
		pending, batch = append(pending, ch), nil
		return true
	}
	defer func() {
		flush()
		wait(0)
	}()
	for {
		// Hand over a partial batch when everything received so far is
		// framed, before waiting for more: between records, never inside
		// one (a read deadline could fire mid-record and split it).
		if len(batch) > 0 && r.Buffered() == 0 && !flush() {
			return
		}
		rec, cut, err := readFrame(r, s.cfg.MaxLineBytes)
		if err != nil {
			// A record cut short by the connection's end or the server's
			// shutdown is incomplete: it is not stored as if it were whole.
			var ne net.Error
			timeout := errors.As(err, &ne) && ne.Timeout()
			if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, net.ErrClosed) &&
				!(timeout && ctx.Err() != nil) {
				s.log.Warn("syslog tcp read", "remote", c.RemoteAddr(), "err", err)
			}
			return
		}
		if len(rec) > 0 {
			batch = append(batch, ingest.Record(rec, s.cfg.MaxLineBytes, cut))
			if len(batch) >= s.cfg.BatchSize && !flush() {
				return
			}
		}
	}
}

// readFrame reads one record: octet-counted when it starts with a digit,
// else up to LF. Records longer than max are cut to max; the rest of an
// over-long LF record is skipped so the stream stays in sync. cut reports
// a record that was longer than max.
func readFrame(r *bufio.Reader, max int) (rec []byte, cut bool, err error) {
	b, err := r.Peek(1)
	if err != nil {
		return nil, false, err
	}
	if b[0] >= '1' && b[0] <= '9' {
		if n, ok := octetCount(r); ok {
			rec := make([]byte, min(n, max))
			if _, err := io.ReadFull(r, rec); err != nil {
				return nil, false, err
			}
			if n > max {
				if _, err := r.Discard(n - max); err != nil {
					return nil, false, err
				}
			}
			// Senders like rsyslog count a trailing LF into the frame.
			return trimEOL(rec), n > max, nil
		}
	}
	total := 0 // bytes of the record, line end excluded
	for {
		chunk, err := r.ReadSlice('\n')
		if len(rec) < max {
			rec = append(rec, chunk[:min(len(chunk), max-len(rec))]...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			total += len(chunk)
			continue
		}
		total += len(trimEOL(chunk))
		cut = total > max
		rec = trimEOL(rec)
		if err != nil && len(rec) > 0 && errors.Is(err, io.EOF) {
			return rec, cut, nil // last record without LF
		}
		return rec, cut, err
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
	oob := make([]byte, 64)
	var kernelSeen uint32
	udp := s.udp.(*net.UDPConn)
	var batch []pipeline.Item
	tenant := s.cfg.Tenant
	done, cancel := context.WithCancel(context.Background())
	cancel() // a done context: Enqueue succeeds only if there is room now
	flush := func() {
		if len(batch) == 0 {
			return
		}
		if _, err := s.sink.Enqueue(done, pipeline.Batch{Tenant: tenant, Source: "syslog", Items: batch}); err != nil {
			s.metrics.UDPDropped.Add(float64(len(batch)))
		}
		batch = nil
	}
	for {
		s.udp.SetReadDeadline(time.Now().Add(s.cfg.FlushEvery))
		n, oobn, _, from, err := udp.ReadMsgUDPAddrPort(buf, oob)
		if s.kernelDrops && oobn > 0 {
			// The counter is cumulative; count what is new (uint32
			// arithmetic survives its wrap-around).
			if total, ok := kernelDrops(oob[:oobn]); ok && total != kernelSeen {
				s.metrics.UDPDropped.Add(float64(total - kernelSeen))
				kernelSeen = total
			}
		}
		if n > 0 {
			rec := trimEOL(buf[:n])
			if len(rec) > 0 {
				// One batch holds one tenant: hand over when it changes.
				if t := s.tenants.Resolve(net.UDPAddrFromAddrPort(from), nil); t != tenant {
					flush()
					tenant = t
				}
				batch = append(batch, ingest.Record(rec, s.cfg.MaxLineBytes, false))
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
