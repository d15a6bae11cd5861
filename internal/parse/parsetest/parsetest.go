// Package parsetest holds the golden-file harness every parser package's
// tests share: each line of testdata/<name>.input is parsed and the result
// compared with testdata/<name>.golden; `go test -update` rewrites the
// golden files. It is imported only by tests and must never be imported by
// production code.
package parsetest

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/parse"
)

// Update rewrites golden files instead of comparing against them.
var Update = flag.Bool("update", false, "rewrite testdata/*.golden from the parser's output")

// Result is one golden entry.
type Result struct {
	Input  string         `json:"input"`
	Format string         `json:"format,omitempty"`
	Time   string         `json:"time,omitempty"`
	Fields map[string]any `json:"fields,omitempty"`
	Error  string         `json:"error,omitempty"`
}

// FromRecord renders a parse result for a golden file.
func FromRecord(input []byte, rec parse.Record, err error) Result {
	r := Result{Input: string(input)}
	if err != nil {
		r.Error = err.Error()
		return r
	}
	r.Format = rec.Format
	if !rec.Time.IsZero() {
		r.Time = rec.Time.Format(time.RFC3339Nano)
	}
	r.Fields = rec.Fields
	return r
}

// Lines reads testdata/<name>.input as records, one per line; blank lines
// are skipped.
func Lines(t testing.TB, name string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name+".input"))
	if err != nil {
		t.Fatalf("read golden input: %v", err)
	}
	var out [][]byte
	for _, l := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(l)) > 0 {
			out = append(out, l)
		}
	}
	return out
}

// Golden parses every line of testdata/<name>.input with p and compares the
// results with testdata/<name>.golden.
func Golden(t *testing.T, name string, p parse.Parser) {
	t.Helper()
	var results []Result
	for _, line := range Lines(t, name) {
		rec, err := p.Parse(line)
		results = append(results, FromRecord(line, rec, err))
	}
	Compare(t, name, results)
}

// Compare checks results against testdata/<name>.golden (or rewrites it).
func Compare(t *testing.T, name string, results []Result) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(results); err != nil {
		t.Fatalf("encode results: %v", err)
	}
	path := filepath.Join("testdata", name+".golden")
	if *Update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if !bytes.Equal(want, buf.Bytes()) {
		gotL, wantL := strings.Split(buf.String(), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gotL) || i < len(wantL); i++ {
			var g, w string
			if i < len(gotL) {
				g = gotL[i]
			}
			if i < len(wantL) {
				w = wantL[i]
			}
			if g != w {
				t.Fatalf("%s differs at line %d:\n got %s\nwant %s\n(go test -update rewrites it after review)", path, i+1, g, w)
			}
		}
	}
}

// Seed adds every line of testdata/<name>.input to the fuzz corpus.
func Seed(f *testing.F, name string) {
	f.Helper()
	for _, l := range Lines(f, name) {
		f.Add(l)
	}
}

// Fuzz seeds the fuzz corpus with testdata/<name>.input and checks that no
// input panics p and that a record p accepts always names its format.
func Fuzz(f *testing.F, name string, p parse.Parser) {
	f.Helper()
	Seed(f, name)
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := p.Parse(data)
		if err == nil && rec.Format == "" {
			t.Errorf("parsed without a format: %q", data)
		}
	})
}

// Flat renders fields as "key=value" pairs sorted by key and joined by sep,
// for table tests that compare a whole record in one string.
func Flat(f map[string]any, sep string) string {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%v", k, f[k])
	}
	return strings.Join(parts, sep)
}
