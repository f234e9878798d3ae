package proxy

import (
	"container/heap"
	"runtime"
	"sync"
	"time"
)

// spinMargin is how much of a wait is spent spinning rather than sleeping.
// Go timers on Linux fire up to about 1.2ms late (a 500us sleep takes about
// 1.1ms), so the pacer sleeps until spinMargin before a deadline and spins
// with runtime.Gosched for the rest, which is accurate to a few microseconds.
const spinMargin = 1250 * time.Microsecond

// pacer wakes the pipes' writers at their chunks' deadlines. One goroutine
// does the spinning for every waiting writer of every Proxy in the process:
// a spinning goroutine keeps its P busy, and if a spinner per link took all
// Ps, the runtime would poll the network only every 10ms (from sysmon), and
// every link would slow down.
type pacer struct {
	mu    sync.Mutex
	queue ticketHeap
	kick  chan struct{} // a new earliest deadline was queued
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

// run fires the tickets as they fall due until stop is closed: it sleeps on
// a timer until spinMargin before the earliest deadline, then spins.
func (pc *pacer) run() {
	defer close(pc.done)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		rem, any := pc.fireDue()
		if any && rem <= spinMargin {
			runtime.Gosched()
			select {
			case <-pc.stop:
				return
			default:
			}
			continue
		}
		if any {
			timer.Reset(rem - spinMargin)
		}
		select {
		case <-timer.C:
		case <-pc.kick:
			timer.Stop()
		case <-pc.stop:
			timer.Stop()
			return
		}
	}
}

// fireDue fires every due ticket and returns the time left until the next
// deadline, if any ticket is still queued.
func (pc *pacer) fireDue() (time.Duration, bool) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	now := time.Now()
	for len(pc.queue) > 0 && !pc.queue[0].due.After(now) {
		t := heap.Pop(&pc.queue).(*ticket)
		t.fired <- struct{}{} // buffered, and empty: its writer waits on it
	}
	if len(pc.queue) == 0 {
		return 0, false
	}
	return pc.queue[0].due.Sub(now), true
}

// ticketHeap is a min-heap of tickets by deadline, for container/heap.
type ticketHeap []*ticket

func (h ticketHeap) Len() int           { return len(h) }
func (h ticketHeap) Less(i, j int) bool { return h[i].due.Before(h[j].due) }

func (h ticketHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}

func (h *ticketHeap) Push(x any) {
	t := x.(*ticket)
	t.index = len(*h)
	*h = append(*h, t)
}

func (h *ticketHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	t.index = -1
	*h = old[:len(old)-1]
	return t
}
