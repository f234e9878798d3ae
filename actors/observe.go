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
	// Retried is how many were sent again after a redirect or a failure.
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
	// Mode is the pipeline's mode.
	Mode Mode
	// Failed is how many commands ended with an error (an error reply or
	// one of the client's).
	Failed int
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
	info := BatchInfo{Addr: b.addr, Commands: len(b.idx), Replica: b.replica, Dedicated: b.dedicated,
		Duration: time.Since(b.sentAt)}
	for _, i := range b.idx {
		if e.attempts != nil && i < len(e.attempts) && e.attempts[i] > 0 {
			info.Retried++
		}
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
	info := ExecInfo{Commands: len(e.Commands), Mode: e.Mode, Err: e.Err, Duration: time.Since(e.started)}
	for i := range e.Results {
		if e.Results[i].Err != nil {
			info.Failed++
		}
	}
	c.cfg.OnExec(info)
}
