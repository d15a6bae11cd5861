package syslog

import (
	"crypto/tls"
	"fmt"
)

// listenTLS binds the RFC 5425 listener when one is configured. It speaks
// the same framings as plain TCP inside TLS (RFC 5425 mandates octet
// counting; LF framing is accepted too, as rsyslog can be set to send it).
func (s *Source) listenTLS() error {
	if s.cfg.TLSAddr == "" {
		return nil
	}
	if s.cfg.TLS == nil {
		return fmt.Errorf("syslog: tls_addr %s is set but no certificate is configured (syslog.tls_cert, syslog.tls_key)", s.cfg.TLSAddr)
	}
	ln, err := tls.Listen("tcp", s.cfg.TLSAddr, s.cfg.TLS)
	if err != nil {
		return fmt.Errorf("syslog: listen tls %s: %w", s.cfg.TLSAddr, err)
	}
	s.mu.Lock()
	s.tlsLn, s.tlsAddr = ln, ln.Addr().String()
	s.mu.Unlock()
	return nil
}

// TLSAddr is where the TLS listener listens, or "" when it is off.
func (s *Source) TLSAddr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tlsAddr
}
