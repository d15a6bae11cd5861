package demo

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/normalize"
	"github.com/yagura-soc/yagura/internal/parse/winevent"
)

var testStart = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// run drives a generator over d of simulated time in steps of step.
func run(g *Generator, d, step time.Duration) []Record {
	var out []Record
	end := testStart.Add(d)
	for t := testStart.Add(step); t.Before(end); t = t.Add(step) {
		out = append(out, g.Next(t)...)
	}
	return append(out, g.Next(end)...)
}

func TestDeterminism(t *testing.T) {
	a := run(New(7, testStart, WithRate(20)), 90*time.Second, time.Second)
	tests := []struct {
		name string
		recs []Record
		same bool
	}{
		{"same seed, same steps", run(New(7, testStart, WithRate(20)), 90*time.Second, time.Second), true},
		{"same seed, one big step", run(New(7, testStart, WithRate(20)), 90*time.Second, 90*time.Second), true},
		{"same seed, uneven steps", run(New(7, testStart, WithRate(20)), 90*time.Second, 333*time.Millisecond), true},
		{"other seed", run(New(8, testStart, WithRate(20)), 90*time.Second, time.Second), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			same := len(a) == len(tt.recs)
			for i := 0; same && i < len(a); i++ {
				same = a[i] == tt.recs[i]
			}
			if same != tt.same {
				t.Errorf("identical output = %v, want %v (%d vs %d records)", same, tt.same, len(a), len(tt.recs))
			}
		})
	}
}

func TestNextIsOrderedAndNeverRepeats(t *testing.T) {
	g := New(1, testStart)
	first := g.Next(testStart.Add(30 * time.Second))
	if len(first) == 0 {
		t.Fatal("no records in 30 s")
	}
	for i := 1; i < len(first); i++ {
		if first[i].Time.Before(first[i-1].Time) {
			t.Fatalf("record %d at %v before record %d at %v", i, first[i].Time, i-1, first[i-1].Time)
		}
	}
	if again := g.Next(testStart.Add(10 * time.Second)); len(again) != 0 {
		t.Errorf("going back in time returned %d records", len(again))
	}
	last := first[len(first)-1].Time
	for _, r := range g.Next(testStart.Add(40 * time.Second)) {
		if !r.Time.After(testStart.Add(30*time.Second)) || r.Time.Before(last) {
			t.Fatalf("record at %v handed out twice or out of order", r.Time)
		}
	}
}

func TestStoriesStartWithinAMinute(t *testing.T) {
	recs := New(3, testStart).Next(testStart.Add(storyFirstRunsWithin))
	seen := map[string]int{}
	for _, r := range recs {
		if r.Story != "" {
			seen[r.Story]++
		}
	}
	want := map[string]int{ // fewest records each story writes in its first minute
		StorySSHBruteForce: 60, StoryWebAttack: 25, StoryPhishing: 8,
		StoryPasswordSpray: 20, StoryWindowsIntrusion: 20, StoryRansomware: 80,
	}
	if len(want) != len(Stories()) {
		t.Fatalf("test covers %d stories, package has %v", len(want), Stories())
	}
	for _, s := range Stories() {
		if seen[s] < want[s] {
			t.Errorf("story %s wrote %d records in the first %v, want at least %d", s, seen[s], storyFirstRunsWithin, want[s])
		}
	}
}

func TestStoriesRepeatWithNewActors(t *testing.T) {
	recs := New(4, testStart, WithRate(0)).Next(testStart.Add(20 * time.Minute))
	// The attacker address of each SSH brute force run.
	attackers := map[string]bool{}
	re := regexp.MustCompile(`Accepted password for \S+ from (\S+)`)
	for _, r := range recs {
		if m := re.FindStringSubmatch(r.Line); m != nil && r.Story == StorySSHBruteForce {
			attackers[m[1]] = true
		}
	}
	if len(attackers) < 3 {
		t.Errorf("SSH brute force succeeded from %d distinct addresses in 20 min, want >= 3 (a run every 3-6 min, new attacker each)", len(attackers))
	}
}

func TestRate(t *testing.T) {
	tests := []struct {
		name string
		at   time.Time
		rate float64
		want float64 // records per second
	}{
		{"default rate, working hours", testStart, DefaultRate, DefaultRate},
		{"default rate, night", time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC), DefaultRate, DefaultRate / 4},
		{"default rate, lunch", time.Date(2026, 11, 23, 12, 30, 0, 0, time.UTC), DefaultRate, DefaultRate * 3 / 4},
		{"custom rate", testStart, 50, 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := New(5, tt.at, WithRate(tt.rate), WithoutStories())
			const secs = 60
			n := len(g.Next(tt.at.Add(secs * time.Second)))
			got := float64(n) / secs
			if got < 0.85*tt.want || got > 1.15*tt.want {
				t.Errorf("%.1f records/s, want %.1f ± 15%%", got, tt.want)
			}
		})
	}
}

func TestWithoutStories(t *testing.T) {
	for _, r := range New(6, testStart, WithRate(20), WithoutStories()).Next(testStart.Add(2 * time.Minute)) {
		if r.Story != "" {
			t.Fatalf("record of story %q with stories off", r.Story)
		}
	}
}

// Line shapes of each source. The project's own parsers check the same
// lines in the end-to-end test of internal/detect/builtin; these keep the
// generator honest on its own.
var (
	reSyslog = regexp.MustCompile(`^<(\d{1,3})>(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ 1-3]\d \d\d:\d\d:\d\d [A-Za-z0-9.-]+ [A-Za-z0-9_/.-]+(\[\d+\])?: .`)
	reAudit  = regexp.MustCompile(`^node=\S+ type=(SYSCALL|EXECVE|CWD|PROCTITLE) msg=audit\(\d{10}\.\d{3}:\d+\): \S`)
	reApache = regexp.MustCompile(`^(\d{1,3}(?:\.\d{1,3}){3}) - - \[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "(GET|POST|HEAD) (\S+) HTTP/1\.[01]" \d{3} (\d+|-) "[^"]*" "[^"]*"$`)
	reKV     = regexp.MustCompile(`^date=\S+ time=\S+ devname=\S+ type=traffic action=(allow|deny) proto=(tcp|udp) srcip=(\S+) srcport=\d+ srcintf=\S+ dstip=(\S+) dstport=\d+ dstintf=\S+ policyid=\d+ sentbyte=\d+ rcvdbyte=\d+$`)
	reIPv4   = regexp.MustCompile(`\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b`)
)

// winEnvelope is the part of the evtx_dump shape every event must have.
type winEnvelope struct {
	Event struct {
		System struct {
			Provider struct {
				Attributes struct {
					Name string `json:"Name"`
				} `json:"#attributes"`
			} `json:"Provider"`
			EventID     *int `json:"EventID"`
			TimeCreated struct {
				Attributes struct {
					SystemTime string `json:"SystemTime"`
				} `json:"#attributes"`
			} `json:"TimeCreated"`
			EventRecordID int64  `json:"EventRecordID"`
			Channel       string `json:"Channel"`
			Computer      string `json:"Computer"`
		} `json:"System"`
		EventData map[string]any `json:"EventData"`
		UserData  map[string]any `json:"UserData"`
	} `json:"Event"`
}

func TestLinesAreWellFormed(t *testing.T) {
	recs := New(9, testStart, WithRate(50)).Next(testStart.Add(3 * time.Minute))
	lastRecordID := map[string]int64{}
	perSource := map[string]int{}
	for _, r := range recs {
		perSource[r.Source]++
		switch r.Source {
		case SourceWindows:
			var ev winEnvelope
			if err := json.Unmarshal([]byte(r.Line), &ev); err != nil {
				t.Fatalf("windows line is not JSON: %v\n%s", err, r.Line)
			}
			s := ev.Event.System
			if s.EventID == nil || s.Channel == "" || s.Provider.Attributes.Name == "" || !strings.HasSuffix(s.Computer, "."+DNSDomain) {
				t.Fatalf("windows event lacks System fields:\n%s", r.Line)
			}
			if (ev.Event.EventData == nil) == (ev.Event.UserData == nil) {
				t.Fatalf("windows event needs exactly one of EventData and UserData:\n%s", r.Line)
			}
			ts, err := time.Parse(time.RFC3339Nano, s.TimeCreated.Attributes.SystemTime)
			if err != nil || !ts.Equal(r.Time.Truncate(time.Microsecond)) {
				t.Fatalf("SystemTime %q does not match record time %v (%v)", s.TimeCreated.Attributes.SystemTime, r.Time, err)
			}
			key := s.Computer + "/" + s.Channel
			if s.EventRecordID <= lastRecordID[key] {
				t.Fatalf("EventRecordID %d on %s not increasing (last %d)", s.EventRecordID, key, lastRecordID[key])
			}
			lastRecordID[key] = s.EventRecordID
			// And the project's own parser reads it back.
			rec, err := winevent.Parse([]byte(r.Line))
			if err != nil {
				t.Fatalf("winevent cannot parse the line: %v\n%s", err, r.Line)
			}
			if !rec.Time.Equal(ts) || rec.Fields["EventID"] != fmt.Sprint(*s.EventID) || rec.Fields["Computer"] != s.Computer {
				t.Fatalf("winevent read time %v, EventID %v, Computer %v from:\n%s", rec.Time, rec.Fields["EventID"], rec.Fields["Computer"], r.Line)
			}
		case SourceSyslog:
			m := reSyslog.FindStringSubmatch(r.Line)
			if m == nil {
				t.Fatalf("not an RFC 3164 line: %s", r.Line)
			}
			if r.Host == "fw-01" {
				msg := r.Line[strings.Index(r.Line, ": ")+2:]
				if !reKV.MatchString(msg) {
					t.Fatalf("firewall message is not the key=value shape: %s", msg)
				}
			}
		case SourceAuditd:
			if !reAudit.MatchString(r.Line) {
				t.Fatalf("not an auditd record: %s", r.Line)
			}
		case SourceWeb:
			if !reApache.MatchString(r.Line) {
				t.Fatalf("not an Apache combined line: %s", r.Line)
			}
		default:
			t.Fatalf("unknown source %q", r.Source)
		}
	}
	for _, s := range []string{SourceWindows, SourceSyslog, SourceAuditd, SourceWeb} {
		if perSource[s] == 0 {
			t.Errorf("no %s records in 3 minutes", s)
		}
	}
}

// Attackers only ever come from the documentation ranges, and those ranges
// never show up in benign traffic except as the company's own addresses.
func TestAddressPolicy(t *testing.T) {
	doc := []netip.Prefix{
		netip.MustParsePrefix("192.0.2.0/24"),
		netip.MustParsePrefix("203.0.113.0/24"),
		netip.MustParsePrefix("198.51.100.0/24"),
	}
	inDoc := func(a netip.Addr) bool {
		for _, p := range doc {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	own := map[string]bool{PublicWeb: true, PublicSSH: true, PublicNAT: true}
	recs := New(10, testStart, WithRate(50)).Next(testStart.Add(4 * time.Minute))
	for _, r := range recs {
		for _, s := range reIPv4.FindAllString(r.Line, -1) {
			a, err := netip.ParseAddr(s)
			if err != nil || own[s] || a.IsPrivate() || a.IsLoopback() {
				continue
			}
			if r.Story == "" && inDoc(a) {
				t.Fatalf("benign record uses attacker space %s: %s", s, r.Line)
			}
			if r.Story != "" && !inDoc(a) && !knownBenign(s) {
				t.Fatalf("story %s uses %s outside the documentation ranges: %s", r.Story, s, r.Line)
			}
		}
	}
}

// knownBenign reports whether s is a benign destination or crawler; stories
// may mention those (a victim's browser keeps browsing).
func knownBenign(s string) bool {
	for _, svc := range benignServices {
		if strings.HasPrefix(s, svc.Prefix+".") {
			return true
		}
	}
	return false
}

func TestEncodePowerShell(t *testing.T) {
	// The reference value is what [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes('whoami')) prints.
	if got, want := encodePowerShell("whoami"), "dwBoAG8AYQBtAGkA"; got != want {
		t.Errorf("encodePowerShell(whoami) = %s, want %s", got, want)
	}
}

func BenchmarkGenerator(b *testing.B) {
	g := New(1, testStart)
	n := 0
	now := testStart
	for i := 0; i < b.N; i++ {
		now = now.Add(time.Second)
		n += len(g.Next(now))
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
}

// TestProjectParsersReadEveryLine feeds every line to the project's
// normalizer with the format left to auto-detection, as the server does
// with the demo, and checks it lands in the dataset its rules select, with
// the record's time (to the format's precision) and host.
func TestProjectParsersReadEveryLine(t *testing.T) {
	datasets := map[string][]string{
		SourceWindows: {event.DatasetWindowsSecurity, event.DatasetWindowsSysmon},
		SourceSyslog:  {event.DatasetLinuxAuth, event.DatasetLinuxSyslog, event.DatasetFirewall},
		SourceAuditd:  {event.DatasetLinuxAuditd},
		SourceWeb:     {event.DatasetWebAccess},
	}
	precision := map[string]time.Duration{
		SourceWindows: time.Microsecond,
		SourceSyslog:  time.Second,
		SourceAuditd:  time.Millisecond,
		SourceWeb:     time.Second,
	}
	seen := map[string]int{}
	for _, r := range New(11, testStart, WithRate(50)).Next(testStart.Add(2 * time.Minute)) {
		ev := &event.Event{Raw: r.Line}
		normalize.Event(ev, []byte(r.Line), "")
		if ev.ParseError != "" {
			t.Fatalf("%s line does not parse: %s\n%s", r.Source, ev.ParseError, r.Line)
		}
		ds, _ := ev.GetString("event.dataset")
		if !slices.Contains(datasets[r.Source], ds) {
			t.Fatalf("%s line normalized to dataset %q, want one of %v:\n%s", r.Source, ds, datasets[r.Source], r.Line)
		}
		seen[ds]++
		if want := r.Time.Truncate(precision[r.Source]); !ev.Timestamp.Equal(want) {
			t.Fatalf("%s line read at %v, written at %v:\n%s", r.Source, ev.Timestamp, want, r.Line)
		}
		if r.Source != SourceWeb { // an access log line does not name its server
			if h, _ := ev.GetString("host.name"); !strings.EqualFold(strings.SplitN(h, ".", 2)[0], r.Host) {
				t.Fatalf("%s line from %s read as host %q:\n%s", r.Source, r.Host, h, r.Line)
			}
		}
	}
	for _, dss := range datasets {
		for _, ds := range dss {
			if seen[ds] == 0 {
				t.Errorf("no line normalized to %s in two minutes", ds)
			}
		}
	}
}
