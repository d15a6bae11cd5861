package syslog

import (
	"encoding/binary"
	"net"
	"syscall"
)

// enableKernelDrops asks the kernel to report, with every datagram, how
// many it dropped on this socket because the receive buffer was full
// (SO_RXQ_OVFL), so that loss before Yagura even reads is counted too.
func enableKernelDrops(c *net.UDPConn) bool {
	rc, err := c.SyscallConn()
	if err != nil {
		return false
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RXQ_OVFL, 1)
	}); err != nil {
		return false
	}
	return serr == nil
}

// kernelDrops reads the socket's cumulative drop counter from a
// datagram's control messages.
func kernelDrops(oob []byte) (uint32, bool) {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return 0, false
	}
	for _, m := range msgs {
		if m.Header.Level == syscall.SOL_SOCKET && m.Header.Type == syscall.SO_RXQ_OVFL && len(m.Data) >= 4 {
			return binary.NativeEndian.Uint32(m.Data), true
		}
	}
	return 0, false
}
