package topology

import (
	"errors"
	"strings"
)

// ErrNotCluster marks a layout load from a server that runs without
// cluster support (cluster-enabled no): a standalone Redis given as a
// cluster node.
var ErrNotCluster = errors.New("redactor: not a cluster node")

// addrError is the failure of one address of a load. Its text names the
// address once: not again when the error names it already (a dial error
// does).
type addrError struct {
	addr string
	err  error
}

func (e *addrError) Error() string {
	// The load's own error says "redactor:" already.
	msg := strings.TrimPrefix(e.err.Error(), "redactor: ")
	if strings.Contains(msg, e.addr) {
		return msg
	}
	return e.addr + ": " + msg
}

func (e *addrError) Unwrap() error { return e.err }

// loadError is the failure of a load, one error per address tried, told
// on one line.
type loadError []error

func (e loadError) Error() string {
	texts := make([]string, len(e))
	for i, err := range e {
		texts[i] = err.Error()
	}
	return strings.Join(texts, "; ")
}

func (e loadError) Unwrap() []error { return e }
