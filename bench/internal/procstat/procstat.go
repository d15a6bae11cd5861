// Package procstat holds what the bench programs read about a process:
// its CPU time and peak resident set (Linux /proc and getrusage), and the
// JSON-lines corpus they replay.
package procstat

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// SelfCPU is this process's user+system CPU time so far, all threads.
func SelfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// CPUSeconds is a process's user+system CPU time from /proc/PID/stat;
// 0 when pid is 0 or the process cannot be read.
func CPUSeconds(pid int) float64 {
	b := procFile(pid, "stat")
	// Fields after the command name, which may hold spaces: utime is the
	// 14th field of the line, stime the 15th.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100 // USER_HZ
}

// PeakRSSMB is a process's resident-set high-water mark (VmHWM) in MB;
// 0 when pid is 0 or the process cannot be read.
func PeakRSSMB(pid int) float64 {
	for line := range strings.SplitSeq(string(procFile(pid, "status")), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// procFile is /proc/PID/name, empty when pid is 0 or the file cannot be
// read (the callers then find no fields and report 0).
func procFile(pid int, name string) []byte {
	if pid == 0 {
		return nil
	}
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/%s", pid, name))
	return b
}

// ReadLines loads every non-blank line of the folder's *.jsonl files.
func ReadLines(dir string) ([][]byte, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no .jsonl under %s: %v", dir, err)
	}
	var out [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for sc.Scan() {
			if len(bytes.TrimSpace(sc.Bytes())) > 0 {
				out = append(out, append([]byte(nil), sc.Bytes()...))
			}
		}
	}
	return out, nil
}
