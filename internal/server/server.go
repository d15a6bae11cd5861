// Package server assembles a running Yagura: it opens the stores, starts
// the pipeline, the sources and the HTTP API, and shuts them down in the
// order that loses nothing (stop intake, drain the pipeline, close stores).
// It holds no logic of its own beyond that wiring.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/casework"
	"github.com/yagura-soc/yagura/internal/certs"
	"github.com/yagura-soc/yagura/internal/config"
	"github.com/yagura-soc/yagura/internal/detect"
	"github.com/yagura-soc/yagura/internal/detect/live"
	"github.com/yagura-soc/yagura/internal/enrich"
	"github.com/yagura-soc/yagura/internal/httpapi"
	"github.com/yagura-soc/yagura/internal/hunt"
	"github.com/yagura-soc/yagura/internal/incident"
	"github.com/yagura-soc/yagura/internal/ingest/relp"
	"github.com/yagura-soc/yagura/internal/ingest/syslog"
	"github.com/yagura-soc/yagura/internal/intel/match"
	intelsvc "github.com/yagura-soc/yagura/internal/intel/service"
	"github.com/yagura-soc/yagura/internal/metrics"
	"github.com/yagura-soc/yagura/internal/pipeline"
	"github.com/yagura-soc/yagura/internal/respond"
	"github.com/yagura-soc/yagura/internal/respond/agentcmd"
	"github.com/yagura-soc/yagura/internal/respond/webhook"
	"github.com/yagura-soc/yagura/internal/retention"
	"github.com/yagura-soc/yagura/internal/store"
	"github.com/yagura-soc/yagura/internal/store/duckdb"
	"github.com/yagura-soc/yagura/internal/store/fsblob"
	"github.com/yagura-soc/yagura/internal/store/sqlite"
	"github.com/yagura-soc/yagura/internal/web"
)

// Deps are the engines the server runs with; cmd/yagura chooses them.
type Deps struct {
	Normalize pipeline.Normalizer
	Detector  detect.Detector
	// Feeders run beside the sources and submit batches of their own
	// (the demo generator). They stop when ctx ends.
	Feeders []func(ctx context.Context, p *pipeline.Pipeline) error
	// Intel is the threat-intel matcher in Detector; the server keeps it in
	// step with the IOC store. nil turns threat intelligence off.
	Intel *match.Matcher
	// Rules is the reloadable Sigma detector in Detector (reload on SIGHUP
	// and through the API, per-tenant enablement); nil turns both off.
	Rules *live.Detector
}

// Server is a running Yagura.
type Server struct {
	cfg      config.Config
	log      *slog.Logger
	Metrics  *metrics.Metrics
	Events   store.EventStore
	State    store.State
	Pipeline *pipeline.Pipeline
	deps     Deps

	retention *retention.Enforcer
	alerting  alerting
	tls       bool
	// selfSigned is the generated certificate's path when the API serves
	// one, so a client can be told what to trust.
	selfSigned string
	cases      *casework.Service
	intel      *intelsvc.Service
	httpLn     net.Listener
	httpSrv    *http.Server
	syslog     *syslog.Source
	relp       *relp.Source
	stopping   chan struct{}
}

// Open opens the stores and binds the listeners; Run serves.
func Open(ctx context.Context, cfg config.Config, deps Deps, log *slog.Logger) (*Server, error) {
	s := &Server{cfg: cfg, log: log, Metrics: metrics.New(), deps: deps, stopping: make(chan struct{})}
	var err error
	if s.Events, err = duckdb.OpenWith(ctx, cfg.EventsPath(), duckdb.Options{MemoryLimit: cfg.Events.MemoryLimit}); err != nil {
		return nil, err
	}
	if s.State, err = sqlite.Open(ctx, cfg.StatePath()); err != nil {
		s.Events.Close()
		return nil, err
	}
	// From here on a failure closes what is open.
	fail := func(err error) (*Server, error) {
		if s.httpLn != nil {
			s.httpLn.Close()
		}
		s.closeStores()
		return nil, err
	}
	if err := s.useRules(ctx); err != nil {
		return fail(err)
	}
	s.alerting = newAlerting(cfg.Alerts, s.State, s.Metrics, log)
	s.Pipeline = pipeline.New(pipeline.Config{
		Workers: cfg.Pipeline.Workers, QueueBatches: cfg.Pipeline.QueueBatches,
		MaxWriteEvents: cfg.Pipeline.MaxWriteEvents, DedupWindow: time.Duration(cfg.Alerts.DedupWindow),
		Alerter: s.alerting.stage,
		Enrich:  enrich.NewAssets(s.State, 30*time.Second, log).Enrich,
	}, s.Events, s.State, deps.Normalize, deps.Detector, s.Metrics, log)

	s.retention = &retention.Enforcer{Events: s.Events, State: s.State, Blobs: fsblob.New(cfg.EvidencePath()), ArchiveDir: cfg.ArchivePath(), Log: log}
	if s.cases, err = newCaseDesk(cfg, s.Events, s.State); err != nil {
		return fail(err)
	}
	if s.intel, err = openIntel(ctx, deps.Intel, s.Events, s.State, log); err != nil {
		return fail(fmt.Errorf("threat intelligence: %w", err))
	}
	logins := auth.NewLogins(s.State.Users(), s.State.Sessions())
	api := httpapi.New(httpapi.Deps{
		Events: s.Events, State: s.State, Pipeline: s.Pipeline, Metrics: s.Metrics, Log: log,
		MaxBodyBytes: cfg.HTTP.MaxBodyBytes, Ready: s.ready,
		Logins: logins, SecureCookies: cfg.HTTP.TLSCert != "" || cfg.HTTP.TLSSelfSigned,
		Retention: s.retention, Reporting: cfg.Reporting, Cases: s.cases,
		Alerting: s.alerting.stage, NotifyKinds: s.alerting.kinds,
		Intel: s.intel, Rules: deps.Rules,
	})
	console, err := web.New(web.Deps{State: s.State, Events: s.Events, Cases: s.cases, Logins: logins, Log: log,
		Reporting: cfg.Reporting, EntityRisk: s.alerting.stage.EntityRiskConfig(), Stopping: s.stopping, Rules: deps.Rules,
		NotifyKinds: s.alerting.kinds})
	if err != nil {
		return fail(fmt.Errorf("console: %w", err))
	}
	root := http.NewServeMux()
	root.Handle("/ui/", console)
	root.Handle("/", s.intakeHandler(api))
	s.httpSrv = &http.Server{Handler: root, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ReadTimeout: time.Duration(cfg.HTTP.ReadTimeout)}
	if s.httpLn, err = net.Listen("tcp", cfg.HTTP.Addr); err != nil {
		return fail(fmt.Errorf("http: listen %s: %w", cfg.HTTP.Addr, err))
	}
	if err := s.setupTLS(); err != nil {
		return fail(err)
	}
	if err := s.openLogListeners(); err != nil {
		return fail(err)
	}
	return s, nil
}

// setupTLS wraps the HTTP listener in TLS when a certificate is configured
// or a self-signed one is asked for.
func (s *Server) setupTLS() error {
	certFile, keyFile := s.cfg.HTTP.TLSCert, s.cfg.HTTP.TLSKey
	if certFile == "" && s.cfg.HTTP.TLSSelfSigned {
		var fp string
		var err error
		if certFile, keyFile, fp, err = certs.SelfSigned(s.cfg.TLSPath(), time.Now()); err != nil {
			return err
		}
		s.log.Warn("serving HTTPS with a self-signed certificate; pin its fingerprint in clients", "sha256", fp, "cert", certFile)
		s.selfSigned = certFile
	}
	if certFile == "" {
		return nil
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return fmt.Errorf("http: TLS certificate: %w", err)
	}
	s.httpLn = tls.NewListener(s.httpLn, certs.ServerConfig(cert))
	s.tls = true
	return nil
}

// URL is the API's base URL.
func (s *Server) URL() string {
	if s.tls {
		return "https://" + s.HTTPAddr()
	}
	return "http://" + s.HTTPAddr()
}

// SelfSignedCert is the path of the API's self-signed certificate, or ""
// when it serves plain HTTP or a configured certificate.
func (s *Server) SelfSignedCert() string { return s.selfSigned }

// HTTPAddr is the bound API address.
func (s *Server) HTTPAddr() string { return s.httpLn.Addr().String() }

// SyslogAddr is the bound syslog address, or "" when syslog is off.
func (s *Server) SyslogAddr() string {
	if s.syslog == nil {
		return ""
	}
	return s.syslog.Addr()
}

func (s *Server) ready() error {
	select {
	case <-s.stopping:
		return errors.New("shutting down")
	default:
		return nil
	}
}

// Run serves until ctx ends, then shuts down gracefully: listeners stop,
// in-flight batches reach the stores, the stores close.
func (s *Server) Run(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() {
		if err := s.httpSrv.Serve(s.httpLn); !errors.Is(err, http.ErrServerClosed) {
			errc <- err
		}
	}()
	s.log.Info("yagura is running", "http", s.URL(), "syslog", s.SyslogAddr(), "syslog_tls", s.SyslogTLSAddr(), "relp", s.RELPAddr(), "data", s.cfg.Data)

	intake, stopIntake := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	if s.syslog != nil {
		wg.Go(func() { s.syslog.Run(intake) })
	}
	if s.relp != nil {
		wg.Go(func() { s.relp.Run(intake) })
	}
	wg.Go(func() { s.tickCases(intake, time.Minute) })
	wg.Go(func() { s.alerting.dispatcher.Run(intake) })
	wg.Go(func() { s.watchAgents(intake, 15*time.Second) })
	wg.Go(func() { s.maintainIntel(intake) })
	wg.Go(func() { s.reloadRulesOnHangup(intake) })
	if every := time.Duration(s.cfg.Retention.Interval); every > 0 {
		wg.Go(func() { s.enforceRetention(intake, every) })
	}
	wg.Go(func() { // scheduled hunts raise their alerts
		(&hunt.Scheduler{Events: s.Events, State: s.State, Log: s.log}).Run(intake)
	})
	for _, feed := range s.deps.Feeders {
		wg.Go(func() {
			if err := feed(intake, s.Pipeline); err != nil && intake.Err() == nil {
				s.log.Error("feeder stopped", "err", err)
			}
		})
	}

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
		s.log.Error("http server failed", "err", runErr)
	}
	s.log.Info("shutting down: stopping intake, draining the pipeline")
	close(s.stopping)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s.httpSrv.Shutdown(shutdownCtx) // waits for in-flight requests, whose batches then drain
	stopIntake()
	wg.Wait()
	if err := s.Pipeline.Close(shutdownCtx); err != nil {
		s.log.Error("pipeline drain incomplete", "err", err)
	}
	s.closeStores()
	s.log.Info("stopped")
	return runErr
}

func (s *Server) closeStores() {
	if err := s.Events.Close(); err != nil {
		s.log.Error("closing event store", "err", err)
	}
	if err := s.State.Close(); err != nil {
		s.log.Error("closing state store", "err", err)
	}
}

// enforceRetention runs the retention enforcer now and then every interval.
func (s *Server) enforceRetention(ctx context.Context, every time.Duration) {
	run := func() {
		if _, err := s.retention.Run(ctx, time.Now().UTC()); err != nil && ctx.Err() == nil {
			s.log.Error("retention run failed", "err", err)
		}
	}
	run()
	repeat(ctx, every, run)
}

// repeat calls fn every interval until ctx ends.
func repeat(ctx context.Context, every time.Duration, fn func()) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		fn()
	}
}

// newCaseDesk builds the incident desk: playbooks, evidence files and the
// configured response connectors.
func newCaseDesk(cfg config.Config, events store.EventStore, state store.State) (*casework.Service, error) {
	pbs, err := incident.LoadPlaybooks(nil)
	if err != nil {
		return nil, err
	}
	// Hosts with a Yagura agent can always be contained through it.
	conns := map[string]respond.Connector{"agent": agentcmd.Connector{State: state}}
	for _, w := range cfg.Response.Webhooks {
		if w.Name == "" || w.URL == "" {
			return nil, fmt.Errorf("response.webhooks: every connector needs a name and a url")
		}
		conns[w.Name] = webhook.New(webhook.Config{Name: w.Name, URL: w.URL, Secret: w.Secret}, nil)
	}
	return &casework.Service{State: state, Events: events, Blobs: fsblob.New(cfg.EvidencePath()), Playbooks: pbs, Connectors: conns,
		AutoOpen: casework.AutoOpenPolicy{Severity: cfg.Cases.AutoOpenSeverity, Risk: cfg.Cases.AutoOpenRisk}}, nil
}

// tickCases runs the case desk's time-driven work (SLA notices,
// escalations, expiring actions) for every tenant.
func (s *Server) tickCases(ctx context.Context, every time.Duration) {
	repeat(ctx, every, func() {
		tenants, err := s.State.Tenants().List(ctx)
		if err != nil {
			return
		}
		for _, t := range tenants {
			if err := s.cases.Tick(ctx, t.Name); err != nil && ctx.Err() == nil {
				s.log.Error("case tick failed", "tenant", t.Name, "err", err)
			}
		}
	})
}
