package server

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"

	"github.com/yagura-soc/yagura/internal/config"
	"github.com/yagura-soc/yagura/internal/httpapi"
	"github.com/yagura-soc/yagura/internal/ingest"
	"github.com/yagura-soc/yagura/internal/ingest/intake"
	"github.com/yagura-soc/yagura/internal/ingest/relp"
	"github.com/yagura-soc/yagura/internal/ingest/syslog"
)

// intakeHandler serves the shipper-compatible HTTP intakes (HEC, _bulk,
// OTLP) beside the API on the same listener: their paths are fixed by the
// shippers, everything else goes to the API.
func (s *Server) intakeHandler(api http.Handler) http.Handler {
	mux := http.NewServeMux()
	d := ingest.HTTPDeps{Sink: s.Pipeline, Tokens: s.State.Tokens(), Metrics: s.Metrics, Log: s.log,
		MaxBodyBytes: s.cfg.HTTP.MaxBodyBytes, MaxRecordBytes: s.cfg.Pipeline.MaxLineBytes, Ready: s.ready}
	for _, rt := range intake.Routes(d) {
		h := httpapi.CountRequests(s.Metrics, rt.Path, rt.Handler)
		if rt.Path == "/" {
			// Shippers probe "/" with credentials; anyone else (a browser)
			// gets what the API serves there.
			h = withCredentialsOr(h, api)
		}
		mux.Handle(rt.Pattern(), h)
	}
	mux.Handle("/", api)
	return mux
}

func withCredentialsOr(intake, api http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			api.ServeHTTP(w, r)
			return
		}
		intake.ServeHTTP(w, r)
	})
}

// listenerTLS builds a log listener's TLS configuration; nil when the
// listener has no certificate.
func listenerTLS(c config.ListenerTLS) (*tls.Config, error) {
	if c.TLSCert == "" && c.TLSKey == "" {
		return nil, nil
	}
	return ingest.TLSFiles{Cert: c.TLSCert, Key: c.TLSKey, ClientCA: c.TLSClientCA,
		RequireClientCert: c.TLSRequireClientCert}.ServerConfig()
}

// openLogListeners binds the syslog (UDP, TCP, TLS) and RELP listeners the
// configuration asks for, with their tenant mappings.
func (s *Server) openLogListeners() error {
	cfg := s.cfg
	if cfg.Syslog.Addr != "" || cfg.Syslog.TLSAddr != "" {
		nets, err := ingest.ParseNetworks(cfg.Syslog.Networks)
		if err != nil {
			return fmt.Errorf("syslog.networks: %w", err)
		}
		tlsCfg, err := listenerTLS(cfg.Syslog.TLS)
		if err != nil {
			return fmt.Errorf("syslog: %w", err)
		}
		s.syslog = syslog.New(syslog.Config{Addr: cfg.Syslog.Addr, Tenant: cfg.Syslog.Tenant,
			MaxLineBytes: cfg.Pipeline.MaxLineBytes, Networks: nets, Certs: cfg.Syslog.TLS.ClientCerts,
			TLSAddr: cfg.Syslog.TLSAddr, TLS: tlsCfg, UDPReadBuffer: cfg.Syslog.UDPReadBuffer}, s.Pipeline, s.Metrics, s.log)
		if err := s.syslog.Listen(); err != nil {
			return err
		}
	}
	if cfg.RELP.Addr != "" {
		nets, err := ingest.ParseNetworks(cfg.RELP.Networks)
		if err == nil {
			var tlsCfg *tls.Config
			if tlsCfg, err = listenerTLS(cfg.RELP.TLS); err == nil {
				s.relp = relp.New(relp.Config{Addr: cfg.RELP.Addr, Tenant: cfg.RELP.Tenant, Networks: nets,
					Certs: cfg.RELP.TLS.ClientCerts, TLS: tlsCfg, MaxRecordBytes: cfg.Pipeline.MaxLineBytes},
					s.Pipeline, s.Metrics, s.log)
				err = s.relp.Listen()
			}
		}
		if err != nil {
			if s.syslog != nil {
				// Run on an ended context only closes the bound sockets.
				done, cancel := context.WithCancel(context.Background())
				cancel()
				s.syslog.Run(done)
			}
			return fmt.Errorf("relp: %w", err)
		}
	}
	return nil
}

// RELPAddr is the bound RELP address, or "" when RELP is off.
func (s *Server) RELPAddr() string {
	if s.relp == nil {
		return ""
	}
	return s.relp.Addr()
}

// SyslogTLSAddr is the bound syslog TLS address, or "" when it is off.
func (s *Server) SyslogTLSAddr() string {
	if s.syslog == nil {
		return ""
	}
	return s.syslog.TLSAddr()
}
