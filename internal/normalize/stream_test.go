package normalize

import (
	"bufio"
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/shareddata"
)

func streamAll(s *Stream, data []byte) []*event.Event {
	var out []*event.Event
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		out = append(out, s.Line(sc.Bytes())...)
	}
	return append(out, s.Flush()...)
}

// A Stream with no format reads a Zeek TSV file (header state) exactly as
// the JSON writer's file reads line by line.
func TestStreamZeekTSV(t *testing.T) {
	tsv := streamAll(&Stream{}, gunzip(t, shareddata.Path(t, "zeek", "tsv", "ntlm.log.gz")))
	js := streamAll(&Stream{}, gunzip(t, shareddata.Path(t, "zeek", "json", "ntlm.json.gz")))
	if len(tsv) == 0 || len(tsv) != len(js) {
		t.Fatalf("%d TSV events, %d JSON events", len(tsv), len(js))
	}
	for i := range tsv {
		if tsv[i].ParseError != "" || !reflect.DeepEqual(tsv[i].ECS, js[i].ECS) || !tsv[i].Timestamp.Equal(js[i].Timestamp) {
			t.Fatalf("event %d differs: %q %v / %v", i, tsv[i].ParseError, tsv[i].ECS, js[i].ECS)
		}
	}
}

func TestStreamW3CAndAudit(t *testing.T) {
	w3c := "#Software: Microsoft Internet Information Services 10.0\n#Fields: date time c-ip cs-method cs-uri-stem sc-status\n" +
		"2019-09-03 10:13:36 10.0.2.17 GET /a 200\n2019-09-03 10:13:37 10.0.2.17 GET /b\n"
	evs := streamAll(&Stream{}, []byte(w3c))
	if len(evs) != 2 || evs[0].ECS["event.dataset"] != event.DatasetWebAccess || evs[0].ECS["url.original"] != "/a" ||
		evs[1].ParseError == "" || evs[1].Raw != "2019-09-03 10:13:37 10.0.2.17 GET /b" {
		t.Fatalf("W3C: %d events %+v", len(evs), evs)
	}

	audit := `type=SYSCALL msg=audit(1604994496.155:92733): syscall=59 success=yes pid=1631 ppid=2 uid=1000 exe="/usr/sbin/arp"
type=EXECVE msg=audit(1604994496.155:92733): argc=2 a0="arp" a1="-a"
type=PROCTITLE msg=audit(1604994496.155:92733): proctitle=617270002D61
type=EOE msg=audit(1604994496.155:92733):
type=SYSCALL msg=audit(1604994496.160:92734): syscall=59 success=yes pid=1632 exe="/bin/grep"
not audit`
	evs = streamAll(&Stream{Format: "auditd"}, []byte(audit))
	if len(evs) != 3 {
		t.Fatalf("auditd: %d events, want 3 (grouped, parse error, flushed)", len(evs))
	}
	if evs[0].ECS["process.command_line"] != "arp -a" || evs[0].ECS["process.executable"] != "/usr/sbin/arp" ||
		strings.Count(evs[0].Raw, "\n") != 3 {
		t.Errorf("grouped event: %v\n%s", evs[0].ECS, evs[0].Raw)
	}
	if evs[1].ParseError == "" || evs[2].ECS["process.pid"] != int64(1632) {
		t.Errorf("error %q, flushed %v", evs[1].ParseError, evs[2].ECS)
	}
	plain := streamAll(&Stream{}, []byte("<13>Jan  9 07:40:01 h app: x\n\n"))
	if len(plain) != 1 || plain[0].ECS["event.dataset"] != event.DatasetLinuxSyslog {
		t.Errorf("plain: %+v", plain)
	}
}

// An EOE record with no open event completes nothing and keeps no line:
// a long-running stream must not collect them.
func TestStreamOrphanEOE(t *testing.T) {
	s := &Stream{Format: "auditd"}
	for i := range 3 {
		line := fmt.Sprintf("type=EOE msg=audit(1604994496.155:%d):", 90000+i)
		if evs := s.Line([]byte(line)); len(evs) != 0 {
			t.Fatalf("orphan EOE made events: %+v", evs)
		}
	}
	if len(s.raw) != 0 {
		t.Errorf("orphan EOE lines kept: %v", s.raw)
	}
	if evs := s.Flush(); len(evs) != 0 {
		t.Errorf("flush after orphan EOE: %+v", evs)
	}
}
