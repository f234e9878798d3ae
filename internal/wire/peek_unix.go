//go:build unix

package wire

import (
	"net"
	"syscall"
)

// peek looks, without blocking and without consuming anything, at what the
// socket holds: nothing yet (open and idle), data, or its end (closed by
// the peer, or failed).
func peek(nc net.Conn) peekResult {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return peekUnknown
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return peekClosed
	}
	result := peekUnknown
	err = raw.Read(func(fd uintptr) bool {
		var b [1]byte
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case n > 0:
			result = peekData
		case err == syscall.EAGAIN || err == syscall.EWOULDBLOCK:
			result = peekEmpty
		default:
			result = peekClosed
		}
		return true
	})
	if err != nil {
		return peekClosed
	}
	return result
}
