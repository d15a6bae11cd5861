// Package demo generates the synthetic traffic behind `yagura serve --demo`:
// a 50-person company (workstations, a domain controller, a file server,
// Linux servers, a firewall, a public web site) producing benign background
// logs with a daily rhythm, with attack stories woven in so that a newcomer
// sees alerts within a minute of starting the server.
//
// The generator writes raw log lines exactly as the real sources do
// (evtx_dump JSON for Windows, RFC 3164 syslog for Linux auth and the
// firewall, raw auditd records, Apache combined access logs), so the demo
// exercises the same parsers, normalizer and rules as production.
//
// Everything is derived from the seed and the simulated clock: the same seed
// and start time give the same lines, however often Next is called.
//
// This package must never do I/O, read the wall clock, or use addresses
// outside RFC 1918, the documentation ranges (192.0.2.0/24, 198.51.100.0/24,
// 203.0.113.0/24) and a few well-known public service ranges for benign
// destinations: its output is shown to people and may be pasted anywhere.
package demo
