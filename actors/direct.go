package actors

import (
	"iter"
	"sync"
	"sync/atomic"
	"time"

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

// nodeHandle is what a node actor shares: its open connections, by lane,
// and, for replica reads, what its probe and failed reads tell about it.
type nodeHandle struct {
	// addr is the node's address, set by its node actor; nil until then.
	addr  atomic.Pointer[string]
	lanes [laneCount]atomic.Pointer[pipeConn]
	// rtt is the node's latency in nanoseconds as its probe measured it;
	// 0 while unknown.
	rtt atomic.Int64
	// pausedUntil is when the node may get replica reads again (Unix
	// nanoseconds) after it failed one or its probe failed.
	pausedUntil atomic.Int64
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

// OpenConns yields, for each node whose actor runs, its address and how
// many of its pipelined connections are open: 0 to 3 (the shared one,
// the one for large batches, the READONLY one for replica reads).
// Connections of their own (blocking commands, Watch, subscriptions) are
// not counted. It is for metrics: safe to call at any time, from any
// goroutine, and it takes each connection's lock for a moment.
func (r *Registry) OpenConns() iter.Seq2[string, int] {
	return func(yield func(string, int) bool) {
		r.handles.Range(func(_, v any) bool {
			h := v.(*nodeHandle)
			addr := h.addr.Load()
			if addr == nil {
				return true
			}
			open := 0
			for lane := range h.lanes {
				if c := h.lanes[lane].Load(); c != nil && c.open() {
					open++
				}
			}
			return yield(*addr, open)
		})
	}
}

// forget drops the handle of a stopped node actor.
func (r *Registry) forget(id string) { r.handles.Delete(id) }

// deliver sends b to its node: straight to the node's open connection when
// it can, else to the node actor. A batch beyond the coordinator's
// MaxBatchCommands or MaxBatchBytes goes as consecutive parts (cutBatch).
func (c *coordinator) deliver(ctx actor.Context, b *nodeBatch) {
	if !c.tooLarge(b) {
		c.handOver(b)
		if !c.sendDirect(b, nil) {
			ctx.Send(b.node, b)
		}
		return
	}
	// The parts take one way, all of them, in order: straight to the
	// open connection, or through the node actor's mailbox. Split
	// between the two, a later part could be written before an earlier
	// one still in the mailbox, while the actor dials.
	parts := c.cutBatch(b)
	b.exec.pending += len(parts) - 1
	for _, p := range parts {
		c.handOver(p)
	}
	if !c.sendDirect(parts[0], parts) {
		ctx.Send(b.node, &nodeBatches{batches: parts})
	}
}

// handOver records b as handed to its node.
func (c *coordinator) handOver(b *nodeBatch) {
	b.exec.handedOver(b)
	if b.exec.onBatch != nil {
		b.sentAt = time.Now()
		b.retried = b.exec.countResent(b.idx)
	}
}

// sendDirect hands b, or the consecutive batches all (of b's node and
// lane) when not nil, to the node's open connection, and reports whether
// it could.
func (c *coordinator) sendDirect(b *nodeBatch, all []*nodeBatch) bool {
	if c.cfg.Registry == nil || b.dedicated || b.exec.ctx().Err() != nil {
		return false
	}
	conn := c.handleOf(b.node).lanes[laneOf(b)].Load()
	if conn == nil {
		return false
	}
	if all != nil {
		return conn.send(all...)
	}
	return conn.send(b)
}

// handleOf returns the handle of the node actor pid, cached; nil without a
// Registry.
func (c *coordinator) handleOf(pid *actor.PID) *nodeHandle {
	if c.cfg.Registry == nil {
		return nil
	}
	h := c.handles[pid]
	if h == nil {
		h = c.cfg.Registry.handle(pid.Id)
		if c.handles == nil {
			c.handles = map[*actor.PID]*nodeHandle{}
		}
		c.handles[pid] = h
	}
	return h
}
