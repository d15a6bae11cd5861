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
