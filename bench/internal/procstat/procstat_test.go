package procstat

import (
	"os"
	"path/filepath"
	"testing"
)

func TestSelf(t *testing.T) {
	for i, x := 0, 0; i < 1e7; i++ {
		x += i
		_ = x
	}
	if PeakRSSMB(os.Getpid()) <= 0 {
		t.Error("PeakRSSMB of this process is 0")
	}
	if SelfCPU() <= 0 {
		t.Error("SelfCPU is 0")
	}
	if PeakRSSMB(0) != 0 || CPUSeconds(0) != 0 {
		t.Error("pid 0 should read as 0")
	}
}

func TestReadLines(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.jsonl"), []byte("{\"a\":1}\n\n  \n{\"b\":2}\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "skip.txt"), []byte("x\n"), 0o600)
	got, err := ReadLines(dir)
	if err != nil || len(got) != 2 || string(got[1]) != `{"b":2}` {
		t.Fatalf("ReadLines = %q, %v", got, err)
	}
	if _, err := ReadLines(t.TempDir()); err == nil {
		t.Error("empty folder should be an error")
	}
}
