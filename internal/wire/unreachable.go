package wire

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/redactor-go/redactor/resp"
)

// ErrNodeUnreachable marks a failure to reach a node: the connection could
// not be opened (refused, no route, timed out), or the node closed it or
// said nothing in time before it answered. The layout load and the node
// actors both use it.
var ErrNodeUnreachable = errors.New("redactor: node unreachable")

// Mark returns err marked with sentinel for errors.Is, its text prefix
// followed by err's ("prefix: err"), or err's alone when prefix is empty:
// the sentinel's own text is not repeated.
func Mark(sentinel error, prefix string, err error) error {
	return &marked{sentinel: sentinel, prefix: prefix, err: err}
}

type marked struct {
	sentinel error
	prefix   string
	err      error
}

func (m *marked) Error() string {
	if m.prefix == "" {
		return m.err.Error()
	}
	return m.prefix + ": " + m.err.Error()
}

func (m *marked) Unwrap() []error { return []error{m.sentinel, m.err} }

// IsUnreachable reports whether err is a failure of the network rather
// than an answer of the node: a dial or I/O error, a timeout, a connection
// closed (EOF) or reset. A reply of the server (*resp.Error), a malformed
// reply (resp.ErrProtocol), a refused authentication (ErrAuth) or TLS
// handshake (ErrTLS) is not, nor is a canceled context.
func IsUnreachable(err error) bool {
	if err == nil || errors.Is(err, ErrNodeUnreachable) {
		return err != nil
	}
	if _, ok := resp.AsError(err); ok {
		return false
	}
	if errors.Is(err, resp.ErrProtocol) || errors.Is(err, ErrAuth) || errors.Is(err, ErrTLS) || errors.Is(err, context.Canceled) {
		return false
	}
	var netErr net.Error
	return errors.As(err, &netErr) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE)
}

// Unreachable marks err with ErrNodeUnreachable when IsUnreachable says so,
// keeping its text; it returns other errors as they are.
func Unreachable(err error) error {
	if !IsUnreachable(err) || errors.Is(err, ErrNodeUnreachable) {
		return err
	}
	return Mark(ErrNodeUnreachable, "", err)
}
