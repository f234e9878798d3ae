package actors

import (
	"context"
	"errors"
	"time"

	"github.com/redactor-go/redactor/resp"
)

// BatchInfo is a read-only view of one node batch once every command of it
// has an outcome: replied, redirected, failed or cancelled. A BatchObserver
// gets it.
type BatchInfo struct {
	// Addr is the node's address.
	Addr string
	// Commands is how many commands the batch held.
	Commands int
	// Written is how many of them left for the node: all but NotSent.
	Written int
	// Replied is how many the node answered: OK, ErrorReplies, Moved and
	// Asked.
	Replied int
	// OK is how many got a value.
	OK int
	// ErrorReplies is how many got an error reply other than a redirect
	// (WRONGTYPE, NOPERM, LOADING, ...).
	ErrorReplies int
	// Moved and Asked are how many got a MOVED or an ASK redirect.
	Moved, Asked int
	// Unknown is how many got ErrUnknownOutcome: written, and the
	// connection broke before their replies.
	Unknown int
	// NotSent is how many provably never reached the node (ErrNotSent).
	NotSent int
	// Canceled is how many got the pipeline's context error instead of
	// being sent.
	Canceled int
	// Failed is how many got another error of the client's.
	Failed int
	// Retried is how many of them this pipeline had sent, or tried to,
	// before: sent again after a redirect (MOVED, ASK), a failure
	// (TRYAGAIN, a broken connection, an unreachable node), or a read a
	// replica could not serve.
	Retried int
	// Replica tells the batch held reads sent to a replica
	// (Config.ReadFrom); Dedicated, a command that may block, on a
	// connection of its own.
	Replica, Dedicated bool
	// Duration is from the batch's hand-off to the node to its last
	// outcome.
	Duration time.Duration
}

// BatchObserver is called with each node batch that completes, on the
// goroutine that completed it: a connection's reader, a node actor, a
// dedicated connection's goroutine. It must be quick and must not block.
type BatchObserver func(BatchInfo)

// ExecInfo is a read-only view of a pipeline the coordinator answered.
type ExecInfo struct {
	// Commands is how many commands the pipeline held.
	Commands int
	// Args are the pipeline's commands, each name first, as the sender
	// queued them (with MULTI and EXEC around a Pipeline's WithTx
	// commands). They are the sender's memory: read them during the
	// call only, and never change them.
	Args [][]string
	// Mode is the pipeline's mode.
	Mode Mode
	// Failed is how many commands ended with an error (an error reply or
	// one of the client's).
	Failed int
	// FirstErr is the error of the first command, in queue order, that
	// ended with one; nil when none did.
	FirstErr error
	// Err is the pipeline's own error, if any.
	Err error
	// Duration is from the coordinator taking the pipeline to answering it.
	Duration time.Duration
}

// ExecObserver is called with each pipeline the coordinator answers, on the
// coordinator's goroutine: it must be quick and must not block.
type ExecObserver func(ExecInfo)

// observeBatch tells the batch's observer, if any, that b is complete.
func (b *nodeBatch) observe() {
	e := b.exec
	if e.onBatch == nil {
		return
	}
	info := BatchInfo{Addr: b.addr, Commands: len(b.idx), Retried: b.retried, Replica: b.replica,
		Dedicated: b.dedicated, Duration: time.Since(b.sentAt)}
	for _, i := range b.idx {
		err := e.result(i).Err
		if err == nil {
			info.OK++
			continue
		}
		var re *resp.Error
		switch {
		case errors.As(err, &re):
			if _, _, moved := re.IsMoved(); moved {
				info.Moved++
			} else if _, _, ask := re.IsAsk(); ask {
				info.Asked++
			} else {
				info.ErrorReplies++
			}
		case errors.Is(err, ErrUnknownOutcome):
			info.Unknown++
		case errors.Is(err, ErrNotSent):
			info.NotSent++
		case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
			info.Canceled++
		default:
			info.Failed++
		}
	}
	info.Replied = info.OK + info.ErrorReplies + info.Moved + info.Asked
	info.Written = info.Commands - info.NotSent - info.Canceled
	e.onBatch(info)
}

// observeExec tells the coordinator's ExecObserver, if any, that e is
// answered.
func (c *coordinator) observeExec(e *Exec) {
	if c.cfg.OnExec == nil {
		return
	}
	info := ExecInfo{Commands: len(e.Commands), Args: e.Commands, Mode: e.Mode, Err: e.Err,
		Duration: time.Since(e.started)}
	for i := range e.Results {
		if err := e.Results[i].Err; err != nil {
			if info.Failed == 0 {
				info.FirstErr = err
			}
			info.Failed++
		}
	}
	c.cfg.OnExec(info)
}

// markResent records that the commands (or parts) at positions go to a
// node again, for BatchInfo.Retried; only with a BatchObserver.
func (e *Exec) markResent(positions ...int) {
	if e.onBatch == nil {
		return
	}
	for _, i := range positions {
		if w := i / 64; w >= len(e.resent) {
			e.resent = append(e.resent, make([]uint64, w+1-len(e.resent))...)
		}
		e.resent[i/64] |= 1 << (i % 64)
	}
}

// countResent returns how many of positions were marked by markResent. It
// runs on the coordinator, which alone writes e.resent.
func (e *Exec) countResent(positions []int) int {
	if e.resent == nil {
		return 0
	}
	n := 0
	for _, i := range positions {
		if w := i / 64; w < len(e.resent) && e.resent[w]&(1<<(i%64)) != 0 {
			n++
		}
	}
	return n
}
