package actors

import (
	"errors"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/redactor-go/redactor/resp"
	"github.com/redactor-go/redactor/topology"
)

// ErrTooManyRedirects wraps the last redirect of a command that was
// redirected more than MaxRedirects times.
var ErrTooManyRedirects = errors.New("redactor: too many redirects")

// Backoff between retries of commands whose node is unavailable.
const (
	minBackoff = 5 * time.Millisecond
	maxBackoff = 250 * time.Millisecond
)

// inspect looks at the outcome of each command of a finished batch and
// collects those the cluster proved did not run (or that are safe to run
// again) for re-sending: MOVED waits for patched Routes, ASK goes to the
// named node with ASKING, and unavailability is retried after a backoff.
func (c *coordinator) inspect(ctx actor.Context, e *Exec, b *nodeBatch) {
	var moves []topology.Move
	var movedSlots map[uint16]bool
	var askAddrs []string
	refresh := false
	for _, i := range b.idx {
		err := e.Results[i].Err
		if err == nil {
			continue
		}
		if re, ok := err.(*resp.Error); ok {
			if slot, addr, ok := re.IsMoved(); ok {
				if c.redirectAllowed(e, i, err) {
					e.awaitingRoutes = append(e.awaitingRoutes, i)
					if movedSlots == nil {
						movedSlots = map[uint16]bool{}
					}
					if !movedSlots[uint16(slot)] {
						movedSlots[uint16(slot)] = true
						moves = append(moves, topology.Move{Slot: uint16(slot), Addr: addr})
					}
				}
				continue
			}
			if _, addr, ok := re.IsAsk(); ok {
				if c.redirectAllowed(e, i, err) {
					if e.asks == nil {
						e.asks = map[string][]int{}
					}
					if len(e.asks[addr]) == 0 {
						askAddrs = append(askAddrs, addr)
					}
					e.asks[addr] = append(e.asks[addr], i)
				}
				continue
			}
			if re.IsTryAgain() || re.IsLoading() {
				c.retryLater(e, i)
			} else if re.IsClusterDown() || re.IsMasterDown() {
				refresh = c.retryLater(e, i) || refresh
			}
			continue
		}
		if errors.Is(err, ErrNotSent) ||
			errors.Is(err, ErrUnknownOutcome) && (c.cfg.RetryUnsafe || c.hasFlag(e.Commands[i], resp.FlagReadOnly)) {
			refresh = c.retryLater(e, i) || refresh
		}
	}
	if len(moves) > 0 || len(askAddrs) > 0 {
		ctx.ActorSystem().EventStream.Publish(&Redirected{Moved: moves, Asked: askAddrs})
	}
	if len(moves) > 0 {
		c.await(e)
		ctx.Request(c.cfg.Topology, &topology.Redirect{Moved: moves})
	}
	if len(askAddrs) > 0 {
		c.sendAsks(ctx, e)
		if len(e.asks) > 0 {
			e.asksAfter = c.routes.Version
			c.await(e)
			ctx.Request(c.cfg.Topology, &topology.Redirect{Addrs: askAddrs})
		}
	}
	if refresh {
		ctx.Send(c.cfg.Topology, &topology.Refresh{})
	}
	c.startTimer(ctx, e)
}

// redirectAllowed counts a redirect of command i and reports whether it may
// be followed; if not, the command gets ErrTooManyRedirects.
func (c *coordinator) redirectAllowed(e *Exec, i int, err error) bool {
	if e.attempts == nil {
		e.attempts = make([]uint8, len(e.Commands))
	}
	if int(e.attempts[i]) >= c.cfg.MaxRedirects {
		e.Results[i] = Result{Err: fmt.Errorf("%w (%d): %w", ErrTooManyRedirects, c.cfg.MaxRedirects, err)}
		return false
	}
	e.attempts[i]++
	return true
}

// retryLater queues command i for a retry after the backoff, unless its time
// is up; then it keeps its last error. It reports whether it was queued.
func (c *coordinator) retryLater(e *Exec, i int) bool {
	wait := min(max(2*e.backoffWait, minBackoff), maxBackoff)
	at := time.Now().Add(wait)
	if at.Sub(e.started) > c.cfg.RetryTimeout {
		return false
	}
	if deadline, ok := e.ctx().Deadline(); ok && at.After(deadline) {
		return false
	}
	e.backoff = append(e.backoff, i)
	return true
}

// startTimer schedules the retry of the Exec's backed-off commands.
func (c *coordinator) startTimer(ctx actor.Context, e *Exec) {
	if len(e.backoff) == 0 || e.timerSet {
		return
	}
	e.backoffWait = min(max(2*e.backoffWait, minBackoff), maxBackoff)
	e.timerSet = true
	root, self := ctx.ActorSystem().Root, ctx.Self()
	time.AfterFunc(e.backoffWait, func() { root.Send(self, &retryDue{exec: e}) })
}

// retryDue re-sends the backed-off commands, routed by the current Routes.
func (c *coordinator) retryDue(ctx actor.Context, e *Exec) {
	e.timerSet = false
	idx := e.backoff
	e.backoff = nil
	if e.ctx().Err() == nil {
		c.dispatch(ctx, e, c.group(ctx, e, idx))
	}
	c.checkDone(ctx, e)
}

// await puts e on the list of Execs to move on when Routes arrive.
func (c *coordinator) await(e *Exec) {
	for _, w := range c.waiting {
		if w == e {
			return
		}
	}
	c.waiting = append(c.waiting, e)
}

// resendWaiting re-sends, with the current Routes, what waiting Execs held
// back for them.
func (c *coordinator) resendWaiting(ctx actor.Context) {
	waiting := c.waiting
	c.waiting = nil
	for _, e := range waiting {
		idx := e.awaitingRoutes
		e.awaitingRoutes = nil
		if len(idx) > 0 {
			c.dispatch(ctx, e, c.group(ctx, e, idx))
		}
		c.sendAsks(ctx, e)
		if len(e.asks) > 0 {
			if c.routes.Version <= e.asksAfter {
				// These Routes predate the topology actor's answer.
				c.await(e)
				continue
			}
			// The topology actor answered without the node actors: give
			// up on those asks; the commands keep their ASK error.
			e.asks = nil
		}
		c.checkDone(ctx, e)
	}
}

// sendAsks sends each ASK-redirected command to its node with ASKING, for
// the nodes that have an actor; the others stay in e.asks.
func (c *coordinator) sendAsks(ctx actor.Context, e *Exec) {
	var batches []*nodeBatch
	for addr, idx := range e.asks {
		pid := c.routes.ByAddr[addr]
		if pid == nil {
			continue
		}
		b := &nodeBatch{exec: e, node: pid, addr: addr, version: c.routes.Version, idx: idx, coordinator: ctx.Self(), asking: true}
		for _, i := range idx {
			b.blocking = b.blocking || c.hasFlag(e.Commands[i], resp.FlagBlocking)
		}
		batches = append(batches, b)
		delete(e.asks, addr)
	}
	if len(batches) > 0 {
		c.dispatch(ctx, e, batches)
	}
}

// hasFlag reports whether the server's command table gives args's command
// flag (resp.FlagReadOnly: it may run twice without harm; resp.FlagBlocking:
// it may wait for data).
func (c *coordinator) hasFlag(args []string, flag resp.CommandFlags) bool {
	info, ok := c.routes.Commands.Lookup(args)
	return ok && info.Flags.Has(flag)
}
