package actors

import (
	"sync"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
)

// Registry lets coordinators hand batches straight to the open connection
// of a node actor: the common path skips the actor's mailbox. The node
// actor still owns its connection: it dials, fails and replaces it, and a
// batch the connection refuses goes through the actor's mailbox as before.
// A client's node actors and coordinators share one Registry.
type Registry struct {
	handles sync.Map // node actor PID Id -> *nodeHandle
}

// NewRegistry returns an empty Registry.
func NewRegistry() *Registry { return &Registry{} }

// nodeHandle is what a node actor shares: its open connections, by lane.
type nodeHandle struct {
	lanes [laneCount]atomic.Pointer[pipeConn]
}

// handle returns the handle of the node actor id, made on first use; it
// stays the same across restarts of the actor.
func (r *Registry) handle(id string) *nodeHandle {
	if h, ok := r.handles.Load(id); ok {
		return h.(*nodeHandle)
	}
	h, _ := r.handles.LoadOrStore(id, &nodeHandle{})
	return h.(*nodeHandle)
}

// forget drops the handle of a stopped node actor.
func (r *Registry) forget(id string) { r.handles.Delete(id) }

// deliver sends b to its node: straight to the node's open connection when
// it can, else to the node actor.
func (c *coordinator) deliver(ctx actor.Context, b *nodeBatch) {
	if c.cfg.Registry != nil && !b.dedicated {
		h := c.handles[b.node]
		if h == nil {
			h = c.cfg.Registry.handle(b.node.Id)
			if c.handles == nil {
				c.handles = map[*actor.PID]*nodeHandle{}
			}
			c.handles[b.node] = h
		}
		if conn := h.lanes[laneOf(b)].Load(); conn != nil && b.exec.ctx().Err() == nil && conn.send(b) {
			return
		}
	}
	ctx.Send(b.node, b)
}
