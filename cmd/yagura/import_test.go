package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yagura-soc/yagura/internal/shareddata"
	"github.com/yagura-soc/yagura/internal/store"
	"github.com/yagura-soc/yagura/internal/store/duckdb"
)

// importedEvents opens the data folder's event store after an import.
func importedEvents(t *testing.T, data, tenant string) []string {
	t.Helper()
	evs, err := duckdb.Open(context.Background(), filepath.Join(data, "events.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer evs.Close()
	page, err := evs.Search(context.Background(), store.EventQuery{Tenant: tenant, Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ev := range page.Items {
		code, _ := ev.GetString("event.code")
		out = append(out, ev.Source+"|"+code+"|"+ev.Raw)
	}
	return out
}

// EVTX, JSON lines, plain and gzipped log files land in the named tenant,
// each record once, with progress and a summary on stderr.
func TestImportFiles(t *testing.T) {
	data := t.TempDir()
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"tenant", "create", "--data", data, "acme"}, &stdout, &stderr); code != 0 {
		t.Fatalf("tenant create: %s", stderr.String())
	}
	logFile := filepath.Join(dir, "auth.log")
	os.WriteFile(logFile, []byte("<38>Jan 10 10:00:00 web1 sshd[42]: Accepted password for bob from 10.0.0.5 port 5555 ssh2\n\nplain line two\n"), 0o600)
	jsonFile := filepath.Join(dir, "app.jsonl")
	os.WriteFile(jsonFile, []byte(`{"message":"json one","host":{"name":"h1"}}`+"\n"+`{"message":"json two"}`+"\n"), 0o600)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("zipped one\nzipped two\nzipped three\n"))
	zw.Close()
	gzFile := filepath.Join(dir, "old.log.gz")
	os.WriteFile(gzFile, gz.Bytes(), 0o600)
	evtxFile := shareddata.Path(t, "evtx-attack-samples", "Credential Access", "4794_DSRM_password_change_t1098.evtx")
	jsonl, err := os.ReadFile(shareddata.Path(t, "evtx-attack-samples-jsonl", "Credential_Access_4794_DSRM_password_change_t1098.evtx.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	evtxRecords := bytes.Count(bytes.TrimSpace(jsonl), []byte("\n")) + 1

	stderr.Reset()
	args := []string{"import", "--data", data, "--tenant", "acme", logFile, jsonFile, gzFile, evtxFile}
	if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
		t.Fatalf("import exited %d: %s", code, stderr.String())
	}
	want := map[string]int{"import:auth.log": 2, "import:app.jsonl": 2, "import:old.log.gz": 3,
		"import:4794_DSRM_password_change_t1098.evtx": evtxRecords}
	got := map[string]int{}
	for _, ev := range importedEvents(t, data, "acme") {
		src, rest, _ := strings.Cut(ev, "|")
		got[src]++
		if strings.HasSuffix(src, ".evtx") && strings.HasPrefix(rest, "|") {
			t.Errorf("EVTX event without event.code (not normalized as a Windows event): %.120s", rest)
		}
	}
	for src, n := range want {
		if got[src] != n {
			t.Errorf("%s: %d events, want %d", src, got[src], n)
		}
	}
	if !strings.Contains(stderr.String(), "stored in tenant acme") {
		t.Errorf("no summary on stderr: %s", stderr.String())
	}
	if n := len(importedEvents(t, data, store.DefaultTenant)); n != 0 {
		t.Errorf("%d events in the default tenant", n)
	}
}

// Import refuses an unknown tenant and says how to create it.
func TestImportUnknownTenant(t *testing.T) {
	f := filepath.Join(t.TempDir(), "x.log")
	os.WriteFile(f, []byte("hello\n"), 0o600)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"import", "--data", t.TempDir(), "--tenant", "nope", f}, &stdout, &stderr)
	if code == 0 || !strings.Contains(stderr.String(), "yagura tenant create nope") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}

// While `yagura serve` holds the data folder, import says so clearly.
func TestImportWhileServerRuns(t *testing.T) {
	bin := buildBinary(t)
	data := t.TempDir()
	srv := startServe(t, bin, data, freePort(t))
	defer srv.Process.Kill()
	f := filepath.Join(t.TempDir(), "x.log")
	os.WriteFile(f, []byte("hello\n"), 0o600)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"import", "--data", data, f}, &stdout, &stderr)
	if code == 0 || !strings.Contains(stderr.String(), "is `yagura serve` running on this data folder?") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}
