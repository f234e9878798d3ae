package actors

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor/resp"
)

// gatedNode is a scripted node that reports each command it reads on got
// and answers each with its first argument (ECHO), but only as the test
// lets it: one reply per value on answer.
func gatedNode(t *testing.T) (addr string, got chan string, answer chan struct{}) {
	got, answer = make(chan string, 1024), make(chan struct{}, 1024)
	addr = scriptedNode(t, func(nc net.Conn, br *bufio.Reader) {
		queued := make(chan string, 1024)
		go func() {
			for arg := range queued {
				<-answer
				fmt.Fprintf(nc, "$%d\r\n%s\r\n", len(arg), arg)
			}
		}()
		defer close(queued)
		for {
			v, err := resp.ReadReply(br)
			if err != nil {
				return
			}
			args := v.([]any)
			got <- args[1].(string)
			queued <- args[1].(string)
		}
	})
	return addr, got, answer
}

// echoBatch returns a batch of ECHO commands of the given arguments.
func echoBatch(ctx context.Context, args ...string) *nodeBatch {
	var cmds [][]string
	for _, a := range args {
		cmds = append(cmds, []string{"ECHO", a})
	}
	b := batchOf(cmds...)
	b.exec.Ctx = ctx
	for _, a := range args {
		b.bytes += len("ECHO") + len(a)
	}
	return b
}

// received returns what the node read within a moment.
func received(got chan string) []string {
	var out []string
	for {
		select {
		case s := <-got:
			out = append(out, s)
		case <-time.After(100 * time.Millisecond):
			return out
		}
	}
}

// TestInFlightBoundHoldsBatches bounds a connection at 4 commands in
// flight: of three batches of 2, the third is written only once replies
// came, and every command still gets its own reply, in order.
func TestInFlightBoundHoldsBatches(t *testing.T) {
	addr, got, answer := gatedNode(t)
	p := newConnProbe()
	c := dialTest(t, addr, connOptions{inFlight: flowLimit{cmds: 4}}, p)
	batches := []*nodeBatch{
		echoBatch(t.Context(), "a1", "a2"),
		echoBatch(t.Context(), "b1", "b2"),
		echoBatch(t.Context(), "c1", "c2"),
	}
	for _, b := range batches {
		require.True(t, c.send(b))
	}
	assert.Equal(t, []string{"a1", "a2", "b1", "b2"}, received(got), "written beyond the bound")
	answer <- struct{}{}
	assert.Empty(t, received(got), "written before a whole batch was answered")
	answer <- struct{}{}
	assert.Equal(t, []string{"c1", "c2"}, received(got), "not written once there was room")
	for range 4 {
		answer <- struct{}{}
	}
	for _, b := range batches {
		done := <-p.done
		require.Same(t, b, done, "batches done out of order")
		for k, r := range done.exec.Results {
			assert.Equal(t, Result{Value: done.exec.Commands[k][1]}, r)
		}
	}
}

// TestInFlightBoundBytes bounds a connection by argument bytes: a batch
// larger than the bound goes alone, the next waits for it.
func TestInFlightBoundBytes(t *testing.T) {
	addr, got, answer := gatedNode(t)
	p := newConnProbe()
	c := dialTest(t, addr, connOptions{inFlight: flowLimit{bytes: 100}}, p)
	big := echoBatch(t.Context(), string(make([]byte, 200)))
	small := echoBatch(t.Context(), "s")
	require.True(t, c.send(big))
	require.True(t, c.send(small))
	assert.Len(t, received(got), 1, "the batch beyond the bound did not go alone")
	answer <- struct{}{}
	assert.Equal(t, []string{"s"}, received(got))
	answer <- struct{}{}
	assert.Same(t, big, <-p.done)
	assert.Same(t, small, <-p.done)
	assert.Equal(t, Result{Value: "s"}, small.exec.Results[0])
}

// TestAbandonedBatchIsNeverWritten hands over, behind a full bound, a batch
// whose caller's context ends: it is never written, and its commands say
// so (ErrNotSent, ErrCanceled, the context's error); the batches around it
// are answered.
func TestAbandonedBatchIsNeverWritten(t *testing.T) {
	addr, got, answer := gatedNode(t)
	p := newConnProbe()
	c := dialTest(t, addr, connOptions{inFlight: flowLimit{cmds: 1}}, p)
	ctx, cancel := context.WithCancel(t.Context())
	first, gone, last := echoBatch(t.Context(), "first"), echoBatch(ctx, "gone"), echoBatch(t.Context(), "last")
	for _, b := range []*nodeBatch{first, gone, last} {
		require.True(t, c.send(b))
	}
	assert.Equal(t, []string{"first"}, received(got))
	cancel()
	answer <- struct{}{}
	answer <- struct{}{}
	assert.Equal(t, []string{"last"}, received(got), "the abandoned batch was written")
	assert.Same(t, first, <-p.done)
	assert.Same(t, gone, <-p.done)
	assert.Same(t, last, <-p.done)
	assert.Equal(t, Result{Value: "first"}, first.exec.Results[0])
	assert.Equal(t, Result{Value: "last"}, last.exec.Results[0])
	err := gone.exec.Results[0].Err
	assert.ErrorIs(t, err, ErrNotSent)
	assert.ErrorIs(t, err, ErrCanceled)
	assert.ErrorIs(t, err, context.Canceled)
}

// TestAbandonedBatchesArePruned fills a connection that gets no reply with
// batches whose callers give up: the pending list is pruned as it grows,
// so it stays bounded by the calls still waiting.
func TestAbandonedBatchesArePruned(t *testing.T) {
	addr, _, _ := gatedNode(t)
	p := newConnProbe()
	p.done = make(chan *nodeBatch, 10000)
	c := dialTest(t, addr, connOptions{inFlight: flowLimit{cmds: 1}}, p)
	require.True(t, c.send(echoBatch(t.Context(), "stuck")))
	live := echoBatch(t.Context(), "live")
	require.True(t, c.send(live))
	gone, cancel := context.WithCancel(t.Context())
	cancel()
	for i := range 5000 {
		require.True(t, c.send(echoBatch(gone, strconv.Itoa(i))))
	}
	c.mu.Lock()
	pending := len(c.pending)
	c.mu.Unlock()
	assert.Less(t, pending, 2*minPrune+2, "abandoned batches piled up")
	assert.Greater(t, len(p.done), 5000-2*minPrune, "abandoned batches were not handed back")
	c.mu.Lock()
	defer c.mu.Unlock()
	assert.Contains(t, c.pending, live, "a live batch was dropped")
}

// TestCutBatch cuts a batch of 10 commands at 3 per part, with a
// transaction block of 4 commands that must stay whole, and a bound of
// bytes that one large command exceeds alone.
func TestCutBatch(t *testing.T) {
	var cmds [][]string
	for i := range 10 {
		cmds = append(cmds, []string{"SET", "k" + strconv.Itoa(i), "v"})
	}
	cmds[2], cmds[5] = []string{"MULTI"}, []string{"EXEC"}
	b := batchOf(cmds...)
	b.exec.tx = []txBlock{{start: 2, end: 5}}
	b.bytes = 10 * 6
	next := &nodeBatch{}
	b.next = next
	c := &coordinator{cfg: CoordinatorConfig{MaxBatchCommands: 3}}
	require.True(t, c.tooLarge(b))
	parts := c.cutBatch(b)
	var got [][]int
	for _, p := range parts {
		got = append(got, p.idx)
	}
	// 0 1 | 2 3 4 5 (MULTI ... EXEC, whole) | 6 7 8 | 9
	assert.Equal(t, [][]int{{0, 1}, {2, 3, 4, 5}, {6, 7, 8}, {9}}, got)
	assert.Nil(t, parts[0].next)
	assert.Same(t, next, parts[len(parts)-1].next)

	big := batchOf([]string{"SET", "a", "1"}, []string{"SET", "b", string(make([]byte, 100))}, []string{"SET", "c", "1"})
	big.bytes = largeBatch
	c = &coordinator{cfg: CoordinatorConfig{MaxBatchBytes: 50}}
	got = nil
	for _, p := range c.cutBatch(big) {
		got = append(got, p.idx)
		assert.Equal(t, bulkLane, laneOf(p), "a part of a bulk batch left its lane")
	}
	assert.Equal(t, [][]int{{0}, {1}, {2}}, got)
}
