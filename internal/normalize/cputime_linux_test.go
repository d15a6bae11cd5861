package normalize

import "syscall"

// processCPU is the CPU time the test process has used (all threads, so
// garbage collection counts too); on a shared, busy machine it measures
// work done rather than time spent waiting for a core.
func processCPU() (float64, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9, true
}
