package journald

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/agent/input"
)

func TestArgs(t *testing.T) {
	cases := []struct {
		cursor string
		want   []string
	}{
		{"", []string{"--output", "json", "--follow", "--no-pager", "--quiet", "--lines", "0"}},
		{"s=abc;i=1; rm -rf /", []string{"--output", "json", "--follow", "--no-pager", "--quiet", "--after-cursor", "s=abc;i=1; rm -rf /"}},
	}
	for _, c := range cases {
		if got := Args(c.cursor); !slices.Equal(got, c.want) {
			t.Errorf("Args(%q) = %q, want %q", c.cursor, got, c.want)
		}
	}
}

func TestMissingJournalctl(t *testing.T) {
	err := Run(context.Background(), Config{Command: filepath.Join(t.TempDir(), "no-journalctl")}, nil)
	if err != ErrUnavailable {
		t.Fatalf("got %v, want ErrUnavailable", err)
	}
}

// A stand-in journalctl prints two entries, and the records carry the
// cursor after each; the arguments it got are checked too.
func TestFollowsAndCarriesCursor(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses a shell script as journalctl")
	}
	dir := t.TempDir()
	argsFile := filepath.Join(dir, "args")
	script := "#!/bin/sh\necho \"$@\" > " + argsFile + "\n" +
		`echo '{"__CURSOR":"c1","MESSAGE":"one"}'` + "\n" +
		`echo 'not json'` + "\n" +
		`echo '{"__CURSOR":"c2","MESSAGE":"two"}'` + "\n" +
		"sleep 60\n"
	fake := filepath.Join(dir, "journalctl")
	if err := os.WriteFile(fake, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := make(chan []input.Record, 16)
	done := make(chan error, 1)
	go func() { done <- Run(ctx, Config{Command: fake, Cursor: "c0"}, out) }()
	var got []input.Record
	deadline := time.After(30 * time.Second)
	for len(got) < 2 {
		select {
		case recs := <-out:
			got = append(got, recs...)
		case <-deadline:
			t.Fatalf("records after 30s: %d", len(got))
		}
	}
	cancel()
	<-done
	if !strings.Contains(string(got[1].Data), `"two"`) || got[1].Pos.(Position).Cursor != "c2" || got[0].Pos.(Position).Cursor != "c1" {
		t.Errorf("records: %+v", got)
	}
	args, _ := os.ReadFile(argsFile)
	if !strings.Contains(string(args), "--after-cursor c0") {
		t.Errorf("journalctl arguments %q do not resume after the cursor", args)
	}
}
