package redactor

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/mediocregopher/radix/v4"

	"github.com/redactor-go/redactor/internal/wire"
	"github.com/redactor-go/redactor/resp"
)

// keepAlive is the TCP keepalive of every connection the default dialer
// opens: a peer that vanishes without closing (a host powered off, a cut
// cable) is noticed within Idle + Count*Interval of silence even when no
// command is waiting.
var keepAlive = net.KeepAliveConfig{Enable: true, Idle: 15 * time.Second, Interval: 5 * time.Second, Count: 3}

// dial opens a connection to one node for commands: reached through
// Config.AddrRemap and Config.Dialer, over TLS when Config.TLS is set,
// authenticated, named, on Config.Protocol. Config.DialTimeout bounds it
// all.
func (c *Client) dial(ctx context.Context, addr string) (net.Conn, error) {
	return c.connect(ctx, addr, c.cfg.Protocol, false)
}

// dialReadOnly is dial with READONLY sent, for the connections replica
// reads run on (Config.ReadFrom).
func (c *Client) dialReadOnly(ctx context.Context, addr string) (net.Conn, error) {
	return c.connect(ctx, addr, c.cfg.Protocol, true)
}

// dialRESP2 is dial on RESP2 whatever Config.Protocol says, for the
// connections whose replies the client reads itself (subscriptions).
func (c *Client) dialRESP2(ctx context.Context, addr string) (net.Conn, error) {
	return c.connect(ctx, addr, 2, false)
}

// dialRadix opens the short-lived connection the slot map and the command
// table are loaded over, on RESP2, which the layout parsers read.
func (c *Client) dialRadix(ctx context.Context, addr string) (radix.Conn, error) {
	return radix.Dialer{NetDialer: layoutDialer{c}}.Dial(ctx, "tcp", addr)
}

// layoutDialer is the radix.Dialer's NetDialer for dialRadix.
type layoutDialer struct{ c *Client }

func (d layoutDialer) DialContext(ctx context.Context, _, addr string) (net.Conn, error) {
	return d.c.connect(ctx, addr, 2, false)
}

// connect opens a connection to the node at addr and runs the connection's
// setup (TLS, credentials, name, protocol, READONLY) on it.
func (c *Client) connect(ctx context.Context, addr string, protocol int, readOnly bool) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.DialTimeout)
	defer cancel()
	target := addr
	if c.cfg.AddrRemap != nil {
		target = c.cfg.AddrRemap(addr)
	}
	var nc net.Conn
	var err error
	if c.cfg.Dialer != nil {
		nc, err = c.cfg.Dialer(ctx, "tcp", target)
	} else {
		d := net.Dialer{KeepAliveConfig: keepAlive}
		nc, err = d.DialContext(ctx, "tcp", target)
	}
	if err != nil {
		return nil, wire.Unreachable(err)
	}
	if c.cfg.TLS != nil {
		if nc, err = c.handshakeTLS(ctx, nc, addr, target); err != nil {
			return nil, err
		}
	}
	h := wire.Handshake{ClientName: c.cfg.ClientName, Protocol: protocol, ReadOnly: readOnly}
	if c.cfg.Credentials != nil {
		if h.Username, h.Password, err = c.cfg.Credentials(ctx); err != nil {
			nc.Close()
			return nil, fmt.Errorf("redactor: %s: Config.Credentials: %w", addr, err)
		}
	} else {
		h.Username, h.Password = c.cfg.Username, c.cfg.Password
	}
	if err := h.Run(ctx, nc, addr); err != nil {
		nc.Close()
		return nil, wire.Unreachable(err)
	}
	return nc, nil
}

// checkProtocol makes sure, with Config.Protocol 3, that the cluster
// speaks RESP3, which the layout load (on RESP2) does not tell: it opens a
// connection as for commands to the first seed that answers (the layout
// load just reached one) and closes it. A node that refuses HELLO 3 fails
// New, not every later command. Nodes it cannot reach are left to the
// commands, as with RESP2.
func (c *Client) checkProtocol(ctx context.Context) error {
	if c.cfg.Protocol != 3 {
		return nil
	}
	for _, addr := range c.cfg.Addrs {
		nc, err := c.dial(ctx, addr)
		if err == nil {
			nc.Close()
			return nil
		}
		if _, refused := resp.AsError(err); refused {
			return err
		}
	}
	return nil
}

// handshakeTLS runs the TLS handshake on nc, a connection to the node at
// addr reached at target. The name the server's certificate is verified
// against (and sent for SNI) is Config.TLS's ServerName, else the host name
// the node announces, else the host of addr: the node's identity, whatever
// AddrRemap made of its network address.
func (c *Client) handshakeTLS(ctx context.Context, nc net.Conn, addr, target string) (net.Conn, error) {
	conf := c.cfg.TLS
	if conf.ServerName == "" {
		conf = conf.Clone()
		conf.ServerName = c.serverName(addr)
	}
	tc := tls.Client(nc, conf)
	if err := tc.HandshakeContext(ctx); err != nil {
		nc.Close()
		// A plain port either answers with something that is no TLS
		// record or waits for a line that never ends.
		var header tls.RecordHeaderError
		if errors.As(err, &header) || ctx.Err() != nil {
			return nil, fmt.Errorf("%w: %s: TLS handshake: %w (is it a TLS port? Config.TLS is set)", ErrTLS, target, err)
		}
		return nil, fmt.Errorf("%w: %s: TLS handshake as %q: %w", ErrTLS, target, conf.ServerName, err)
	}
	return tc, nil
}

// serverName is the name a TLS node at addr is verified by when
// Config.TLS names none: the host name the node announces in the slot map,
// else addr's host.
func (c *Client) serverName(addr string) string {
	if routes := c.routes.Load(); routes != nil {
		if h := routes.Map.Hostname(addr); h != "" {
			return h
		}
	}
	host, _, _ := net.SplitHostPort(addr)
	return host
}
