//go:build !linux

package syslog

import "net"

// enableKernelDrops: only Linux reports kernel drops per socket.
func enableKernelDrops(*net.UDPConn) bool { return false }

func kernelDrops([]byte) (uint32, bool) { return 0, false }
