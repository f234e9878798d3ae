package actors

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/redactor-go/redactor/internal/wire"
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
	// retryMargin is the least time a retry leaves before the caller's
	// deadline, for its own outcome to come back.
	retryMargin = 20 * time.Millisecond
)

// redirects collects what one finished batch asks of the topology actor.
type redirects struct {
	// from is the address of the node that answered the batch: the host
	// of a redirect that names none (resp.SameHost).
	from       string
	moves      []topology.Move
	movedSlots map[uint16]bool
	askAddrs   []string // nodes ASK named, for the event
	needActors []string // nodes to send to that have no node actor yet
	refresh    bool
	unknown    int // commands left with an unknown outcome
}

func (r *redirects) moved(slot int, addr string) {
	if r.movedSlots == nil {
		r.movedSlots = map[uint16]bool{}
	}
	if !r.movedSlots[uint16(slot)] {
		r.movedSlots[uint16(slot)] = true
		r.moves = append(r.moves, topology.Move{Slot: uint16(slot), Addr: addr})
	}
}

// inspect looks at the outcome of each command of a finished batch and
// collects those the cluster proved did not run (or that are safe to run
// again) for re-sending: MOVED waits for patched Routes, ASK goes to the
// named node with ASKING, and unavailability is retried after a backoff. A
// MULTI block is looked at, and re-sent, as a whole.
func (c *coordinator) inspect(ctx actor.Context, e *Exec, b *nodeBatch) {
	if b.replica {
		c.inspectReplica(ctx, e, b)
		return
	}
	r := redirects{from: b.addr}
	for k := 0; k < len(b.idx); k++ {
		i := b.idx[k]
		if len(e.tx) > 0 {
			if blk, ok := e.txBlockAt(i); ok {
				c.inspectTx(e, blk, &r)
				for k+1 < len(b.idx) && b.idx[k+1] <= blk.end {
					k++
				}
				continue
			}
		}
		c.inspectOne(e, i, &r)
	}
	if len(r.moves) > 0 || len(r.askAddrs) > 0 {
		c.cfg.Publish.PublishOn(ctx)(&Redirected{Moved: r.moves, Asked: r.askAddrs})
	}
	if r.unknown > 0 {
		c.cfg.Publish.PublishOn(ctx)(&UnknownOutcome{Addr: b.addr, Commands: r.unknown})
	}
	if len(r.moves) > 0 {
		c.await(e)
		ctx.Request(c.cfg.Topology, &topology.Redirect{Moved: r.moves})
	}
	if len(e.byAddr) > 0 {
		c.sendByAddr(ctx, e)
		if len(e.byAddr) > 0 {
			e.byAddrAfter = c.routes.Version
			c.await(e)
			ctx.Request(c.cfg.Topology, &topology.Redirect{Addrs: r.needActors})
		}
	}
	if r.refresh {
		ctx.Send(c.cfg.Topology, &topology.Refresh{})
	}
	c.startTimer(ctx, e)
}

// inspectOne decides about command (or part) i.
func (c *coordinator) inspectOne(e *Exec, i int, r *redirects) {
	err := e.result(i).Err
	if err == nil {
		return
	}
	if re, ok := err.(*resp.Error); ok && e.Node == "" && e.keyed(i) {
		if slot, addr, ok := re.IsMoved(); ok {
			addr = resp.SameHost(addr, r.from)
			if c.redirectAllowed(e, i, err) {
				_, known := c.routes.Commands.Lookup(e.command(i))
				if known || c.routes.Map.Master(uint16(slot)) != addr {
					r.moved(slot, addr)
				}
				if known {
					e.awaitingRoutes = append(e.awaitingRoutes, i)
					e.markResent(i)
				} else {
					// Its keys are unknown, so the map cannot route it:
					// send it where MOVED says.
					c.redirectTo(e, addrKey{addr: addr}, r, i)
				}
			}
			return
		}
		if _, addr, ok := re.IsAsk(); ok {
			addr = resp.SameHost(addr, r.from)
			if c.redirectAllowed(e, i, err) {
				c.redirectTo(e, addrKey{addr: addr, asking: true}, r, i)
			}
			return
		}
	}
	if re, ok := err.(*resp.Error); ok {
		if re.IsTryAgain() || re.IsLoading() {
			c.retryLater(e, i)
		} else if re.IsClusterDown() || re.IsMasterDown() || re.IsUnblockedByDemotion() {
			// A demoted master unblocked the command without running it:
			// the refreshed map sends it to the new master (or, until then,
			// the demoted node's MOVED does).
			r.refresh = c.retryLater(e, i) || r.refresh
		}
		return
	}
	unknown := errors.Is(err, ErrUnknownOutcome)
	// A command whose connection broke on a malformed reply is not
	// re-sent: the node may well answer it the same way again, and break
	// the connection other commands share each time.
	resend := unknown && !errors.Is(err, resp.ErrProtocol) &&
		(c.cfg.RetryUnsafe || c.hasFlag(e.command(i), resp.FlagReadOnly))
	if retryableNotSent(err) || resend {
		r.refresh = c.retryLater(e, i) || r.refresh
		return
	}
	if unknown {
		r.unknown++
	}
}

// retryableNotSent reports whether err is of a command that never reached
// its node for a reason that may pass: not a refused authentication or a
// certificate that does not verify, which would only fail again until
// RetryTimeout.
func retryableNotSent(err error) bool {
	return errors.Is(err, ErrNotSent) && !errors.Is(err, wire.ErrAuth) && !errors.Is(err, wire.ErrTLS)
}

// redirectTo queues positions to send to the node at key.addr.
func (c *coordinator) redirectTo(e *Exec, key addrKey, r *redirects, positions ...int) {
	if key.asking && !slices.Contains(r.askAddrs, key.addr) {
		r.askAddrs = append(r.askAddrs, key.addr)
	}
	if c.routes.ByAddr[key.addr] == nil && !slices.Contains(r.needActors, key.addr) {
		r.needActors = append(r.needActors, key.addr)
	}
	for _, i := range positions {
		e.sendTo(key, i)
		e.markResent(i)
	}
}

// inspectTx decides about a MULTI block as a whole: a block the cluster
// refused (a redirect or a retryable error at queue time, so EXEC aborted
// it) or that was never sent is re-sent whole; one that ran, or may have,
// keeps its results.
func (c *coordinator) inspectTx(e *Exec, blk txBlock, r *redirects) {
	positions := make([]int, 0, blk.end-blk.start+1)
	for i := blk.start; i <= blk.end; i++ {
		positions = append(positions, i)
	}
	multiErr := e.Results[blk.start].Err
	if multiErr != nil {
		if retryableNotSent(multiErr) {
			c.retryAll(e, positions, r)
		}
		return
	}
	execErr, aborted := e.Results[blk.end].Err.(*resp.Error)
	if !aborted {
		return // it ran (or its outcome is unknown): its results stand
	}
	retry := execErr.IsUnavailable()
	for i := blk.start + 1; i < blk.end; i++ {
		re, ok := e.Results[i].Err.(*resp.Error)
		if !ok {
			continue
		}
		if e.Node == "" {
			if slot, addr, ok := re.IsMoved(); ok {
				addr = resp.SameHost(addr, r.from)
				if c.redirectAllowed(e, blk.start, re) {
					r.moved(slot, addr)
					e.awaitingRoutes = append(e.awaitingRoutes, positions...)
					e.markResent(positions...)
				}
				return
			}
			if _, addr, ok := re.IsAsk(); ok {
				addr = resp.SameHost(addr, r.from)
				if c.redirectAllowed(e, blk.start, re) {
					c.redirectTo(e, addrKey{addr: addr, asking: true}, r, positions...)
				}
				return
			}
		}
		retry = retry || re.IsUnavailable()
	}
	if retry {
		c.retryAll(e, positions, r)
	}
}

// retryAll queues positions for a retry after the backoff, all or none.
func (c *coordinator) retryAll(e *Exec, positions []int, r *redirects) {
	if c.retryLater(e, positions[0]) {
		e.backoff = append(e.backoff, positions[1:]...)
		e.markResent(positions[1:]...)
		r.refresh = true
	}
}

// redirectAllowed counts a redirect of command (or split part) i and
// reports whether it may be followed; if not, it gets ErrTooManyRedirects.
func (c *coordinator) redirectAllowed(e *Exec, i int, err error) bool {
	if e.attempts == nil {
		e.attempts = make([]uint8, len(e.Commands)+len(e.parts))
	}
	if int(e.attempts[i]) >= c.cfg.MaxRedirects {
		*e.result(i) = Result{Err: fmt.Errorf("%w (%d): %w", ErrTooManyRedirects, c.cfg.MaxRedirects, err)}
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
	// A retry must also leave itself time to end before the caller's
	// deadline, so that the caller gets each command's outcome rather
	// than only the deadline's error.
	if deadline, ok := e.ctx().Deadline(); ok && at.Add(max(wait, retryMargin)).After(deadline) {
		return false
	}
	e.backoff = append(e.backoff, i)
	e.markResent(i)
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
	timer := time.AfterFunc(e.backoffWait, func() { root.Send(self, &retryDue{exec: e}) })
	if c.timers == nil {
		c.timers = map[*Exec]*time.Timer{}
	}
	c.timers[e] = timer
}

// retryDue re-sends the backed-off commands, routed by the current Routes.
func (c *coordinator) retryDue(ctx actor.Context, e *Exec) {
	delete(c.timers, e)
	e.timerSet = false
	idx := e.backoff
	e.backoff = nil
	if e.ctx().Err() == nil {
		c.route(ctx, e, sortedPositions(idx))
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
			c.dispatch(ctx, e, c.group(ctx, e, sortedPositions(idx)))
		}
		c.sendByAddr(ctx, e)
		if len(e.byAddr) > 0 {
			if c.routes.Version <= e.byAddrAfter {
				// These Routes predate the topology actor's answer.
				c.await(e)
				continue
			}
			// The topology actor answered without the node actors: give
			// up on those; the commands keep their redirect error.
			e.byAddr = nil
		}
		c.checkDone(ctx, e)
	}
}

// sendTo queues position i for the node at key.addr.
func (e *Exec) sendTo(key addrKey, i int) {
	if e.byAddr == nil {
		e.byAddr = map[addrKey][]int{}
	}
	e.byAddr[key] = append(e.byAddr[key], i)
}

// sendByAddr sends the commands queued for a named node (ASK with ASKING,
// parts of fanned-out commands, commands MOVED named the node of) to the
// nodes that have an actor; the others stay in e.byAddr.
func (c *coordinator) sendByAddr(ctx actor.Context, e *Exec) {
	if len(e.byAddr) == 0 {
		return
	}
	var batches []*nodeBatch
	for key, idx := range e.byAddr {
		pid := c.routes.ByAddr[key.addr]
		if pid == nil {
			continue
		}
		delete(e.byAddr, key)
		g := newChains(ctx, e, c.routes)
		for _, i := range sortedPositions(idx) {
			if info, ok := c.routes.Commands.Lookup(e.command(i)); ok && info.Blocks(e.command(i)) && !e.insideTx(i) {
				g.addDedicated(pid, key.addr, i, info.BlockTimeout(e.command(i)))
			} else {
				g.add(pid, key.addr, i)
			}
		}
		for b := g.byNode[pid].head; b != nil; b = b.next {
			b.asking = key.asking
		}
		batches = append(batches, g.batches(e.Mode)...)
	}
	c.dispatch(ctx, e, batches)
}

// hasFlag reports whether the server's command table gives args's command
// flag (resp.FlagReadOnly: it may run twice without harm).
func (c *coordinator) hasFlag(args []string, flag resp.CommandFlags) bool {
	info, ok := c.routes.Commands.Lookup(args)
	return ok && info.Flags.Has(flag)
}
