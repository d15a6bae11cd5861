package normalize

import (
	"bytes"
	"os"
	"testing"

	"github.com/yagura-soc/yagura/internal/event"
)

// FuzzEvent runs detection, every parser and every mapping on arbitrary
// input: nothing may panic, and every record either parses or carries its
// parse error.
func FuzzEvent(f *testing.F) {
	data, err := os.ReadFile("testdata/records.input")
	if err != nil {
		f.Fatal(err)
	}
	for _, l := range bytes.Split(data, []byte("\n")) {
		if _, rec, ok := bytes.Cut(l, []byte("\t")); ok {
			f.Add(rec)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ev := &event.Event{Raw: string(data)}
		Normalizer{MaxLine: 4096}.Event(ev, data, "")
		if ev.ParseError == "" && ev.ECS["event.kind"] == nil {
			t.Errorf("parsed without event.kind: %q", data)
		}
	})
}

// FuzzStream feeds arbitrary multi-line input through Streams in each
// mode: no panic, and no event without either ECS fields or an error.
func FuzzStream(f *testing.F) {
	f.Add([]byte("#separator \\x09\n#fields\tts\tuid\n1.5\tC1\n"), "")
	f.Add([]byte("#Fields: date time c-ip\n2019-09-03 10:13:36 1.2.3.4\n"), "")
	f.Add([]byte("type=SYSCALL msg=audit(1.1:1): pid=1\ntype=EOE msg=audit(1.1:1):\n"), "auditd")
	f.Fuzz(func(t *testing.T, data []byte, format string) {
		s := &Stream{Format: format}
		var evs []*event.Event
		for _, l := range bytes.Split(data, []byte("\n")) {
			evs = append(evs, s.Line(l)...)
		}
		for _, ev := range append(evs, s.Flush()...) {
			if ev.ParseError == "" && ev.ECS["event.kind"] == nil {
				t.Errorf("event without event.kind or error: %q", ev.Raw)
			}
		}
	})
}
