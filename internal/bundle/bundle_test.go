package bundle

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func build(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf)
	w.AddJSON("case.json", map[string]string{"id": "c1"})
	w.Add("events.jsonl", strings.NewReader(`{"id":"e1"}`+"\n"))
	w.Add("evidence/abc-report.pdf", strings.NewReader("%PDF-1.4 evidence"))
	if err := w.Add("../escape", strings.NewReader("x")); err == nil {
		t.Error("a path leaving the bundle was accepted")
	}
	sum, err := w.Close(Manifest{Tenant: "acme", CaseID: "c1", CreatedAt: time.Unix(1, 0).UTC(), CreatedBy: "lead"})
	if err != nil || len(sum) != 64 {
		t.Fatalf("Close = %q, %v", sum, err)
	}
	return buf.Bytes()
}

// rewrite copies a bundle, letting edit change or drop entries and add more.
func rewrite(t *testing.T, in []byte, edit func(name string, body []byte) ([]byte, bool), add map[string]string) []byte {
	zr, _ := zip.NewReader(bytes.NewReader(in), int64(len(in)))
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		rc, _ := f.Open()
		body, _ := io.ReadAll(rc)
		rc.Close()
		if nb, keep := edit(f.Name, body); keep {
			fw, _ := zw.Create(f.Name)
			fw.Write(nb)
		}
	}
	for name, body := range add {
		fw, _ := zw.Create(name)
		fw.Write([]byte(body))
	}
	zw.Close()
	return buf.Bytes()
}

func TestVerify(t *testing.T) {
	good := build(t)
	keep := func(_ string, b []byte) ([]byte, bool) { return b, true }
	flipByte := func(name string, b []byte) ([]byte, bool) {
		if name == "events.jsonl" {
			b = append([]byte(nil), b...)
			b[3] ^= 1
		}
		return b, true
	}
	drop := func(name string, b []byte) ([]byte, bool) { return b, name != "case.json" }
	cases := []struct {
		name    string
		bundle  []byte
		problem string
	}{
		{"intact", good, ""},
		{"one byte changed", rewrite(t, good, flipByte, nil), "events.jsonl: SHA-256"},
		{"file removed", rewrite(t, good, drop, nil), "case.json: listed in the manifest but missing"},
		{"file added", rewrite(t, good, keep, map[string]string{"evidence/planted.txt": "x"}), "evidence/planted.txt: not listed"},
	}
	for _, c := range cases {
		res, err := Verify(bytes.NewReader(c.bundle), int64(len(c.bundle)))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if c.problem == "" {
			if len(res.Problems) != 0 || res.Files != 3 || res.Manifest.CaseID != "c1" {
				t.Errorf("%s: %+v", c.name, res)
			}
			continue
		}
		if len(res.Problems) != 1 || !strings.Contains(res.Problems[0], c.problem) {
			t.Errorf("%s: problems %v, want one naming %q", c.name, res.Problems, c.problem)
		}
	}
	if _, err := Verify(bytes.NewReader([]byte("not a zip")), 9); !errors.Is(err, ErrNotBundle) {
		t.Errorf("garbage: %v", err)
	}
}
