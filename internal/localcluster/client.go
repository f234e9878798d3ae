package localcluster

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/mediocregopher/radix/v4"
	"github.com/mediocregopher/radix/v4/resp"
)

// cmdTimeout bounds every command sent to a node, so that a stuck node cannot
// hang a caller whose context has no deadline.
const cmdTimeout = 2 * time.Second

// errClientClosed is returned by a client used after close.
var errClientClosed = errors.New("localcluster: client closed")

// client is one lazily dialed connection to a node, kept across the many
// polls of startup and WaitHealthy and redialed after a connection error.
type client struct {
	addr   string
	dial   func(ctx context.Context, addr string) (radix.Conn, error)
	mu     sync.Mutex
	conn   radix.Conn
	closed bool
}

// do sends one command and decodes its reply into rcv (see radix.Cmd).
func (c *client) do(ctx context.Context, rcv any, cmd string, args ...string) error {
	name := strings.TrimSpace(cmd + " " + strings.Join(args, " "))
	return c.perform(ctx, cmdTimeout, name, radix.Cmd(rcv, cmd, args...))
}

// perform runs action on the connection, dialing it first if needed, within
// timeout. It drops the connection after an error that leaves it unusable;
// name describes the action in errors.
func (c *client) perform(ctx context.Context, timeout time.Duration, name string, action radix.Action) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return errClientClosed
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if c.conn == nil {
		conn, err := c.dial(ctx, c.addr)
		if err != nil {
			return fmt.Errorf("localcluster: %s: dial: %w", c.addr, err)
		}
		c.conn = conn
	}
	err := c.conn.Do(ctx, action)
	if err != nil && !errors.As(err, new(resp.ErrConnUsable)) {
		_ = c.conn.Close()
		c.conn = nil
	}
	if err != nil {
		return fmt.Errorf("localcluster: %s: %s: %w", c.addr, name, err)
	}
	return nil
}

// str sends one command and returns its reply as a string.
func (c *client) str(ctx context.Context, cmd string, args ...string) (string, error) {
	var s string
	err := c.do(ctx, &s, cmd, args...)
	return s, err
}

// close closes the connection; later calls to do fail.
func (c *client) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if c.conn != nil {
		_ = c.conn.Close()
		c.conn = nil
	}
}
