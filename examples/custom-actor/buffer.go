package main

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/redactor-go/redactor/actors"
)

// write is what a goroutine sends the buffer: one SET.
type write struct {
	key, value string
}

// flushDue is sent to the buffer by its timer; gen tells a timer that
// fired after a flush by size from the current one.
type flushDue struct {
	gen int
}

// drain asks the buffer to flush what it holds and, once every pipeline it
// sent is back, to send its report to done.
type drain struct {
	done chan<- report
}

// report is what the buffer did.
type report struct {
	pipelines            int // pipelines sent and back
	full, timed, drained int // pipelines by what flushed them
	writes, ok, errors   int // writes sent, and their outcomes
	verified             int // values read back with GET (set by run)
}

// writeBuffer gathers writes and sends them to the client's coordinator as
// pipelines: when it holds flushEvery of them, or flushInterval after the
// first one it holds. It never waits: a pipeline comes back as a message,
// so writes keep arriving while pipelines are out, and several may be out
// at once.
type writeBuffer struct {
	coordinator   *actor.PID
	flushEvery    int
	flushInterval time.Duration

	held     [][]string  // the writes not sent yet, as SET commands
	timer    *time.Timer // armed while writes are held
	gen      int         // counts flushes, to ignore a stale timer
	inFlight int         // pipelines sent and not back
	rep      report
	drains   []chan<- report
}

// Receive is the actor's one switch over its messages.
func (b *writeBuffer) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *write:
		b.hold(ctx, msg)
	case *flushDue:
		if msg.gen == b.gen {
			b.flush(ctx, &b.rep.timed)
		}
	case *actors.Exec:
		b.done(msg)
		b.answerDrains()
	case *drain:
		b.drains = append(b.drains, msg.done)
		b.flush(ctx, &b.rep.drained)
		b.answerDrains()
	case *actor.Stopping:
		if b.timer != nil {
			b.timer.Stop()
		}
	}
}

// hold adds a write, flushing when the buffer is full, and arms the timer
// for the first one.
func (b *writeBuffer) hold(ctx actor.Context, w *write) {
	b.held = append(b.held, []string{"SET", w.key, w.value})
	if len(b.held) >= b.flushEvery {
		b.flush(ctx, &b.rep.full)
		return
	}
	if len(b.held) == 1 {
		root, self, gen := ctx.ActorSystem().Root, ctx.Self(), b.gen
		b.timer = time.AfterFunc(b.flushInterval, func() { root.Send(self, &flushDue{gen: gen}) })
	}
}

// flush sends what the buffer holds as one pipeline, counting it in
// reason. The Exec comes back to this actor (ctx.Request sets it as the
// sender) with its Results filled in; until then neither it nor its
// Commands may change, so the buffer starts a new slice.
func (b *writeBuffer) flush(ctx actor.Context, reason *int) {
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
	b.gen++
	if len(b.held) == 0 {
		return
	}
	ctx.Request(b.coordinator, &actors.Exec{Commands: b.held, Mode: actors.Parallel})
	*reason++
	b.rep.writes += len(b.held)
	b.held = make([][]string, 0, b.flushEvery)
	b.inFlight++
}

// done counts the outcomes of a pipeline that came back.
func (b *writeBuffer) done(e *actors.Exec) {
	b.inFlight--
	b.rep.pipelines++
	for _, r := range e.Results {
		if e.Err != nil || r.Err != nil {
			b.rep.errors++
		} else {
			b.rep.ok++
		}
	}
}

// answerDrains sends the report to those waiting for a drain, once nothing
// is held or out.
func (b *writeBuffer) answerDrains() {
	if len(b.drains) == 0 || b.inFlight > 0 || len(b.held) > 0 {
		return
	}
	for _, done := range b.drains {
		done <- b.rep
	}
	b.drains = nil
}
