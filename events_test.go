package redactor_test

import (
	"sync"

	"github.com/asynkron/protoactor-go/eventstream"

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/actors"
	"github.com/redactor-go/redactor/topology"
)

// eventCounter counts the client's events by kind.
type eventCounter struct {
	mu      sync.Mutex
	loads   int
	changes int
	asked   int
	moved   int
	downs   int
	sub     *eventstream.Subscription
	client  *redactor.Client
}

func countEvents(c *redactor.Client) *eventCounter {
	ec := &eventCounter{client: c}
	ec.sub = c.ActorSystem().EventStream.Subscribe(func(evt any) {
		ec.mu.Lock()
		defer ec.mu.Unlock()
		switch e := evt.(type) {
		case *topology.Loaded:
			ec.loads++
			if e.Changed {
				ec.changes++
			}
		case *topology.NodeDown:
			ec.downs++
		case *actors.Redirected:
			ec.moved += len(e.Moved)
			ec.asked += len(e.Asked)
		}
	})
	return ec
}

func (ec *eventCounter) snapshot() (loads, changes, moved, asked int) {
	ec.mu.Lock()
	defer ec.mu.Unlock()
	return ec.loads, ec.changes, ec.moved, ec.asked
}

func (ec *eventCounter) nodeDowns() int {
	ec.mu.Lock()
	defer ec.mu.Unlock()
	return ec.downs
}

func (ec *eventCounter) stop() { ec.client.ActorSystem().EventStream.Unsubscribe(ec.sub) }
