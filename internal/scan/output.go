package scan

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/yagura-soc/yagura/internal/event"
)

// Formats the scanner can print findings in.
var Formats = []string{"jsonl", "csv", "table"}

// Writer prints findings in one format. Call Close at the end to flush.
type Writer struct {
	format string
	enc    *json.Encoder
	csv    *csv.Writer
	tab    *tabwriter.Writer
}

// NewWriter returns a writer for format (one of Formats).
func NewWriter(w io.Writer, format string) (*Writer, error) {
	out := &Writer{format: format}
	switch format {
	case "jsonl":
		out.enc = json.NewEncoder(w)
		out.enc.SetEscapeHTML(false)
	case "csv":
		out.csv = csv.NewWriter(w)
		if err := out.csv.Write([]string{"timestamp", "level", "rule_id", "rule_title", "source", "record_id", "computer", "event_id"}); err != nil {
			return nil, fmt.Errorf("scan: write csv header: %w", err)
		}
	case "table":
		out.tab = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(out.tab, "TIMESTAMP\tLEVEL\tRULE\tCOMPUTER\tEVENT\tSOURCE")
	default:
		return nil, fmt.Errorf("scan: unknown format %q (want %s)", format, strings.Join(Formats, ", "))
	}
	return out, nil
}

// jsonFinding is the jsonl shape of a finding.
type jsonFinding struct {
	RuleID      string            `json:"rule_id"`
	RuleTitle   string            `json:"rule_title"`
	Level       string            `json:"level"`
	Timestamp   string            `json:"timestamp"`
	Source      string            `json:"source"`
	RecordID    string            `json:"record_id,omitempty"`
	Tags        []string          `json:"tags,omitempty"`
	Correlation bool              `json:"correlation,omitempty"`
	GroupBy     map[string]string `json:"group_by,omitempty"`
	Event       map[string]any    `json:"event,omitempty"`
	Events      []map[string]any  `json:"events,omitempty"`
}

// Write prints one finding.
func (w *Writer) Write(f Finding) error {
	ts := f.Time.UTC().Format(time.RFC3339Nano)
	var last *event.Event
	if n := len(f.Events); n > 0 {
		last = f.Events[n-1]
	}
	switch w.format {
	case "jsonl":
		j := jsonFinding{RuleID: f.RuleID, RuleTitle: f.RuleTitle, Level: f.Level, Timestamp: ts,
			Source: f.Source, RecordID: f.RecordID, Tags: f.Tags, Correlation: f.Correlation, GroupBy: f.GroupBy}
		if last != nil {
			j.Event = eventJSON(last)
		}
		if f.Correlation {
			// The contributing events, oldest first; "event" is the last.
			for _, ev := range f.Events {
				j.Events = append(j.Events, eventJSON(ev))
			}
		}
		return w.enc.Encode(j)
	case "csv":
		return w.csv.Write([]string{ts, f.Level, f.RuleID, f.RuleTitle, f.Source, f.RecordID,
			fieldOf(last, "Computer"), fieldOf(last, "EventID")})
	case "table":
		_, err := fmt.Fprintf(w.tab, "%s\t%s\t%s\t%s\t%s\t%s\n", ts, f.Level, f.RuleTitle,
			fieldOf(last, "Computer"), fieldOf(last, "EventID"), f.Source)
		return err
	}
	return nil
}

// Close flushes buffered output.
func (w *Writer) Close() error {
	switch {
	case w.csv != nil:
		w.csv.Flush()
		return w.csv.Error()
	case w.tab != nil:
		return w.tab.Flush()
	}
	return nil
}

func fieldOf(ev *event.Event, name string) string {
	if ev == nil {
		return ""
	}
	s, _ := ev.GetString(name)
	return s
}

// eventJSON renders an event as one object: @timestamp, the native fields
// and the ECS fields (ECS names are dotted, native names are not, so they
// do not collide; on a collision the native value wins).
func eventJSON(ev *event.Event) map[string]any {
	m := make(map[string]any, len(ev.Fields)+len(ev.ECS)+2)
	for k, v := range ev.ECS {
		m[k] = v
	}
	for k, v := range ev.Fields {
		m[k] = v
	}
	m["@timestamp"] = ev.Timestamp.UTC().Format(time.RFC3339Nano)
	m["yagura.source"] = ev.Source
	return m
}

// WriteSummary prints the scan's counts by level and by rule.
func WriteSummary(w io.Writer, s Summary) {
	fmt.Fprintf(w, "scanned %d files, %d events, %d record errors, %d findings\n", s.Files, s.Events, s.Errors, s.Matches)
	for _, e := range s.ErrorSample {
		fmt.Fprintf(w, "  error: %s\n", e)
	}
	if len(s.Unsupported) > 0 {
		fmt.Fprintf(w, "%d files in no format the scanner reads (skipped):\n", len(s.Unsupported))
		for i, f := range s.Unsupported {
			if i == 10 {
				fmt.Fprintf(w, "  … and %d more\n", len(s.Unsupported)-10)
				break
			}
			fmt.Fprintf(w, "  %s\n", f)
		}
	}
	fmt.Fprintln(w, "by level:")
	for i := len(Levels) - 1; i >= 0; i-- {
		if n := s.ByLevel[Levels[i]]; n > 0 {
			fmt.Fprintf(w, "  %-13s %d\n", Levels[i], n)
		}
	}
	type kv struct {
		k string
		n int
	}
	rules := make([]kv, 0, len(s.ByRule))
	for k, n := range s.ByRule {
		rules = append(rules, kv{k, n})
	}
	sort.Slice(rules, func(i, j int) bool {
		if rules[i].n != rules[j].n {
			return rules[i].n > rules[j].n
		}
		return rules[i].k < rules[j].k
	})
	fmt.Fprintln(w, "by rule:")
	for _, r := range rules {
		fmt.Fprintf(w, "  %6d  %s\n", r.n, r.k)
	}
}
