package actors

import (
	"errors"

	"github.com/redactor-go/redactor/internal/wire"
)

// ErrCanceled marks a command that was not sent because its pipeline was
// canceled (its context ended, or the client closed) first. It comes with
// ErrNotSent.
var ErrCanceled = errors.New("redactor: canceled before it was sent")

// Cancel asks the coordinator to answer a running Exec at once, as far as
// its commands' outcomes are known, for a caller that stops waiting (its
// context ended, or the client closes). The coordinator sends Reply a copy
// of the Exec's Results, in which a command still waiting to be sent has
// ErrCanceled and ErrNotSent, one in a batch not yet complete has
// ErrUnknownOutcome (it may run), both wrapping Cause, and the others their
// outcome; or nil when the Exec was answered already (its Done, or its
// sender, has it). Replies that come later are not written into the copy.
// Reply must have room for one value.
type Cancel struct {
	// Exec is the pipeline to answer.
	Exec *Exec
	// Cause is why: the context's error, or the client's closing.
	Cause error
	// Reply receives the copy, or nil.
	Reply chan<- []Result
}

// errInFlight is why a command in a batch handed to its node has an
// unknown outcome when its pipeline is canceled.
var errInFlight = errors.New("canceled while in flight")

// Outcome states of a position while the Exec runs (see cancel).
const (
	positionFinal    = iota // its Result is its outcome
	positionInFlight        // in a batch handed to a node, not complete
	positionWaiting         // not sent (again) yet
)

// cancel answers msg: a copy of the Exec's results as far as known.
func (c *coordinator) cancel(msg *Cancel) {
	e := msg.Exec
	if e.answered {
		msg.Reply <- nil
		return
	}
	n := len(e.Commands)
	state := make([]uint8, n+len(e.parts))
	mark := func(idx []int, s uint8) {
		for _, i := range idx {
			state[i] = s
		}
	}
	// Connections drop the batches of an abandoned Exec that they have
	// not written; a batch still in a pending list is withdrawn now, so
	// that none of them is written after all.
	e.abandoned.Store(true)
	for _, b := range e.inflight {
		if b.withdraw() {
			mark(b.idx, positionWaiting)
		} else {
			mark(b.idx, positionInFlight)
		}
		for next := b.next; next != nil; next = next.next {
			mark(next.idx, positionWaiting)
		}
	}
	for _, b := range e.queue {
		mark(b.idx, positionWaiting)
	}
	mark(e.awaitingRoutes, positionWaiting)
	mark(e.backoff, positionWaiting)
	for _, idx := range e.byAddr {
		mark(idx, positionWaiting)
	}
	unsent := wire.Chain(ErrNotSent, ErrCanceled, msg.Cause)
	unknown := wire.Chain(ErrUnknownOutcome, errInFlight, msg.Cause)
	outcome := func(i int) Result {
		switch state[i] {
		case positionInFlight:
			return Result{Err: unknown}
		case positionWaiting:
			return Result{Err: unsent}
		}
		return *e.result(i)
	}
	out := make([]Result, n)
	for i := range out {
		out[i] = outcome(i)
	}
	for _, f := range e.fans {
		if f.n == 0 {
			out[f.cmd] = f.emptyResult
			continue
		}
		parts := make([]part, f.n)
		copy(parts, e.parts[f.first:f.first+f.n])
		for k := range parts {
			parts[k].result = outcome(n + f.first + k)
		}
		out[f.cmd] = mergeParts(e.Commands[f.cmd], parts, f.policy, f.keys)
	}
	msg.Reply <- out
	// Nothing more is sent for it; batches in flight complete unread, but
	// for those still waiting to be written, which are dropped.
	e.canceled = true
	e.abandoned.Store(true)
	e.queue, e.awaitingRoutes, e.backoff, e.byAddr = nil, nil, nil, nil
	if t := c.timers[e]; t != nil {
		t.Stop()
		delete(c.timers, e)
	}
	e.timerSet = false
}

// handedOver records b as handed to its node, until batchDone.
func (e *Exec) handedOver(b *nodeBatch) {
	if e.inflight == nil {
		e.inflight = e.inflightInline[:0]
	}
	e.inflight = append(e.inflight, b)
}

// completed forgets b, handed over before.
func (e *Exec) completed(b *nodeBatch) {
	for k, other := range e.inflight {
		if other == b {
			last := len(e.inflight) - 1
			e.inflight[k] = e.inflight[last]
			e.inflight[last] = nil
			e.inflight = e.inflight[:last]
			return
		}
	}
}
