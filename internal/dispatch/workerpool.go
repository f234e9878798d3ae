// Package dispatch holds the protoactor-go Dispatcher the client runs its
// actors on.
package dispatch

import (
	"sync"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
)

// WorkerPool is a protoactor-go Dispatcher that runs mailboxes on goroutines
// it keeps, instead of a new goroutine for every mailbox run (the default).
// A fresh goroutine starts with a small stack and grows it again on every
// run of a deep handler (a node actor's write, the coordinator's routing);
// a kept one has grown it once. When no kept goroutine is idle, Schedule
// starts a new one, so a busy or blocked actor never delays another.
type WorkerPool struct {
	throughput int
	maxIdle    int32
	work       chan func()
	idle       atomic.Int32
	closed     chan struct{}
	closeOnce  sync.Once
}

var _ actor.Dispatcher = (*WorkerPool)(nil)

// NewWorkerPool returns a pool that lets a mailbox process up to throughput
// messages before yielding, and keeps up to maxIdle idle goroutines.
func NewWorkerPool(throughput, maxIdle int) *WorkerPool {
	return &WorkerPool{
		throughput: throughput,
		maxIdle:    int32(maxIdle),
		work:       make(chan func()),
		closed:     make(chan struct{}),
	}
}

// Schedule runs fn on an idle kept goroutine, or on a new one.
func (p *WorkerPool) Schedule(fn func()) {
	select {
	case p.work <- fn:
	default:
		go p.run(fn)
	}
}

// Throughput returns how many messages a mailbox processes before yielding.
func (p *WorkerPool) Throughput() int { return p.throughput }

// run runs fn, then waits for more work while the pool keeps it.
func (p *WorkerPool) run(fn func()) {
	for {
		fn()
		if p.idle.Add(1) > p.maxIdle {
			p.idle.Add(-1)
			return
		}
		select {
		case fn = <-p.work:
			p.idle.Add(-1)
		case <-p.closed:
			p.idle.Add(-1)
			return
		}
	}
}

// Close lets the kept goroutines end once idle. Work scheduled afterwards
// still runs, each on a goroutine of its own.
func (p *WorkerPool) Close() {
	p.closeOnce.Do(func() { close(p.closed) })
}
