package redactor_test

import (
	"sync"

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
	obs     *redactor.Observer
}

func countEvents(c *redactor.Client) *eventCounter {
	ec := &eventCounter{}
	ec.obs = redactor.Observe(c, func(evt redactor.Event) {
		ec.mu.Lock()
		defer ec.mu.Unlock()
		switch e := evt.Payload.(type) {
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

func (ec *eventCounter) stop() { ec.obs.Stop() }
