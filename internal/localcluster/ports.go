package localcluster

import (
	"fmt"
	"net"
	"sync"
)

// handedOut holds every port freePort has returned in this process, so that
// clusters started concurrently (parallel tests) never get the same port even
// when the kernel offers it again once its listener is closed.
var handedOut = struct {
	sync.Mutex
	ports map[int]bool
}{ports: map[int]bool{}}

// freePort returns a TCP port of 127.0.0.1 that was free a moment ago: it
// listens on port 0, takes the port the kernel chose and closes the listener.
func freePort() (int, error) {
	handedOut.Lock()
	defer handedOut.Unlock()
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("localcluster: find a free port: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		if err := l.Close(); err != nil {
			return 0, fmt.Errorf("localcluster: find a free port: %w", err)
		}
		if !handedOut.ports[port] {
			handedOut.ports[port] = true
			return port, nil
		}
	}
	return 0, fmt.Errorf("localcluster: find a free port: the kernel keeps offering ports already in use")
}

// freePorts returns a client port and a distinct cluster-bus port.
func freePorts() (port, busPort int, err error) {
	if port, err = freePort(); err != nil {
		return 0, 0, err
	}
	if busPort, err = freePort(); err != nil {
		return 0, 0, err
	}
	return port, busPort, nil
}
