//go:build !linux

package sigma

import "time"

func threadCPUTime() (time.Duration, bool) { return 0, false }
