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
		return nil, err
	}
	if c.cfg.TLS != nil {
		if nc, err = c.handshakeTLS(ctx, nc, target); err != nil {
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
		return nil, err
	}
	return nc, nil
}

// handshakeTLS runs the TLS handshake on nc, a connection to target. The
// server's name for SNI and for verifying its certificate is Config.TLS's
// ServerName, else the host of target.
func (c *Client) handshakeTLS(ctx context.Context, nc net.Conn, target string) (net.Conn, error) {
	conf := c.cfg.TLS
	if conf.ServerName == "" {
		conf = conf.Clone()
		conf.ServerName, _, _ = net.SplitHostPort(target)
	}
	tc := tls.Client(nc, conf)
	if err := tc.HandshakeContext(ctx); err != nil {
		nc.Close()
		var header tls.RecordHeaderError
		if errors.As(err, &header) {
			return nil, fmt.Errorf("%w: %s: TLS handshake: %w (is it a TLS port? Config.TLS is set)", ErrTLS, target, err)
		}
		return nil, fmt.Errorf("%w: %s: TLS handshake: %w", ErrTLS, target, err)
	}
	return tc, nil
}
