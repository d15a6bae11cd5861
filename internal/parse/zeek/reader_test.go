package zeek

import (
	"bytes"
	"os"
	"testing"

	"github.com/yagura-soc/yagura/internal/parse/parsetest"
)

// A TSV log read through a Reader: header state, typed values, sets,
// escapes, unset and empty fields, and a short line.
func TestReaderGolden(t *testing.T) {
	data, err := os.ReadFile("testdata/ssh.log")
	if err != nil {
		t.Fatal(err)
	}
	var r Reader
	var results []parsetest.Result
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		rec, ok, err := r.Line(line)
		if ok || err != nil {
			results = append(results, parsetest.FromRecord(line, rec, err))
		}
	}
	if len(results) != 3 {
		t.Fatalf("%d data lines, want 3", len(results))
	}
	parsetest.Compare(t, "ssh.log", results)
}

func TestDataBeforeHeader(t *testing.T) {
	var r Reader
	if _, _, err := r.Line([]byte("1\t2")); err == nil {
		t.Error("a data line before #fields parsed")
	}
	if _, ok, err := r.Line([]byte("#fields\tts")); ok || err != nil {
		t.Errorf("header line: ok=%v err=%v", ok, err)
	}
	if h := r.Header(); len(h.Fields) != 1 || h.Separator != "\t" {
		t.Errorf("header %+v", h)
	}
}
