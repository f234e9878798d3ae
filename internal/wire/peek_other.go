//go:build !unix

package wire

import "net"

// peek cannot look at the socket here: the caller assumes it is usable.
func peek(net.Conn) peekResult { return peekEmpty }
