package sigma

import (
	"syscall"
	"time"
)

// threadCPUTime is the CPU time consumed by the calling OS thread; on a
// shared machine it measures work done rather than time waited for a core.
func threadCPUTime() (time.Duration, bool) {
	var ru syscall.Rusage
	const rusageThread = 1
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
