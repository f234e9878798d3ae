package redactor

import (
	"sync"
	"sync/atomic"
	"time"
)

// Event is one thing that happened to a client, as observers (Observe,
// Config.OnEvent) and the actor system's EventStream receive it. Payload is
// one of:
//
//   - *topology.Loaded: a load of the cluster layout (the first one during
//     New), with Changed when the slot map changed, or Err;
//   - *topology.NodeUp, *topology.NodeDown: a node's connection opened, or
//     failed (Err);
//   - *actors.Redirected: a batch came back with MOVED or ASK;
//   - *actors.UnknownOutcome: commands were left with ErrUnknownOutcome;
//   - *actors.PushSkipped: a RESP3 push frame was skipped (Protocol 3);
//   - *SubscriptionGap: a subscription was subscribed again after a gap.
type Event struct {
	// Client is the client it happened to: clients that share an actor
	// system share its EventStream.
	Client *Client
	// Time is when it was published.
	Time time.Time
	// Payload is what happened.
	Payload any
}

// SubscriptionGap is the payload of the event published when channels of a
// subscription were subscribed again after a gap, as its KindReconnected
// message tells its consumer.
type SubscriptionGap struct {
	// Channels are the channels (or patterns) subscribed again.
	Channels []string
	// Reason is why their subscription was interrupted.
	Reason error
}

// eventBufferSize is how many events wait for the bus, and for each
// observer, before newer ones are dropped and counted.
const eventBufferSize = 1024

// eventBus delivers a client's events to its observers and to the actor
// system's EventStream, on a goroutine of its own, so that publishing never
// blocks the actor that publishes: an event that finds the bus full is
// dropped and counted.
type eventBus struct {
	client *Client
	// inMu guards in against a publish after close.
	inMu    sync.RWMutex
	inShut  bool
	in      chan Event
	dropped atomic.Uint64
	done    chan struct{}

	mu        sync.Mutex
	observers map[*Observer]struct{}
	closed    bool
}

func newEventBus(c *Client) *eventBus {
	b := &eventBus{client: c, in: make(chan Event, eventBufferSize), done: make(chan struct{}),
		observers: map[*Observer]struct{}{}}
	go b.run()
	return b
}

// publish hands ev to the bus without blocking.
func (b *eventBus) publish(ev any) {
	b.inMu.RLock()
	defer b.inMu.RUnlock()
	if b.inShut {
		return
	}
	select {
	case b.in <- Event{Client: b.client, Time: time.Now(), Payload: ev}:
	default:
		b.dropped.Add(1)
	}
}

// run delivers the events in order until close.
func (b *eventBus) run() {
	defer close(b.done)
	for ev := range b.in {
		b.mu.Lock()
		for o := range b.observers {
			o.offer(ev)
		}
		b.mu.Unlock()
		b.client.system.EventStream.Publish(&ev)
	}
}

// close delivers what was published to the observers' queues and the
// EventStream, then stops the bus and every observer (without waiting for
// a call of theirs that runs). Nothing may publish after it.
func (b *eventBus) close() {
	b.inMu.Lock()
	if b.inShut {
		b.inMu.Unlock()
		return
	}
	b.inShut = true
	close(b.in)
	b.inMu.Unlock()
	<-b.done
	b.mu.Lock()
	b.closed = true
	observers := b.observers
	b.observers = nil
	b.mu.Unlock()
	for o := range observers {
		o.stop()
	}
}

// add registers o, or reports false when the bus is closed.
func (b *eventBus) add(o *Observer) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return false
	}
	b.observers[o] = struct{}{}
	return true
}

func (b *eventBus) remove(o *Observer) {
	b.mu.Lock()
	delete(b.observers, o)
	b.mu.Unlock()
}

// DroppedEvents returns how many events the client dropped before any
// observer saw them, because they came faster than its event goroutine
// delivered them (a slow EventStream subscriber holds it up).
func (c *Client) DroppedEvents() uint64 { return c.events.dropped.Load() }

// Observer is a function that Observe calls with a client's events.
type Observer struct {
	bus     *eventBus
	accepts func(Event) bool
	fn      func(Event)
	queue   chan Event
	dropped atomic.Uint64
	quit    chan struct{}
	done    chan struct{}
	once    sync.Once
}

// Observe calls fn with each event of c whose Payload is an E (such as
// *topology.NodeDown), or with every Event when E is Event, in the order
// they happened, on a goroutine of the observer's own. A slow fn never
// holds up the client or other observers: events that find the
// observer's buffer (1024) full are dropped and counted by Dropped. fn may
// call the client (Do, Exec), since nothing waits for it. Stop the
// observer with Stop; Close stops them all. To see the events of New
// itself (the first topology.Loaded), use Config.OnEvent.
func Observe[E any](c *Client, fn func(E)) *Observer {
	o := newObserver(c.events, func(ev Event) bool {
		if _, ok := any(ev).(E); ok {
			return true
		}
		_, ok := ev.Payload.(E)
		return ok
	}, func(ev Event) {
		if e, ok := any(ev).(E); ok {
			fn(e)
			return
		}
		fn(ev.Payload.(E))
	})
	return o
}

func newObserver(b *eventBus, accepts func(Event) bool, fn func(Event)) *Observer {
	o := &Observer{bus: b, accepts: accepts, fn: fn, queue: make(chan Event, eventBufferSize),
		quit: make(chan struct{}), done: make(chan struct{})}
	if !b.add(o) {
		close(o.done)
		o.once.Do(func() {})
		return o
	}
	go o.run()
	return o
}

// offer queues ev for the observer without blocking.
func (o *Observer) offer(ev Event) {
	if !o.accepts(ev) {
		return
	}
	select {
	case o.queue <- ev:
	default:
		o.dropped.Add(1)
	}
}

func (o *Observer) run() {
	defer close(o.done)
	for {
		select {
		case <-o.quit:
			return
		default:
		}
		select {
		case ev := <-o.queue:
			o.fn(ev)
		case <-o.quit:
			return
		}
	}
}

// Done returns a channel closed once the observer has stopped and its last
// call of fn has returned.
func (o *Observer) Done() <-chan struct{} { return o.done }

// Dropped returns how many events the observer lost because its buffer
// was full.
func (o *Observer) Dropped() uint64 { return o.dropped.Load() }

// Stop ends the observer: once it returns, fn is not called again, though
// a call already running goes on; events still queued are dropped. Stop
// may be called from fn, and more than once.
func (o *Observer) Stop() {
	o.bus.remove(o)
	o.stop()
}

func (o *Observer) stop() {
	o.once.Do(func() { close(o.quit) })
}
