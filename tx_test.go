package redactor_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/internal/localcluster"
	"github.com/redactor-go/redactor/topology"
)

// TestWithTxIsAtomic runs transactions of two INCRs of one counter from
// many goroutines at once: inside each, the two results are consecutive,
// which interleaving would break.
func TestWithTxIsAtomic(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{})
	k := "{" + t.Name() + "}:counter"
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 30 {
				p := c.Pipeline(redactor.WithTx())
				p.Do("INCR", k)
				p.Do("INCR", k)
				p.Do("GET", k)
				results, err := p.Exec(ctx)
				if err != nil {
					errs <- err
					return
				}
				a, b := results[0].Value.(int64), results[1].Value.(int64)
				if b != a+1 || results[2].Value != fmt.Sprint(b) {
					errs <- fmt.Errorf("not atomic: %v", results)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	assert.Equal(t, redactor.Result{Value: "600"}, c.Do(ctx, "GET", k))
}

// TestWithTxResults unpacks EXEC's reply into each command's place, with a
// run-time error on its own command.
func TestWithTxResults(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{})
	k := "{" + t.Name() + "}"
	p := c.Pipeline(redactor.WithTx())
	p.Do("SET", k+"s", "v")
	p.Do("GET", k+"s")
	p.Do("LPUSH", k+"s", "x") // WRONGTYPE at EXEC: no rollback, its own error
	p.Do("RPUSH", k+"l", "a", "b")
	p.Do("LRANGE", k+"l", "0", "-1")
	results, err := p.Exec(ctx)
	require.NoError(t, err)
	require.Len(t, results, 5)
	assert.Equal(t, redactor.Result{Value: "OK"}, results[0])
	assert.Equal(t, redactor.Result{Value: "v"}, results[1])
	var re *redactor.RedisError
	require.ErrorAs(t, results[2].Err, &re)
	assert.Equal(t, "WRONGTYPE", re.Prefix())
	assert.Equal(t, redactor.Result{Value: int64(2)}, results[3])
	assert.Equal(t, redactor.Result{Value: []any{"a", "b"}}, results[4])
}

// TestWithTxQueueErrorAbortsAll queues a command the server refuses when
// queued: it gets its own error, the others EXECABORT, and nothing runs.
func TestWithTxQueueErrorAbortsAll(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{})
	k := "{" + t.Name() + "}"
	p := c.Pipeline(redactor.WithTx())
	p.Do("SET", k+"a", "1")
	p.Do("SET", k+"b") // wrong number of arguments: refused when queued
	p.Do("SET", k+"c", "3")
	results, err := p.Exec(ctx)
	require.NoError(t, err)
	var re *redactor.RedisError
	require.ErrorAs(t, results[1].Err, &re)
	assert.Contains(t, re.Error(), "wrong number of arguments")
	for _, i := range []int{0, 2} {
		require.ErrorAs(t, results[i].Err, &re)
		assert.Equal(t, "EXECABORT", re.Prefix())
	}
	assert.Equal(t, redactor.Result{Value: int64(0)}, c.Do(ctx, "EXISTS", k+"a"), "nothing ran")
}

// TestWithTxCrossSlotFailsBeforeIO refuses a transaction whose keys span
// slots, before anything is sent.
func TestWithTxCrossSlotFailsBeforeIO(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{})
	p := c.Pipeline(redactor.WithTx())
	p.Do("SET", t.Name()+":a", "1")
	p.Do("SET", t.Name()+":b", "2")
	require.NotEqual(t, topology.Slot(t.Name()+":a"), topology.Slot(t.Name()+":b"))
	results, err := p.Exec(ctx)
	assert.ErrorIs(t, err, redactor.ErrCrossSlot)
	assert.Nil(t, results)
	assert.Equal(t, redactor.Result{Value: int64(0)}, c.Do(ctx, "EXISTS", t.Name()+":a"), "nothing ran")

	p = c.Pipeline(redactor.WithTx())
	p.Do("MULTI")
	_, err = p.Exec(ctx)
	assert.ErrorIs(t, err, redactor.ErrNotPipelinable)
}

// TestRawMultiBlockInPipeline queues MULTI ... EXEC among commands of other
// masters: the block keeps what it means on a single Redis (OK, QUEUED per
// command, the EXEC array), and the others their results.
func TestRawMultiBlockInPipeline(t *testing.T) {
	for _, parallel := range []bool{true, false} {
		t.Run(fmt.Sprint("parallel=", parallel), func(t *testing.T) {
			ctx := testContext(t)
			c := newClient(t, redactor.Config{})
			k := "{" + t.Name() + "}"
			keys := keysFor(t, 6)
			p := c.Pipeline(redactor.WithParallel(parallel))
			for _, other := range keys[:3] {
				p.Do("SET", other, "x")
			}
			p.Do("MULTI")
			p.Do("SET", k+"n", "1")
			p.Do("INCR", k+"n")
			p.Do("EXEC")
			for _, other := range keys[3:] {
				p.Do("SET", other, "y")
			}
			p.Do("MULTI")
			p.Do("INCR", k+"n")
			p.Do("DISCARD")
			p.Do("GET", k+"n")
			results, err := p.Exec(ctx)
			require.NoError(t, err)
			want := []redactor.Result{
				{Value: "OK"}, {Value: "OK"}, {Value: "OK"},
				{Value: "OK"}, {Value: "QUEUED"}, {Value: "QUEUED"}, {Value: []any{"OK", int64(2)}},
				{Value: "OK"}, {Value: "OK"}, {Value: "OK"},
				{Value: "OK"}, {Value: "QUEUED"}, {Value: "OK"},
				{Value: "2"},
			}
			assert.Equal(t, want, results)
		})
	}
}

// TestRawMultiBlockCrossSlot refuses a block whose keys span slots, before
// I/O, and runs the rest of the pipeline.
func TestRawMultiBlockCrossSlot(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{})
	p := c.Pipeline()
	p.Do("MULTI")
	p.Do("SET", t.Name()+":a", "1")
	p.Do("SET", t.Name()+":b", "2")
	p.Do("EXEC")
	p.Do("PING")
	results, err := p.Exec(ctx)
	require.NoError(t, err)
	for _, r := range results[:4] {
		assert.ErrorIs(t, r.Err, redactor.ErrCrossSlot)
	}
	assert.Equal(t, redactor.Result{Value: "PONG"}, results[4])
	assert.Equal(t, redactor.Result{Value: int64(0)}, c.Do(ctx, "EXISTS", t.Name()+":a"))
}

// TestTxFollowsMovedAndAskAsAWhole moves a transaction's slot behind the
// client's back (MOVED), then runs one during a migration (ASK): the block
// is re-sent whole, to the right master, and runs exactly once.
func TestTxFollowsMovedAndAskAsAWhole(t *testing.T) {
	lc, c := clusterAndClient(t, localcluster.Config{Masters: 3}, redactor.Config{})
	ctx := testContext(t)
	from, to := lc.Addrs()[0], lc.Addrs()[1]
	owned, err := lc.SlotsOf(ctx, from)
	require.NoError(t, err)

	// MOVED: the whole slot moved; the client's map still says "from".
	tag := "{" + keysInSlots("moved", owned[:1], 1)[0] + "}"
	require.NoError(t, lc.MoveSlots(ctx, owned[:1], from, to))
	p := c.Pipeline(redactor.WithTx())
	p.Do("INCR", tag+"n")
	p.Do("INCR", tag+"n")
	results, err := p.Exec(ctx)
	require.NoError(t, err)
	assert.Equal(t, []redactor.Result{{Value: int64(1)}, {Value: int64(2)}}, results, "ran once, on the new master")
	owner, err := lc.SlotOwner(ctx, int(topology.Slot(tag)))
	require.NoError(t, err)
	assert.Equal(t, to, owner)

	// ASK: the slot is migrating and the key is not on the source yet.
	slot := owned[1]
	askTag := "{" + keysInSlots("ask", []int{slot}, 1)[0] + "}"
	require.NoError(t, lc.BeginMigration(ctx, slot, from, to))
	p = c.Pipeline(redactor.WithTx())
	p.Do("SET", askTag+"a", "1")
	p.Do("GET", askTag+"a")
	results, err = p.Exec(ctx)
	require.NoError(t, err)
	assert.Equal(t, []redactor.Result{{Value: "OK"}, {Value: "1"}}, results)
	require.NoError(t, lc.FinishMigration(ctx, slot, from, to))
	assert.Equal(t, redactor.Result{Value: "1"}, c.Do(ctx, "GET", askTag+"a"))
}

// TestWatchAbortedByConcurrentWrite changes a watched key between the
// read and EXEC: Exec returns ErrTxAborted and nothing queued ran; a retry
// commits.
func TestWatchAbortedByConcurrentWrite(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{})
	k := "{" + t.Name() + "}"
	require.NoError(t, c.Do(ctx, "SET", k+"balance", "100").Err)

	attempts := 0
	transfer := func(tx *redactor.Tx) error {
		attempts++
		r := tx.Do(ctx, "GET", k+"balance")
		if r.Err != nil {
			return r.Err
		}
		if attempts == 1 {
			// Another client writes the watched key meanwhile.
			require.NoError(t, c.Do(ctx, "SET", k+"balance", "50").Err)
		}
		var balance int
		fmt.Sscan(r.Value.(string), &balance)
		tx.Queue("SET", k+"balance", fmt.Sprint(balance-10))
		tx.Queue("INCRBY", k+"log", "1")
		_, err := tx.Exec(ctx)
		return err
	}
	err := c.Watch(ctx, transfer, k+"balance")
	require.ErrorIs(t, err, redactor.ErrTxAborted)
	assert.Equal(t, redactor.Result{Value: "50"}, c.Do(ctx, "GET", k+"balance"), "the aborted transaction wrote nothing")
	assert.Equal(t, redactor.Result{Value: nil}, c.Do(ctx, "GET", k+"log"))

	require.NoError(t, c.Watch(ctx, transfer, k+"balance"))
	assert.Equal(t, redactor.Result{Value: "40"}, c.Do(ctx, "GET", k+"balance"))
	assert.Equal(t, redactor.Result{Value: "1"}, c.Do(ctx, "GET", k+"log"))

	// A later Watch on the same (pooled) connection carries no old watch:
	// a write before it started does not abort it.
	require.NoError(t, c.Do(ctx, "SET", k+"balance", "70").Err)
	require.NoError(t, c.Watch(ctx, func(tx *redactor.Tx) error {
		tx.Queue("SET", k+"balance", "71")
		_, err := tx.Exec(ctx)
		return err
	}, k+"balance"))
	assert.Equal(t, redactor.Result{Value: "71"}, c.Do(ctx, "GET", k+"balance"))
}

// TestWatchRefusesOtherSlots refuses keys of other slots, in the watch and
// inside the transaction.
func TestWatchRefusesOtherSlots(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{})
	err := c.Watch(ctx, func(*redactor.Tx) error { return nil }, t.Name()+":a", t.Name()+":b")
	assert.ErrorIs(t, err, redactor.ErrCrossSlot)

	k := "{" + t.Name() + "}"
	sentinel := errors.New("done")
	err = c.Watch(ctx, func(tx *redactor.Tx) error {
		assert.ErrorIs(t, tx.Do(ctx, "GET", t.Name()+":other").Err, redactor.ErrCrossSlot)
		assert.ErrorIs(t, tx.Do(ctx, "SUBSCRIBE", "ch").Err, redactor.ErrNotPipelinable)
		assert.Equal(t, redactor.Result{Value: nil}, tx.Do(ctx, "GET", k+"x"))
		tx.Queue("SET", t.Name()+":elsewhere", "1")
		_, err := tx.Exec(ctx)
		assert.ErrorIs(t, err, redactor.ErrCrossSlot)
		return sentinel
	}, k+"x")
	assert.ErrorIs(t, err, sentinel, "Watch returns fn's error")
}

// TestWatchExecStalledIsUnknownOutcome stops the master while a Watch
// transaction's EXEC waits for its reply, until the Exec's context ends:
// the transaction was written and runs when the master resumes, so Exec's
// error must say ErrUnknownOutcome (a caller that took it for a failure
// and ran the transaction again would apply it twice). The same for a
// write run with Tx.Do.
func TestWatchExecStalledIsUnknownOutcome(t *testing.T) {
	lc := localcluster.StartT(t, localcluster.Config{Masters: 3})
	ctx := testContext(t)
	c, err := redactor.New(ctx, redactor.Config{Addrs: lc.Addrs()})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	tag := tagsOfMasters(t, lc)[lc.Addrs()[0]]
	balance := tag + ":balance"
	require.NoError(t, c.Do(ctx, "SET", balance, "10").Err)

	for _, step := range []string{"Exec", "Do"} {
		t.Run(step, func(t *testing.T) {
			var txErr error
			err := c.Watch(ctx, func(tx *redactor.Tx) error {
				n, err := tx.Do(ctx, "GET", balance).Int64()
				require.NoError(t, err)
				require.NoError(t, lc.Pause(lc.Addrs()[0]))
				short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
				defer cancel()
				if step == "Do" {
					txErr = tx.Do(short, "INCR", balance).Err
				} else {
					tx.Queue("SET", balance, strconv.FormatInt(n+1, 10))
					_, txErr = tx.Exec(short)
				}
				return txErr
			}, balance)
			require.NoError(t, lc.Resume(lc.Addrs()[0]))
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.ErrorIs(t, txErr, redactor.ErrUnknownOutcome, "the %s was written: %v", step, txErr)
		})
	}
	// Both writes ran once the master resumed.
	assert.Equal(t, "12", c.Do(ctx, "GET", balance).Value)
}
