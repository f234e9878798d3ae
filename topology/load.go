package topology

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/mediocregopher/radix/v4"

	"github.com/redactor-go/redactor/internal/wire"
	"github.com/redactor-go/redactor/resp"
)

// DialFunc opens a connection to the node at addr ("host:port"). It is how
// every part of redactor connects, so AUTH, TLS and timeouts live in one place.
type DialFunc func(ctx context.Context, addr string) (radix.Conn, error)

// LoadSlotMap asks the node behind conn for the slot map, with CLUSTER SHARDS
// and, on servers older than Redis 7, CLUSTER SLOTS. With tls, nodes are
// named by their TLS port where CLUSTER SHARDS tells both (CLUSTER SLOTS
// tells the port of the connection's kind itself).
func LoadSlotMap(ctx context.Context, conn radix.Conn, tls bool) (*SlotMap, error) {
	host, _, err := net.SplitHostPort(conn.Addr().String())
	if err != nil {
		return nil, fmt.Errorf("topology: node address: %w", err)
	}
	reply, err := do(ctx, conn, "CLUSTER", "SHARDS")
	if err == nil {
		return parseShards(reply, host, tls)
	}
	// Only a server without CLUSTER SHARDS (ERR unknown subcommand) gets
	// CLUSTER SLOTS: NOAUTH or NOPERM would only repeat themselves, as
	// would a server without cluster support.
	e, isReply := resp.AsError(err)
	if !isReply || e.Prefix() != "ERR" {
		return nil, err
	}
	if notCluster(e) {
		return nil, wire.Mark(ErrNotCluster, "not a cluster node", e)
	}
	reply, slotsErr := do(ctx, conn, "CLUSTER", "SLOTS")
	if slotsErr != nil {
		return nil, errors.Join(err, slotsErr)
	}
	return ParseSlots(reply, host)
}

// notCluster reports whether e is how a server without cluster support
// refuses CLUSTER commands ("ERR This instance has cluster support
// disabled"): its prefix is the plain ERR, so only its text tells.
func notCluster(e *resp.Error) bool {
	return strings.Contains(e.Msg, "cluster support disabled")
}

// do runs one command on conn and returns its decoded reply; a server's
// error reply is a *resp.Error. A failure of the connection names the
// command, not the address (the load names it once).
func do(ctx context.Context, conn radix.Conn, args ...string) (any, error) {
	var r resp.Reply
	if err := conn.EncodeDecode(ctx, resp.Command(args), &r); err != nil {
		// radix wraps the reader's error in a sentence of its own
		// ("response returned from Conn: ...").
		if inner := errors.Unwrap(err); inner != nil {
			err = inner
		}
		return nil, fmt.Errorf("%s: %w", strings.Join(args, " "), err)
	}
	return r.Value, r.Err
}

// LoadCommandTable asks the node behind conn for its command table (COMMAND).
func LoadCommandTable(ctx context.Context, conn radix.Conn) (*resp.CommandTable, error) {
	reply, err := do(ctx, conn, "COMMAND")
	if err != nil {
		return nil, err
	}
	return resp.ParseCommandTable(reply)
}
