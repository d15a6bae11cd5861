//go:build !linux

package normalize

// processCPU is unavailable here; benchmarks report wall-clock rates only.
func processCPU() (float64, bool) { return 0, false }
