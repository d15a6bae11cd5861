// Package relp receives syslog over RELP, the Reliable Event Logging
// Protocol that rsyslog's omrelp speaks: the client opens a session, sends
// each record as a numbered "syslog" command and keeps it until the server
// answers that transaction with "rsp 200 OK". Yagura answers only once the
// pipeline has acknowledged the batch as durable, so a record rsyslog has
// dropped from its queue is stored and survives a crash.
//
// Like the other stream sources it never drops and never parses: while the
// pipeline is full the connection is not read, TCP flow control and
// omrelp's window hold the sender back, and records go to the pipeline as
// framed. It must never acknowledge a record before it is durable.
package relp

import (
	"bufio"
	"bytes"
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

// sourceName labels events and metrics.
const sourceName = "relp"

// Source is a running RELP listener.
type Source struct {
	cfg     Config
	sink    ingest.Sink
	metrics *metrics.Metrics
	log     *slog.Logger
	tenants ingest.TenantMap

	mu   sync.Mutex
	ln   net.Listener
	addr string
}

// New makes a listener; Listen binds it, Run serves it.
func New(cfg Config, sink ingest.Sink, m *metrics.Metrics, log *slog.Logger) *Source {
	cfg.setDefaults()
	return &Source{cfg: cfg, sink: sink, metrics: m, log: log,
		tenants: ingest.TenantMap{Default: cfg.Tenant, Networks: cfg.Networks, Certs: cfg.Certs}}
}

// Listen binds the socket, so that errors like "address in use" surface
// before Run.
func (s *Source) Listen() error {
	var ln net.Listener
	var err error
	if s.cfg.TLS != nil {
		ln, err = tls.Listen("tcp", s.cfg.Addr, s.cfg.TLS)
	} else {
		ln, err = net.Listen("tcp", s.cfg.Addr)
	}
	if err != nil {
		return fmt.Errorf("relp: listen %s: %w", s.cfg.Addr, err)
	}
	s.mu.Lock()
	s.ln, s.addr = ln, ln.Addr().String()
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
	ingest.ServeStream(ctx, s.ln, s.log, "relp", func(c net.Conn) { s.serveConn(ctx, c) })
	return nil
}

// session is one client connection.
type session struct {
	s      *Source
	c      net.Conn
	w      *bufio.Writer
	tenant string
	open   bool
	batch  []pipeline.Item
	txnrs  []uint64
}

func (s *Source) serveConn(ctx context.Context, c net.Conn) {
	tenant, err := s.tenants.Conn(c)
	if err != nil {
		s.log.Warn("relp tls handshake failed", "remote", c.RemoteAddr(), "err", err)
		return
	}
	ss := &session{s: s, c: c, w: bufio.NewWriter(c), tenant: tenant}
	r := bufio.NewReaderSize(c, 64<<10)
	for {
		// Hand over what arrived once the client has nothing more queued
		// for us: omrelp waits for these acknowledgements.
		if len(ss.batch) > 0 && (r.Buffered() == 0 || len(ss.batch) >= s.cfg.BatchSize) {
			if !ss.commit(ctx) {
				return
			}
		}
		f, err := readFrame(r, s.cfg.MaxRecordBytes)
		if err != nil {
			// Records fully received are stored and acknowledged even
			// when the stream breaks or the server stops.
			ss.commit(ctx)
			var ne net.Error
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && !(errors.As(err, &ne) && ne.Timeout()) {
				s.log.Warn("relp read", "remote", c.RemoteAddr(), "err", err)
			}
			return
		}
		switch f.command {
		case "open":
			ss.open = true
			ss.respond(f.txnr, "200 OK\nrelp_version=0\nrelp_software=yagura\ncommands=syslog")
		case "syslog":
			if !ss.open {
				ss.respond(f.txnr, "500 session not open")
				ss.flushWriter()
				return
			}
			// rsyslog's templates end records with LF; it is framing here.
			ss.batch = append(ss.batch, ingest.Record(bytes.TrimRight(f.data, "\r\n"), s.cfg.MaxRecordBytes, f.cut))
			ss.txnrs = append(ss.txnrs, f.txnr)
		case "close":
			if !ss.commit(ctx) {
				return
			}
			ss.respond(f.txnr, "")
			ss.flushWriter()
			return
		default:
			// RELP lets a server refuse commands it does not offer.
			ss.respond(f.txnr, "500 unknown command "+f.command)
		}
		if r.Buffered() == 0 && len(ss.batch) == 0 && !ss.flushWriter() {
			return
		}
	}
}

// commit hands the waiting records to the pipeline, waits until they are
// durable and then acknowledges each transaction. Enqueue blocks while the
// pipeline is full, and nothing is read meanwhile: backpressure reaches the
// client. When the batch cannot be stored the session ends without
// acknowledging, and the client sends the records again.
func (ss *session) commit(ctx context.Context) bool {
	if len(ss.batch) == 0 {
		return ss.flushWriter()
	}
	ch, err := ss.s.sink.Enqueue(context.WithoutCancel(ctx), pipeline.Batch{
		Tenant: ss.tenant, Source: sourceName, Items: ss.batch,
	})
	if err != nil {
		ss.s.log.Warn("relp: pipeline refused a batch; the client will resend", "remote", ss.c.RemoteAddr(), "err", err)
		return false
	}
	res := <-ch
	if res.Err != nil {
		ss.s.log.Error("relp batch not stored; the client will resend", "remote", ss.c.RemoteAddr(), "err", res.Err)
		return false
	}
	for _, t := range ss.txnrs {
		ss.respond(t, "200 OK")
	}
	ss.batch, ss.txnrs = nil, nil
	return ss.flushWriter()
}

// respond queues "TXNR rsp DATALEN DATA\n".
func (ss *session) respond(txnr uint64, data string) {
	w := ss.w
	w.WriteString(strconv.FormatUint(txnr, 10))
	w.WriteString(" rsp ")
	w.WriteString(strconv.Itoa(len(data)))
	if data != "" {
		w.WriteByte(' ')
		w.WriteString(data)
	}
	w.WriteByte('\n')
}

func (ss *session) flushWriter() bool {
	if ss.w.Buffered() == 0 {
		return true
	}
	ss.c.SetWriteDeadline(time.Now().Add(ss.s.cfg.WriteTimeout))
	if err := ss.w.Flush(); err != nil {
		ss.s.log.Warn("relp: sending acknowledgements failed", "remote", ss.c.RemoteAddr(), "err", err)
		return false
	}
	return true
}
