package main

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/bundle"
)

// A bundle verifies; the same bundle with one byte changed does not, and
// the failure names the file.
func TestVerifyCommand(t *testing.T) {
	dir := t.TempDir()
	var buf bytes.Buffer
	w := bundle.NewWriter(&buf)
	w.Add("events.jsonl", strings.NewReader(`{"id":"e1","message":"powershell -enc"}`+"\n"))
	w.Add("evidence/abc-note.txt", strings.NewReader("detection time 09:00"))
	if _, err := w.Close(bundle.Manifest{Tenant: "acme", CaseID: "c1", CreatedAt: time.Now(), CreatedBy: "lead"}); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "good.zip")
	os.WriteFile(good, buf.Bytes(), 0o600)

	// Tamper: rewrite the archive with one byte of one file changed.
	zr, _ := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		rc, _ := f.Open()
		body, _ := io.ReadAll(rc)
		rc.Close()
		if f.Name == "evidence/abc-note.txt" {
			body[0] ^= 0x20
		}
		fw, _ := zw.Create(f.Name)
		fw.Write(body)
	}
	zw.Close()
	bad := filepath.Join(dir, "bad.zip")
	os.WriteFile(bad, out.Bytes(), 0o600)
	junk := filepath.Join(dir, "junk.zip")
	os.WriteFile(junk, []byte("not a zip"), 0o600)

	cases := []struct {
		file string
		code int
		want string
	}{
		{good, 0, "OK: all 2 files match"},
		{bad, 1, "TAMPERED: evidence/abc-note.txt"},
		{junk, 1, "not an evidence bundle"},
		{filepath.Join(dir, "missing.zip"), 1, "no such file"},
	}
	for _, c := range cases {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"verify", c.file}, &stdout, &stderr)
		if code != c.code || !strings.Contains(stdout.String()+stderr.String(), c.want) {
			t.Errorf("%s: exit %d, output %q %q; want exit %d and %q", filepath.Base(c.file), code, stdout.String(), stderr.String(), c.code, c.want)
		}
	}
}
