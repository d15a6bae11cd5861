package ingesttest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Daemon is a real log daemon running in the foreground for one test.
type Daemon struct {
	Dir    string // its working folder, where tests put files to tail
	cmd    *exec.Cmd
	out    *lockedBuffer
	done   chan struct{}
	cancel context.CancelFunc
}

// StartRsyslog runs `rsyslogd -n -f CONF` with conf written to a fresh
// folder; "{{DIR}}" in conf is replaced by that folder. It is stopped when
// the test ends.
func StartRsyslog(t testing.TB, conf string) *Daemon {
	t.Helper()
	bin := Need(t, "rsyslogd", "Debian package rsyslog")
	dir := t.TempDir()
	conf = "global(workDirectory=\"" + dir + "\")\n" + strings.ReplaceAll(conf, "{{DIR}}", dir)
	path := filepath.Join(dir, "rsyslog.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "-N1", "-f", path).CombinedOutput(); err != nil {
		t.Fatalf("rsyslogd rejects the test config: %v\n%s\n%s", err, out, conf)
	}
	return start(t, dir, bin, "-n", "-f", path, "-i", filepath.Join(dir, "rsyslogd.pid"))
}

// StartSyslogNG runs `syslog-ng -F -f CONF` the same way.
func StartSyslogNG(t testing.TB, conf string) *Daemon {
	t.Helper()
	bin := Need(t, "syslog-ng", "Debian packages syslog-ng-core and syslog-ng-mod-http")
	dir := t.TempDir()
	conf = strings.ReplaceAll(conf, "{{DIR}}", dir)
	path := filepath.Join(dir, "syslog-ng.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"-f", path, "-R", filepath.Join(dir, "persist"), "-p", filepath.Join(dir, "pid"),
		"-c", filepath.Join(dir, "ctl")}
	if out, err := exec.Command(bin, append([]string{"--syntax-only"}, args...)...).CombinedOutput(); err != nil {
		t.Fatalf("syslog-ng rejects the test config: %v\n%s\n%s", err, out, conf)
	}
	return start(t, dir, bin, append([]string{"-F", "--stderr"}, args...)...)
}

func start(t testing.TB, dir, bin string, args ...string) *Daemon {
	ctx, cancel := context.WithCancel(context.Background())
	d := &Daemon{Dir: dir, out: &lockedBuffer{}, done: make(chan struct{}), cancel: cancel}
	d.cmd = exec.CommandContext(ctx, bin, args...)
	d.cmd.Stdout, d.cmd.Stderr = d.out, d.out
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	go func() { d.cmd.Wait(); close(d.done) }()
	t.Cleanup(func() {
		d.Stop()
		if t.Failed() {
			t.Logf("%s output:\n%s", filepath.Base(bin), d.out.String())
		}
	})
	return d
}

// Stop ends the daemon (SIGKILL through its context) and waits for it.
func (d *Daemon) Stop() {
	d.cancel()
	<-d.done
}

// Output is what the daemon printed so far.
func (d *Daemon) Output() string { return d.out.String() }

// AppendLines appends lines to a file in the daemon's folder.
func (d *Daemon) AppendLines(t testing.TB, name string, lines []string) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(d.Dir, name), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, l := range lines {
		fmt.Fprintln(f, l)
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
