package actors

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/redactor-go/redactor/internal/wire"
)

// Flow control: a pipelined connection bounds the commands and argument
// bytes it has written without having read their replies (NodeConfig's
// MaxInFlight and MaxInFlightBytes). A batch beyond the bound waits in the
// connection's pending list, in order, until replies come; nothing else
// queues behind a stalled node, since each connection has its own list. A
// batch whose caller gave up while it waited is dropped unwritten, so that
// callers that time out against a stalled node and try again do not grow
// that list without end: what waits is bounded by the calls still waiting.
// The coordinator cuts a batch larger than a quarter of the bound into
// consecutive ones (see cutBatch), so a huge pipeline streams through the
// bound with several parts in flight at once.

// minPrune is the length of a connection's pending list below which send
// never looks for abandoned batches.
const minPrune = 64

// errAbandoned is why a batch whose pipeline was canceled (Cancel) without
// its context ending was dropped unwritten.
var errAbandoned = errors.New("its caller stopped waiting")

// The states of nodeBatch.queue. A batch is batchQueued from the moment a
// connection's pending list holds it until the writer takes it; only then
// may a cancel withdraw it, and a withdrawn batch is never taken. A batch
// taken once stays batchTaken, even when handed to another connection, so
// a cancel never calls it unsent.
const (
	batchNotQueued int32 = iota
	batchQueued
	batchTaken
	batchWithdrawn
)

// queued marks b as waiting in a pending list, and reports false when a
// cancel withdrew it already: it must be dropped, never written.
func (b *nodeBatch) queued() bool {
	if atomic.CompareAndSwapInt32(&b.queue, batchNotQueued, batchQueued) {
		return true
	}
	return atomic.LoadInt32(&b.queue) != batchWithdrawn
}

// claim marks b as taken by the writer, and reports false when a cancel
// withdrew it first: it must be dropped, never written.
func (b *nodeBatch) claim() bool {
	if atomic.CompareAndSwapInt32(&b.queue, batchQueued, batchTaken) {
		return true
	}
	return atomic.LoadInt32(&b.queue) != batchWithdrawn
}

// withdraw reports whether b was still waiting in a pending list, and
// if so makes sure no writer ever takes it: its commands are not sent.
// A batch that is not queued (on its way to a connection, taken, on a
// dedicated connection) may have been written, and stays as it is.
func (b *nodeBatch) withdraw() bool {
	return atomic.CompareAndSwapInt32(&b.queue, batchQueued, batchWithdrawn) ||
		atomic.LoadInt32(&b.queue) == batchWithdrawn
}

// fits reports whether b may be written now: it fits the bound, or
// nothing is in flight (a batch larger than the bound goes alone).
// Called with c.mu held.
func (c *pipeConn) fits(b *nodeBatch) bool {
	if c.inCmds == 0 && c.inBytes == 0 {
		return true
	}
	l := c.opts.inFlight
	return (l.cmds <= 0 || c.inCmds+len(b.idx) <= l.cmds) &&
		(l.bytes <= 0 || c.inBytes+int64(b.bytes) <= l.bytes)
}

// admit takes from the pending list the batches the bound lets the writer
// write now, counting them in flight, and returns them, in spare's memory
// when some must stay; and the batches it dropped because their callers
// gave up, to fail outside the lock (none is ever written). Called with
// c.mu held.
func (c *pipeConn) admit(spare []*nodeBatch) (batches, dropped []*nodeBatch) {
	k := 0
	for ; k < len(c.pending); k++ {
		b := c.pending[k]
		if b.abandoned() || !c.fits(b) || !b.claim() {
			break
		}
		c.take(b)
	}
	if k == len(c.pending) {
		// All of it: swap the lists, so that the owner appends to one
		// while the writer works through the other.
		c.starved = false
		batches, c.pending = c.pending, spare[:0]
		return batches, nil
	}
	batches = append(spare[:0], c.pending[:k]...)
	for ; k < len(c.pending); k++ {
		b := c.pending[k]
		if b.abandoned() {
			dropped = append(dropped, b)
			continue
		}
		if !c.fits(b) {
			break
		}
		if !b.claim() {
			dropped = append(dropped, b)
			continue
		}
		c.take(b)
		batches = append(batches, b)
	}
	n := copy(c.pending, c.pending[k:])
	clear(c.pending[n:])
	c.pending = c.pending[:n]
	c.starved = n > 0
	if c.starved && n >= max(c.pruneAt, minPrune) {
		dropped = append(dropped, c.prune()...)
	}
	return batches, dropped
}

// take counts b in flight. Called with c.mu held.
func (c *pipeConn) take(b *nodeBatch) {
	c.inCmds += len(b.idx)
	c.inBytes += int64(b.bytes)
}

// release counts b, answered or failed, out of what is in flight, and
// wakes the writer when batches wait for room. Called with c.mu held.
func (c *pipeConn) release(b *nodeBatch) {
	c.inCmds -= len(b.idx)
	c.inBytes -= int64(b.bytes)
	if c.starved {
		c.starved = false
		wake(c.writerWake)
	}
}

// prune removes from the pending list the batches whose callers gave up,
// and returns them. It runs when the list has doubled since the last
// prune, so its cost per batch handed over stays constant. Called with
// c.mu held.
func (c *pipeConn) prune() []*nodeBatch {
	var dropped []*nodeBatch
	kept := c.pending[:0]
	for _, b := range c.pending {
		if b.abandoned() {
			dropped = append(dropped, b)
		} else {
			kept = append(kept, b)
		}
	}
	clear(c.pending[len(kept):])
	c.pending = kept
	c.pruneAt = 2 * len(kept)
	return dropped
}

// dropAbandoned fails batches that were never written because their
// callers gave up, and hands them on.
func (c *pipeConn) dropAbandoned(batches []*nodeBatch) {
	for _, b := range batches {
		b.failUnanswered(canceledErr(b.exec.ctx()))
		c.hooks.done(b)
	}
}

// canceledErr is the error of a command never sent because its caller
// gave up: ErrNotSent and ErrCanceled, wrapping ctx's cause.
func canceledErr(ctx context.Context) error {
	cause := context.Cause(ctx)
	if cause == nil {
		cause = errAbandoned
	}
	return wire.Chain(ErrNotSent, ErrCanceled, cause)
}

// abandoned reports whether b's caller gave up: its context ended, or its
// pipeline was canceled.
func (b *nodeBatch) abandoned() bool {
	return b.exec.abandoned.Load() || b.exec.ctx().Err() != nil
}

// tooLarge reports whether b goes as several batches (cutBatch).
func (c *coordinator) tooLarge(b *nodeBatch) bool {
	if b.dedicated {
		return false
	}
	return (c.cfg.MaxBatchCommands > 0 && len(b.idx) > c.cfg.MaxBatchCommands) ||
		(c.cfg.MaxBatchBytes > 0 && int64(b.bytes) > c.cfg.MaxBatchBytes)
}

// cutBatch cuts b into consecutive batches of at most MaxBatchCommands
// commands and MaxBatchBytes argument bytes (a command larger than that
// alone), never inside a transaction block, which goes whole. The last
// part carries b's next batch.
func (c *coordinator) cutBatch(b *nodeBatch) []*nodeBatch {
	e := b.exec
	maxCmds, maxBytes := c.cfg.MaxBatchCommands, c.cfg.MaxBatchBytes
	var parts []*nodeBatch
	bulk := laneOf(b) == bulkLane
	start, bytes := 0, int64(0)
	cut := func(end int) {
		p := *b
		p.idx = b.idx[start:end:end]
		p.bytes = int(bytes)
		p.next = nil
		p.bulk = bulk
		p.done = batchDone{}
		parts = append(parts, &p)
		start, bytes = end, 0
	}
	for k, i := range b.idx {
		size := int64(argBytes(e.command(i)))
		n := 1 // the commands that must go in the same part
		if block, ok := e.txBlockAt(i); ok {
			n = block.end - block.start + 1
		}
		full := (maxCmds > 0 && k-start+n > maxCmds) || (maxBytes > 0 && bytes+size > maxBytes)
		if k > start && full && !e.insideTx(i) {
			cut(k)
		}
		bytes += size
	}
	cut(len(b.idx))
	parts[len(parts)-1].next = b.next
	return parts
}
