package proxy

import (
	"container/heap"
	"runtime"
	"sync"
	"time"
)

const (
	// coarseMargin is how long before a deadline the pacer stops sleeping on
	// a Go timer. Go timers fire up to about 1.2ms late on Linux (the runtime
	// waits in epoll with millisecond timeouts: a 500us sleep takes about
	// 1.1ms), so the last stretch is waited out finely.
	coarseMargin = 1250 * time.Microsecond
	// fineSlice caps each fine sleep, so that a ticket queued meanwhile with
	// an earlier deadline is seen at most this late.
	fineSlice = 100 * time.Microsecond
	// spinTail is how long before a deadline the fine sleeps stop and the
	// pacer spins with runtime.Gosched. It covers the fine sleep's overshoot,
	// measured at 35us median and 70us at the 99th percentile on a VM.
	spinTail = 75 * time.Microsecond
)

// pacer wakes the pipes' writers at their chunks' deadlines, accurately to
// some microseconds. One goroutine waits for the writers of every Proxy in
// the process: it sleeps on a Go timer until coarseMargin before the
// earliest deadline, then in fine sleeps (see fineSleep) until spinTail
// before it, then spins.
//
// A wait per writer, each spinning through the last millisecond, would not
// scale: spinners with runtime.Gosched keep every P busy, the runtime then
// polls the network only every 10ms (from sysmon), and with a dozen links
// on a small machine the delay grows by milliseconds.
type pacer struct {
	mu    sync.Mutex
	queue ticketHeap
	kick  chan struct{} // a ticket with a new earliest deadline was queued
	stop  chan struct{}
	done  chan struct{}
}

// ticket is one writer's pending wait; a writer reuses its ticket.
type ticket struct {
	due   time.Time
	index int           // position in the queue, -1 when not queued
	fired chan struct{} // receives once the ticket is due
}

// newTicket returns a ticket that is not queued.
func newTicket() *ticket {
	return &ticket{index: -1, fired: make(chan struct{}, 1)}
}

var (
	sharedMu    sync.Mutex
	sharedRefs  int
	sharedPacer *pacer
)

// acquirePacer returns the process's pacer, starting it for the first user.
func acquirePacer() *pacer {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if sharedRefs == 0 {
		sharedPacer = &pacer{
			kick: make(chan struct{}, 1),
			stop: make(chan struct{}),
			done: make(chan struct{}),
		}
		go sharedPacer.run()
	}
	sharedRefs++
	return sharedPacer
}

// releasePacer drops a reference taken by acquirePacer; the last one stops
// the pacer and waits for its goroutine to return.
func releasePacer() {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	sharedRefs--
	if sharedRefs == 0 {
		close(sharedPacer.stop)
		<-sharedPacer.done
		sharedPacer = nil
	}
}

// wait blocks until time.Now() >= due, or returns false early when done is
// closed. t must not be in use by another wait.
func (pc *pacer) wait(t *ticket, due time.Time, done <-chan struct{}) bool {
	if !time.Now().Before(due) {
		return true
	}
	t.due = due
	pc.mu.Lock()
	heap.Push(&pc.queue, t)
	first := t.index == 0
	pc.mu.Unlock()
	if first {
		select {
		case pc.kick <- struct{}{}:
		default:
		}
	}
	select {
	case <-t.fired:
		return true
	case <-done:
		pc.mu.Lock()
		if t.index >= 0 {
			heap.Remove(&pc.queue, t.index)
		}
		pc.mu.Unlock()
		select { // drop a fire that raced with done
		case <-t.fired:
		default:
		}
		return false
	}
}

// run fires the tickets as they fall due until stop is closed.
func (pc *pacer) run() {
	defer close(pc.done)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		rem, queued, fired := pc.fireDue()
		switch {
		case fired:
			// The woken writers were readied on this P: let them write now.
			runtime.Gosched()
		case queued && rem <= coarseMargin:
			if rem <= spinTail || !fineSleep(min(rem-spinTail, fineSlice)) {
				runtime.Gosched()
			}
		default:
			if queued {
				timer.Reset(rem - coarseMargin)
			}
			select {
			case <-timer.C:
			case <-pc.kick:
				timer.Stop()
			case <-pc.stop:
				timer.Stop()
				return
			}
			continue
		}
		select {
		case <-pc.stop:
			return
		default:
		}
	}
}

// fireDue fires every due ticket. It returns the time left until the next
// deadline, whether any ticket is still queued and whether any was fired.
func (pc *pacer) fireDue() (rem time.Duration, queued, fired bool) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	now := time.Now()
	for len(pc.queue) > 0 && !pc.queue[0].due.After(now) {
		t := heap.Pop(&pc.queue).(*ticket)
		t.fired <- struct{}{} // buffered and empty: its writer waits on it
		fired = true
	}
	if len(pc.queue) == 0 {
		return 0, false, fired
	}
	return pc.queue[0].due.Sub(now), true, fired
}
