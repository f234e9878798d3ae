package redactor_test

import (
	"bufio"
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor/resp"
)

// directConn is a plain single-node RESP connection, independent of the
// client under test, for reading back what the cluster really holds.
type directConn struct {
	conn net.Conn
	br   *bufio.Reader
}

func dialDirect(t *testing.T, addr string) *directConn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return &directConn{conn: conn, br: bufio.NewReader(conn)}
}

// pipeline sends all commands, then reads one reply (or error reply) each.
func (d *directConn) pipeline(t *testing.T, cmds [][]string) []resp.Reply {
	t.Helper()
	require.NoError(t, d.conn.SetDeadline(time.Now().Add(30*time.Second)))
	var buf []byte
	for _, c := range cmds {
		buf = resp.AppendCommand(buf, c)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := d.conn.Write(buf)
		errc <- err
	}()
	replies := make([]resp.Reply, len(cmds))
	for i := range replies {
		v, err := resp.ReadReply(d.br)
		if e, ok := resp.AsError(err); ok {
			replies[i].Err = e
			continue
		}
		require.NoError(t, err)
		replies[i].Value = v
	}
	require.NoError(t, <-errc)
	return replies
}

// readBack GETs every key from every master directly: the master that owns
// the key answers, the others answer MOVED. It returns the owners' answers
// and the set of masters that owned at least one key.
func readBack(t *testing.T, keys []string) (values []any, owners map[string]bool) {
	t.Helper()
	values = make([]any, len(keys))
	owners = map[string]bool{}
	found := make([]int, len(keys))
	cmds := make([][]string, len(keys))
	for i, k := range keys {
		cmds[i] = []string{"GET", k}
	}
	for _, addr := range cluster.Addrs() {
		replies := dialDirect(t, addr).pipeline(t, cmds)
		for i, r := range replies {
			if e, ok := resp.AsError(r.Err); ok {
				_, _, moved := e.IsMoved()
				require.True(t, moved, "unexpected error for %q on %s: %v", keys[i], addr, e)
				continue
			}
			require.NoError(t, r.Err)
			values[i] = r.Value
			found[i]++
			owners[addr] = true
		}
	}
	for i, n := range found {
		require.Equal(t, 1, n, "key %q must be owned by exactly one master", keys[i])
	}
	return values, owners
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}
