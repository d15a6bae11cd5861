package normalize

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/parse"
	"github.com/yagura-soc/yagura/internal/parse/accesslog"
	"github.com/yagura-soc/yagura/internal/parse/auditd"
	"github.com/yagura-soc/yagura/internal/parse/zeek"
)

// Stream normalizes a log read line by line (a tailed file, an agent's
// stream) and keeps the state some formats need across lines:
//
//   - Zeek TSV: "#separator"/"#fields" header lines set the columns;
//   - W3C extended (IIS): "#Fields:" sets the columns;
//   - auditd (Format "auditd"): the records of one event (same node and
//     serial) become one event, its Raw the records' lines joined by "\n".
//
// With Format "" a Stream auto-detects per line like Event, and switches to
// the Zeek or W3C reader when it meets their header lines. Header lines
// produce no event. A Stream is not safe for concurrent use: one per
// source file.
type Stream struct {
	Normalizer Normalizer
	// Format names the lines' format ("" detects); "auditd" groups events.
	Format string

	mode  streamMode
	zeek  zeek.Reader
	w3c   accesslog.W3C
	audit auditd.Grouper
	raw   map[string][]string // auditd: raw lines of open events by node/serial
}

type streamMode int

const (
	modeLine streamMode = iota
	modeZeek
	modeW3C
)

// Line reads one line and returns the events it completes: usually one,
// none for header lines and audit records of a still-open event. Every
// event has Raw, Fields, ECS and (when the record has one) Timestamp set;
// the caller sets Tenant, ID, Source and Ingested. Nothing is dropped: a
// line no parser reads is an event with ParseError set.
func (s *Stream) Line(line []byte) []*event.Event {
	line = bytes.TrimRight(line, "\r\n")
	if len(bytes.TrimSpace(line)) == 0 {
		return nil
	}
	if line[0] == '#' && (s.Format == "" || s.Format == zeek.Format || s.Format == accesslog.Format) {
		switch {
		case bytes.HasPrefix(line, []byte("#separator")) || bytes.HasPrefix(line, []byte("#fields")):
			s.mode = modeZeek
		case bytes.HasPrefix(line, []byte("#Fields:")) || bytes.HasPrefix(line, []byte("#Software:")):
			s.mode = modeW3C
		}
		switch s.mode {
		case modeZeek:
			s.zeek.Line(line)
			return nil
		case modeW3C:
			s.w3c.Line(line)
			return nil
		}
	}
	switch {
	case s.mode == modeZeek:
		rec, ok, err := s.zeek.Line(line)
		return s.one(line, rec, ok, err)
	case s.mode == modeW3C:
		rec, ok, err := s.w3c.Line(line)
		return s.one(line, rec, ok, err)
	case s.Format == auditd.Format:
		return s.auditLine(line)
	}
	ev := &event.Event{Raw: string(line)}
	s.Normalizer.Event(ev, line, s.Format)
	return []*event.Event{ev}
}

// Flush returns the events still open (auditd); call it at the end of a
// file or when the stream pauses.
func (s *Stream) Flush() []*event.Event {
	var out []*event.Event
	for _, rec := range s.audit.Flush() {
		out = append(out, s.auditEvent(rec))
	}
	return out
}

func (s *Stream) one(line []byte, rec parse.Record, ok bool, err error) []*event.Event {
	ev := &event.Event{Raw: string(line)}
	switch {
	case err != nil:
		unparsed(ev, err, ev.Raw)
	case !ok:
		return nil
	default:
		apply(ev, rec)
	}
	return []*event.Event{ev}
}

func (s *Stream) auditLine(line []byte) []*event.Event {
	rec, err := auditd.Parser{}.Parse(line)
	if err != nil {
		return s.one(line, rec, false, err)
	}
	if s.raw == nil {
		s.raw = map[string][]string{}
	}
	key := auditKey(rec)
	s.raw[key] = append(s.raw[key], string(line))
	var out []*event.Event
	for _, done := range s.audit.Add(rec) {
		out = append(out, s.auditEvent(done))
	}
	if rec.Fields["type"] == "EOE" {
		// An EOE that closed nothing (its records came before a restart,
		// or never) must not leave its line behind for good.
		delete(s.raw, key)
	}
	return out
}

func (s *Stream) auditEvent(rec parse.Record) *event.Event {
	key := auditKey(rec)
	ev := &event.Event{Raw: strings.Join(s.raw[key], "\n")}
	delete(s.raw, key)
	apply(ev, rec)
	return ev
}

func auditKey(rec parse.Record) string {
	node, _ := rec.Fields["node"].(string)
	serial, _ := rec.Fields["serial"].(int64)
	return node + "/" + strconv.FormatInt(serial, 10)
}
