package normalize

import (
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/demo"
	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/parse/auto"
	"github.com/yagura-soc/yagura/internal/parse/rfc3164"
)

// Every line the demo company writes (two quiet hours of traffic with the
// attack stories) auto-detects, parses and maps to the dataset of its
// source, with its own timestamp to the second.
func TestDemoTraffic(t *testing.T) {
	start := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	g := demo.New(7, start, demo.WithRate(2)) // a quiet day: the stories still run
	recs := g.Next(start.Add(2 * time.Hour))
	if len(recs) < 1000 {
		t.Fatalf("only %d demo records", len(recs))
	}
	n := Normalizer{Parsers: auto.Parsers{Syslog: rfc3164.Parser{Now: func() time.Time { return start.Add(2 * time.Hour) }}}}
	datasets := map[string]int{}
	for i, r := range recs {
		ev := &event.Event{Ingested: r.Time.Add(time.Second)}
		n.Event(ev, []byte(r.Line), "")
		if ev.ParseError != "" {
			t.Fatalf("record %d (%s): %s\n%s", i, r.Source, ev.ParseError, r.Line)
		}
		ds, _ := ev.ECS["event.dataset"].(string)
		datasets[ds]++
		ok := false
		switch r.Source {
		case demo.SourceSyslog:
			ok = ds == event.DatasetLinuxAuth || ds == event.DatasetLinuxSyslog || ds == event.DatasetFirewall
		case demo.SourceAuditd:
			ok = ds == event.DatasetLinuxAuditd
		case demo.SourceWeb:
			ok = ds == event.DatasetWebAccess
		case demo.SourceWindows:
			ok = strings.HasPrefix(ds, "windows.")
		}
		if !ok {
			t.Fatalf("record %d (%s) has dataset %q:\n%s", i, r.Source, ds, r.Line)
		}
		if d := ev.Timestamp.Sub(r.Time); d < -time.Second || d > time.Second {
			t.Fatalf("record %d (%s): time %v, written at %v", i, r.Source, ev.Timestamp, r.Time)
		}
	}
	for _, ds := range []string{event.DatasetLinuxAuth, event.DatasetFirewall, event.DatasetLinuxAuditd, event.DatasetWebAccess} {
		if datasets[ds] == 0 {
			t.Errorf("no %s events in the demo traffic: %v", ds, datasets)
		}
	}
}
