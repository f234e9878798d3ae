package wire

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/redactor-go/redactor/resp"
)

// ErrAuth marks a connection the server refused to authenticate: a wrong
// password or user name (WRONGPASS), a password the server does not need,
// credentials it needs and was not given (NOAUTH), or a user without the
// right to run the connection's setup (NOPERM).
var ErrAuth = errors.New("redactor: authentication failed")

// ErrTLS marks a connection whose TLS handshake failed: a certificate that
// does not verify, or a peer that does not speak TLS.
var ErrTLS = errors.New("redactor: TLS")

// Handshake is what a new connection sends before any command: the RESP
// protocol, the credentials, the client's name, READONLY. The zero value
// sends nothing.
type Handshake struct {
	// Username and Password authenticate the connection; an empty Username
	// with a Password is the "default" user (requirepass).
	Username, Password string
	// ClientName is set with CLIENT SETNAME when not empty.
	ClientName string
	// Protocol is the RESP version: 3 sends HELLO 3; 0 and 2 stay on RESP2.
	Protocol int
	// ReadOnly sends READONLY, so that a replica serves reads of its slots.
	ReadOnly bool
}

// Empty reports whether the handshake sends nothing.
func (h Handshake) Empty() bool {
	return h.Username == "" && h.Password == "" && h.ClientName == "" && h.Protocol != 3 && !h.ReadOnly
}

// commands returns the commands of the handshake, in order. HELLO 3 carries
// the credentials and the name itself; on RESP2 they are AUTH and CLIENT
// SETNAME, which every Redis since 6 (and AUTH with a password alone,
// every Redis) knows.
func (h Handshake) commands() [][]string {
	var cmds [][]string
	if h.Protocol == 3 {
		hello := []string{"HELLO", "3"}
		if h.Password != "" {
			hello = append(hello, "AUTH", cmp(h.Username, "default"), h.Password)
		}
		if h.ClientName != "" {
			hello = append(hello, "SETNAME", h.ClientName)
		}
		cmds = append(cmds, hello)
	} else {
		switch {
		case h.Username != "":
			cmds = append(cmds, []string{"AUTH", h.Username, h.Password})
		case h.Password != "":
			cmds = append(cmds, []string{"AUTH", h.Password})
		}
		if h.ClientName != "" {
			cmds = append(cmds, []string{"CLIENT", "SETNAME", h.ClientName})
		}
	}
	if h.ReadOnly {
		cmds = append(cmds, []string{"READONLY"})
	}
	return cmds
}

func cmp(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

// Run sends the handshake on nc, a connection to addr that nothing has
// used yet, in one write, and reads its replies, by ctx's deadline. An
// error reply fails it: one about the credentials wraps ErrAuth and the
// server's *resp.Error. The connection is left without a deadline.
func (h Handshake) Run(ctx context.Context, nc net.Conn, addr string) error {
	cmds := h.commands()
	if len(cmds) == 0 {
		return nil
	}
	if deadline, ok := ctx.Deadline(); ok {
		nc.SetDeadline(deadline)
	}
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Unix(1, 0)) })
	defer func() {
		stop()
		nc.SetDeadline(time.Time{})
	}()
	var buf []byte
	for _, cmd := range cmds {
		buf = resp.AppendCommand(buf, cmd)
	}
	if _, err := nc.Write(buf); err != nil {
		return setupFailed(addr, ctxErr(ctx, err))
	}
	// Only the handshake's replies may be read here: no byte is buffered
	// past them, since the server sends nothing unasked before a command.
	br := bufio.NewReaderSize(nc, 512)
	var failed error
	for _, cmd := range cmds {
		reply, err := resp.ReadReply(br)
		if e, ok := reply.(*resp.Error); ok {
			err = e
		}
		if e, ok := err.(*resp.Error); ok {
			if failed == nil {
				failed = setupError(addr, cmd[0], e)
			}
			continue
		}
		if err != nil {
			return setupFailed(addr, ctxErr(ctx, err))
		}
	}
	if br.Buffered() > 0 {
		return fmt.Errorf("redactor: %s: connection setup: %d unexpected bytes after the replies", addr, br.Buffered())
	}
	return failed
}

// setupFailed is the error of a setup that failed on the way (I/O, a
// malformed reply): it names addr unless err does already (a net error
// names the address dialed).
func setupFailed(addr string, err error) error {
	if strings.Contains(err.Error(), addr) {
		return fmt.Errorf("redactor: connection setup: %w", err)
	}
	return fmt.Errorf("redactor: %s: connection setup: %w", addr, err)
}

// setupError is the error of a setup command the server refused.
func setupError(addr, name string, e *resp.Error) error {
	name = strings.ToUpper(name)
	prefix := e.Prefix()
	auth := prefix == "WRONGPASS" || prefix == "NOAUTH" || prefix == "NOPERM" ||
		(name == "AUTH" || name == "HELLO") && strings.Contains(e.Msg, "AUTH")
	if auth {
		return fmt.Errorf("%w: %s: %s: %w", ErrAuth, addr, name, e)
	}
	if name == "HELLO" && (prefix == "NOPROTO" || strings.Contains(e.Msg, "unknown command")) {
		return fmt.Errorf("redactor: %s: the server does not speak RESP3 (Config.Protocol 3): %w", addr, e)
	}
	return fmt.Errorf("redactor: %s: connection setup: %s: %w", addr, name, e)
}

// ctxErr prefers ctx's error to the I/O error it caused.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w (%w)", context.Cause(ctx), err)
	}
	return err
}
