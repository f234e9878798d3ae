package topology

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/mediocregopher/radix/v4"

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
	reply, err := resp.Do(ctx, conn, "CLUSTER", "SHARDS")
	if err == nil {
		return parseShards(reply, host, tls)
	}
	// Only a server without CLUSTER SHARDS (ERR unknown subcommand) gets
	// CLUSTER SLOTS: NOAUTH or NOPERM would only repeat themselves.
	if e, isReply := resp.AsError(err); !isReply || e.Prefix() != "ERR" {
		return nil, err
	}
	reply, slotsErr := resp.Do(ctx, conn, "CLUSTER", "SLOTS")
	if slotsErr != nil {
		return nil, errors.Join(err, slotsErr)
	}
	return ParseSlots(reply, host)
}

// LoadCommandTable asks the node behind conn for its command table (COMMAND).
func LoadCommandTable(ctx context.Context, conn radix.Conn) (*resp.CommandTable, error) {
	reply, err := resp.Do(ctx, conn, "COMMAND")
	if err != nil {
		return nil, err
	}
	return resp.ParseCommandTable(reply)
}
