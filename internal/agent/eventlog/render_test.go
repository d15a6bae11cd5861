package eventlog

import (
	"encoding/json"
	"testing"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/normalize"
	"github.com/yagura-soc/yagura/internal/parse"
	"github.com/yagura-soc/yagura/internal/parse/parsetest"
)

// renderedParser lets the parser packages' golden and fuzz harness drive
// Fields: one rendered event per line of testdata/rendered.input.
type renderedParser struct{}

func (renderedParser) Name() string { return Format }

func (renderedParser) Parse(x []byte) (parse.Record, error) {
	f, err := Fields(x)
	return parse.Record{Format: Format, Fields: f}, err
}

// Each rendered event (Security 4624, the 1102 UserData form, a classic
// event with unnamed data) becomes the fields in rendered.golden.
func TestFieldsGolden(t *testing.T) { parsetest.Golden(t, "rendered", renderedParser{}) }

// What the input ships, the server parses and normalizes as a Windows
// event: the same path as the EVTX input's records.
func TestShippedFieldsNormalize(t *testing.T) {
	f, err := Fields(parsetest.Lines(t, "rendered")[0])
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(f)
	ev := &event.Event{Tenant: "default"}
	normalize.Event(ev, data, Format)
	if ev.ParseError != "" {
		t.Fatalf("parse error: %s", ev.ParseError)
	}
	for k, want := range map[string]string{"event.code": "4624", "user.name": "alice", "source.ip": "203.0.113.45",
		"host.name": "ws-07.corp.example", "event.dataset": event.WindowsDataset("Security")} {
		if got := event.String(ev.ECS[k]); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if ev.Timestamp.Format("2006-01-02T15:04:05.0000000Z") != "2026-11-20T08:15:42.1234567Z" {
		t.Errorf("@timestamp = %v", ev.Timestamp)
	}
}

func TestFieldsRefusesWhatIsNotAnEvent(t *testing.T) {
	for _, x := range []string{"", "not xml", "<Event><System></System></Event>", "<Other/>"} {
		if f, err := Fields([]byte(x)); err == nil {
			t.Errorf("Fields(%q) = %v, want an error", x, f)
		}
	}
}

// No input panics the renderer; what it accepts has an EventID.
func FuzzFields(f *testing.F) {
	parsetest.Seed(f, "rendered")
	f.Fuzz(func(t *testing.T, x []byte) {
		fields, err := Fields(x)
		if err == nil && fields["EventID"] == nil {
			t.Errorf("an event without EventID was accepted: %v", fields)
		}
	})
}
