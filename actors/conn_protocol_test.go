package actors

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor/resp"
)

// garbage is what a broken or hostile node sends instead of a reply.
var garbage = []struct {
	name  string
	bytes string
}{
	{"unknown type byte", "?what\r\n"},
	{"bad length", "$-7\r\n"},
	{"bad integer", ":12x\r\n"},
	{"line without CR", "+OK\n"},
	{"bulk without CRLF", "$2\r\nabcd\r\n"},
	{"nesting beyond the limit", strings.Repeat("*1\r\n", resp.DefaultMaxReplyDepth+1)},
	{"attributes beyond the limit", strings.Repeat("|1\r\n+k\r\n+v\r\n", 17) + ":1\r\n"},
	{"bulk beyond the limit", fmt.Sprintf("$%d\r\n", resp.DefaultMaxBulkLen+1)},
}

// garblingNode, on its first connection, reads the given number of
// commands, then answers good of them with +OK and sends bad, and nothing
// more. On later connections it answers every command with +OK. It counts
// the connections it accepted.
func garblingNode(t *testing.T, commands, good int, bad string, accepted *atomic.Int32) string {
	t.Helper()
	return scriptedNode(t, func(nc net.Conn, br *bufio.Reader) {
		first := accepted.Add(1) == 1
		for i := 1; ; i++ {
			if _, err := resp.ReadReply(br); err != nil {
				return
			}
			switch {
			case !first:
				nc.Write([]byte("+OK\r\n"))
			case i == commands:
				nc.Write([]byte(strings.Repeat("+OK\r\n", good) + bad))
			}
		}
	})
}

// assertProtocolFailure checks the error of a command that was written to
// a connection that then got a malformed reply.
func assertProtocolFailure(t *testing.T, err error, msgAndArgs ...any) {
	t.Helper()
	assert.ErrorIs(t, err, resp.ErrProtocol, msgAndArgs...)
	assert.ErrorIs(t, err, ErrUnknownOutcome, msgAndArgs...)
	_, isReply := resp.AsError(err)
	assert.False(t, isReply, msgAndArgs...)
}

// TestProtocolErrorFailsTheConnection has the node send garbage after two
// good replies: those are delivered, the rest of the batch, and of a batch
// written after it, get ErrProtocol with ErrUnknownOutcome, and the
// connection ends, not quietly.
func TestProtocolErrorFailsTheConnection(t *testing.T) {
	for _, g := range garbage {
		t.Run(g.name, func(t *testing.T) {
			var accepted atomic.Int32
			addr := garblingNode(t, 5, 2, g.bytes, &accepted)
			p := newConnProbe()
			c := dialTest(t, addr, connOptions{read: 5 * time.Second}, p)
			require.True(t, c.send(batchOf([]string{"SET", "a", "1"}, []string{"SET", "b", "2"}, []string{"SET", "c", "3"}, []string{"SET", "d", "4"})))
			require.True(t, c.send(batchOf([]string{"GET", "a"})))
			first, second := <-p.done, <-p.done
			assert.Equal(t, Result{Value: "OK"}, first.exec.Results[0])
			assert.Equal(t, Result{Value: "OK"}, first.exec.Results[1])
			assertProtocolFailure(t, first.exec.Results[2].Err)
			assertProtocolFailure(t, first.exec.Results[3].Err)
			assertProtocolFailure(t, second.exec.Results[0].Err, "a batch written after the one that got garbage")
			assert.ErrorIs(t, <-p.broken, resp.ErrProtocol)
			assert.False(t, <-p.quiet)
			assert.False(t, c.send(batchOf([]string{"PING"})), "a broken connection takes no batch")
		})
	}
}

// TestProtocolErrorNodeReconnects runs a node actor against a node that
// sends garbage on its first connection: the batch gets its good replies
// and ErrProtocol, and the next batch works on a new connection.
func TestProtocolErrorNodeReconnects(t *testing.T) {
	var accepted atomic.Int32
	addr := garblingNode(t, 3, 1, "*1\r\n!x\r\n", &accepted)
	system := quietSystem()
	t.Cleanup(system.Shutdown)
	var d net.Dialer
	node := system.Root.Spawn(NodeProps(NodeConfig{Addr: addr, ReadTimeout: 5 * time.Second,
		Dial: func(ctx context.Context, addr string) (net.Conn, error) { return d.DialContext(ctx, "tcp", addr) }}))
	t.Cleanup(func() { system.Root.StopFuture(node).Wait() })
	done := make(chan *nodeBatch, 4)
	coord := system.Root.Spawn(actor.PropsFromFunc(func(ctx actor.Context) {
		if m, ok := ctx.Message().(*batchDone); ok {
			done <- m.batch
		}
	}))
	run := func(cmds ...[]string) []Result {
		b := batchOf(cmds...)
		b.coordinator = coord
		system.Root.Send(node, b)
		select {
		case b := <-done:
			return b.exec.Results
		case <-time.After(10 * time.Second):
			return []Result{{Err: errors.New("the node actor did not finish the batch")}}
		}
	}
	results := run([]string{"SET", "a", "1"}, []string{"GET", "a"}, []string{"INCR", "n"})
	assert.Equal(t, Result{Value: "OK"}, results[0])
	assertProtocolFailure(t, results[1].Err)
	assertProtocolFailure(t, results[2].Err)
	assert.Equal(t, int32(1), accepted.Load())

	// The actor restarts after its connection broke (with a backoff)
	// and dials again for the next batch.
	require.Eventually(t, func() bool {
		results = run([]string{"PING"})
		return results[0].Err == nil
	}, 10*time.Second, 50*time.Millisecond)
	assert.Equal(t, Result{Value: "OK"}, results[0])
	assert.Equal(t, int32(2), accepted.Load(), "the next batch went on a new connection")
}

// attributeBombEnv makes TestAttributeBombOverTCP's child run the bomb.
const attributeBombEnv = "ACTORS_ATTRIBUTE_BOMB"

// TestAttributeBombOverTCP has a node answer a batch with one good reply
// and then 3M RESP3 attributes in a row (36 MB), which overflowed the
// reader's stack and ended the process. It runs in a child process (this
// test binary again), so that a crash fails the test instead of ending it.
func TestAttributeBombOverTCP(t *testing.T) {
	if os.Getenv(attributeBombEnv) != "" {
		attributeBomb(t)
		return
	}
	if testing.Short() {
		t.Skip("runs a child process")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestAttributeBombOverTCP$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), attributeBombEnv+"=1")
	out, err := cmd.CombinedOutput()
	if len(out) > 3000 {
		out = out[len(out)-3000:]
	}
	require.NoError(t, err, "the child failed:\n%s", out)
	assert.Contains(t, string(out), "attribute bomb survived", "%s", out)
}

func attributeBomb(t *testing.T) {
	bomb := strings.Repeat("|1\r\n+k\r\n+v\r\n", 3_000_000) + ":1\r\n"
	var accepted atomic.Int32
	addr := scriptedNode(t, func(nc net.Conn, br *bufio.Reader) {
		accepted.Add(1)
		if _, err := resp.ReadReply(br); err != nil {
			return
		}
		if _, err := resp.ReadReply(br); err != nil {
			return
		}
		nc.Write([]byte("+OK\r\n" + bomb))
	})
	p := newConnProbe()
	c := dialTest(t, addr, connOptions{read: 10 * time.Second}, p)
	require.True(t, c.send(batchOf([]string{"SET", "a", "1"}, []string{"GET", "a"})))
	b := <-p.done
	assert.Equal(t, Result{Value: "OK"}, b.exec.Results[0])
	assertProtocolFailure(t, b.exec.Results[1].Err)
	assert.ErrorIs(t, <-p.broken, resp.ErrProtocol)
	if !t.Failed() {
		fmt.Println("attribute bomb survived")
	}
}
