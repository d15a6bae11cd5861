package normalize

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/parse"
	"github.com/yagura-soc/yagura/internal/parse/accesslog"
	"github.com/yagura-soc/yagura/internal/parse/auditd"
	"github.com/yagura-soc/yagura/internal/parse/suricata"
	"github.com/yagura-soc/yagura/internal/parse/zeek"
	"github.com/yagura-soc/yagura/internal/shareddata"
)

var ingest = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)

// gunzip reads a whole gzip file.
func gunzip(t *testing.T, path string) []byte {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	zr, err := gzip.NewReader(fh)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return b
}

func gunzipLines(t *testing.T, path string) [][]byte {
	t.Helper()
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(gunzip(t, path)))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		out = append(out, bytes.Clone(sc.Bytes()))
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return out
}

// Zeek's TSV and JSON writers describe the same connections: every log
// must normalize to identical events either way.
func TestZeekTSVAndJSONAgree(t *testing.T) {
	tsvs, err := filepath.Glob(shareddata.Path(t, "zeek", "tsv", "*.log.gz"))
	if err != nil || len(tsvs) == 0 {
		t.Fatalf("no zeek TSV logs: %v", err)
	}
	total := 0
	for _, tsvPath := range tsvs {
		log := strings.TrimSuffix(filepath.Base(tsvPath), ".log.gz")
		var fromTSV []*event.Event
		var r zeek.Reader
		for i, line := range gunzipLines(t, tsvPath) {
			rec, ok, err := r.Line(line)
			if err != nil {
				t.Fatalf("%s TSV line %d: %v", log, i+1, err)
			}
			if ok {
				fromTSV = append(fromTSV, normalized(rec))
			}
		}
		var fromJSON []*event.Event
		for i, line := range gunzipLines(t, shareddata.Path(t, "zeek", "json", log+".json.gz")) {
			ev := &event.Event{Ingested: ingest}
			Event(ev, line, zeek.Format)
			if ev.ParseError != "" {
				t.Fatalf("%s JSON line %d: %s", log, i+1, ev.ParseError)
			}
			fromJSON = append(fromJSON, ev)
		}
		if len(fromTSV) != len(fromJSON) || len(fromTSV) == 0 {
			t.Fatalf("%s: %d TSV records, %d JSON records", log, len(fromTSV), len(fromJSON))
		}
		bad := 0
		for i := range fromTSV {
			a, b := fromTSV[i], fromJSON[i]
			if !a.Timestamp.Equal(b.Timestamp) || !reflect.DeepEqual(a.Fields, b.Fields) || !reflect.DeepEqual(a.ECS, b.ECS) {
				if bad++; bad <= 3 {
					t.Errorf("%s record %d differs:\nTSV  %v %v\n     %v\nJSON %v %v\n     %v", log, i+1, a.Timestamp, a.Fields, a.ECS, b.Timestamp, b.Fields, b.ECS)
				}
			}
			if a.ECS["event.dataset"] != "zeek."+log || a.ECS["event.category"] == nil {
				t.Errorf("%s record %d: dataset %v category %v", log, i+1, a.ECS["event.dataset"], a.ECS["event.category"])
			}
		}
		total += len(fromTSV)
	}
	if total < 1000 {
		t.Errorf("only %d zeek records compared", total)
	}
}

func normalized(rec parse.Record) *event.Event {
	ev := &event.Event{Ingested: ingest}
	Apply(ev, rec)
	return ev
}

// Every Suricata alert maps to an ECS alert with its signature.
func TestSuricataConformance(t *testing.T) {
	for _, name := range []string{"honeypot-2018-alerts.json", "wrccdc-2018-alerts.json"} {
		data, err := os.ReadFile(shareddata.Path(t, "suricata", name))
		if err != nil {
			t.Fatal(err)
		}
		records, err := suricata.Split(data)
		if err != nil {
			t.Fatal(err)
		}
		if len(records) == 0 {
			t.Fatalf("%s: no records", name)
		}
		for i, r := range records {
			ev := &event.Event{Ingested: ingest}
			Event(ev, r, "") // detection must find EVE by itself
			if ev.ParseError != "" {
				t.Fatalf("%s record %d: %s", name, i, ev.ParseError)
			}
			if ev.ECS["event.dataset"] != event.DatasetSuricata || ev.ECS["event.category"] == nil || ev.Timestamp.IsZero() {
				t.Fatalf("%s record %d: dataset %v category %v time %v", name, i, ev.ECS["event.dataset"], ev.ECS["event.category"], ev.Timestamp)
			}
			if ev.Fields["event_type"] == "alert" && (ev.ECS["rule.id"] == nil || ev.ECS["rule.name"] == nil || ev.ECS["source.ip"] == nil) {
				t.Fatalf("%s record %d: alert without rule or source: %v", name, i, ev.ECS)
			}
		}
	}
}

// zipMember returns the one file inside an OTRF archive.
func zipMember(t *testing.T, name string) []byte {
	t.Helper()
	zr, err := zip.OpenReader(shareddata.Path(t, "otrf", name))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if len(zr.File) != 1 {
		t.Fatalf("%s: %d members, want 1", name, len(zr.File))
	}
	rc, err := zr.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func lines(data []byte) [][]byte {
	var out [][]byte
	for _, l := range bytes.Split(data, []byte("\n")) {
		if l = bytes.TrimSpace(l); len(l) > 0 {
			out = append(out, l)
		}
	}
	return out
}

// The raw auditd samples group by serial into one event per syscall, each
// with a process and a command line.
func TestAuditdArchives(t *testing.T) {
	for _, c := range []struct {
		archive, cmd string
	}{{"sh_arp_cache.zip", "arp -a"}, {"sh_binary_padding_dd.zip", "dd"}} {
		var g auditd.Grouper
		var events []parse.Record
		for i, l := range lines(zipMember(t, c.archive)) {
			rec, err := auditd.Parser{}.Parse(l)
			if err != nil {
				t.Fatalf("%s line %d: %v", c.archive, i+1, err)
			}
			events = append(events, g.Add(rec)...)
		}
		events = append(events, g.Flush()...)
		if len(events) == 0 {
			t.Fatalf("%s: no events", c.archive)
		}
		found := false
		for _, rec := range events {
			ev := normalized(rec)
			if ev.ECS["event.category"] == nil || ev.ECS["event.dataset"] != event.DatasetLinuxAuditd {
				t.Errorf("%s serial %v: category %v dataset %v", c.archive, rec.Fields["serial"], ev.ECS["event.category"], ev.ECS["event.dataset"])
			}
			if cl, _ := ev.ECS["process.command_line"].(string); strings.HasPrefix(cl, c.cmd) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no event with command line %q", c.archive, c.cmd)
		}
	}
}

// The Sentinel export wraps AUOMS audit records in JSON; the CloudTrail
// capture is one event per line. Every record maps with a category.
func TestJSONArchives(t *testing.T) {
	for _, c := range []struct {
		archive, dataset string
	}{
		{"syslog_auoms_auditd_log4shell_cve2021_44228_jndi_reference.zip", event.DatasetLinuxAuditd},
		{"ec2_proxy_s3_exfiltration.zip", event.DatasetCloudTrail},
	} {
		recs := lines(zipMember(t, c.archive))
		if len(recs) == 0 {
			t.Fatalf("%s: empty", c.archive)
		}
		for i, l := range recs {
			ev := &event.Event{Ingested: ingest}
			Event(ev, l, "")
			if ev.ParseError != "" || ev.ECS["event.category"] == nil || ev.ECS["event.dataset"] != c.dataset || ev.Timestamp.IsZero() {
				t.Fatalf("%s record %d: error %q dataset %v category %v time %v", c.archive, i+1, ev.ParseError, ev.ECS["event.dataset"], ev.ECS["event.category"], ev.Timestamp)
			}
		}
	}
}

// OpenSSH_2k holds a real brute force: 520 failed passwords, each mapped
// to a failed ssh_login with the attacker's address.
func TestOpenSSHBruteForce(t *testing.T) {
	data, err := os.ReadFile(shareddata.Path(t, "loghub", "OpenSSH_2k.log"))
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for i, l := range lines(data) {
		ev := &event.Event{Ingested: ingest}
		Event(ev, l, "")
		if ev.ParseError != "" {
			t.Fatalf("line %d: %s", i+1, ev.ParseError)
		}
		if ev.ECS["event.dataset"] != event.DatasetLinuxAuth {
			t.Fatalf("line %d: dataset %v", i+1, ev.ECS["event.dataset"])
		}
		if ev.ECS["event.action"] == "ssh_login" && ev.ECS["event.outcome"] == "failure" && ev.ECS["source.ip"] != nil && ev.ECS["ssh.method"] == "password" {
			failed++
		}
	}
	if failed != 520 {
		t.Errorf("%d failed password logins, the sample holds 520", failed)
	}
}

// The IIS log among the attack samples maps to web.access with the
// client address and status on every record.
func TestIISConformance(t *testing.T) {
	body, err := os.ReadFile(shareddata.Path(t, "evtx-attack-samples", "Command and Control", "Tunna_rdp_tunnel_IIS.log"))
	if err != nil {
		t.Fatal(err)
	}
	var w accesslog.W3C
	n := 0
	for i, line := range bytes.Split(body, []byte("\n")) {
		rec, ok, err := w.Line(line)
		if err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if !ok {
			continue
		}
		n++
		ev := normalized(rec)
		if ev.ECS["event.dataset"] != event.DatasetWebAccess || ev.ECS["source.ip"] == nil || ev.ECS["http.response.status_code"] == nil || ev.ECS["event.category"] == nil {
			t.Fatalf("line %d: %v", i+1, ev.ECS)
		}
	}
	if n == 0 {
		t.Fatal("no records")
	}
}
