package actors

import (
	"errors"
	"slices"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/redactor-go/redactor/resp"
	"github.com/redactor-go/redactor/topology"
)

// Replica reads (CoordinatorConfig.ReadFrom other than ReadPrimary). The
// coordinator lays a pipeline's batches out by master as always (group);
// then toReplicas moves the reads that may run on a replica out of each
// master's batch into one batch for the node readNode picks for that shard,
// flagged replica: the node actor writes it on a connection that sent
// READONLY (readLane), and the coordinator inspects its outcome apart
// (inspectReplica), sending what the replica could not serve to the master.
// A single command (Client.Do) is retargeted in place (readOne).

// group builds the batches of the commands idx of e (all of them when idx
// is nil): one per master (groupByMaster), and, for replica reads, one
// per replica read from (toReplicas). toReplicas is called out here, not
// inside groupByMaster, whose slice of batches Go then builds on the stack
// and moves to the heap once as it returns: passing it to a call inside
// cost every pipeline two more allocations, with ReadPrimary too.
func (c *coordinator) group(ctx actor.Context, e *Exec, idx []int) []*nodeBatch {
	batches := c.groupByMaster(ctx, e, idx)
	if c.cfg.ReadFrom != ReadPrimary {
		batches = c.toReplicas(e, batches)
	}
	return batches
}

// readPlan says which commands of an Exec may run on a replica. The
// coordinator makes it on the Exec's first routing, from every command of
// the Exec, and keeps it for the re-sends, so a read re-sent alone still
// knows what the rest of the pipeline wrote.
type readPlan struct {
	// slot holds, per command, the slot of its keys when it may run on a
	// replica, else -1; nil until the plan is made.
	slot []int16
	// count is how many commands may.
	count int
}

// replicaReadable reports whether a command may run on a replica: read-only
// by the server's flags (readonly, not write), with keys, and plain (not
// blocking, not fanned out, not a transaction's).
func replicaReadable(info *resp.CommandInfo, slot int) bool {
	return info != nil && slot >= 0 && readOnly(info) && !special(info)
}

// readOnly reports whether the command only reads.
func readOnly(info *resp.CommandInfo) bool {
	return info.Flags&(resp.FlagReadOnly|resp.FlagWrite) == resp.FlagReadOnly
}

// keylessWrite reports whether a command without keys may write keys
// anyway: a write, or a script (EVAL, FCALL with no keys declared).
func keylessWrite(info *resp.CommandInfo) bool {
	return info.Flags.Has(resp.FlagWrite) || info.Flags.Has(resp.FlagMayReplicate|resp.FlagNoMandatoryKeys)
}

// planReads makes e's readPlan, unless made. A read may run on a replica
// unless the pipeline writes its slot, before or after it (read your
// writes: the written slots are a small set of the pipeline's own, see
// writtenSlots). A pipeline with a write whose keys the client cannot tell
// (a command the table does not know, a keyless script, keys across slots)
// or with a command that needs the general path (a transaction, a blocking
// or fanned-out command) runs wholly on masters, and an Exec with Node on
// that node. So the batches of the general path never reach toReplicas
// with a read to move.
func (c *coordinator) planReads(e *Exec) *readPlan {
	p := &e.reads
	if p.slot != nil {
		return p
	}
	p.slot = make([]int16, len(e.Commands))
	if e.Node != "" {
		// Everything runs on the named node.
		for i := range p.slot {
			p.slot[i] = -1
		}
		return p
	}
	written := &c.written
	written.reset()
	for i, args := range e.Commands {
		p.slot[i] = -1
		loc, keys, err := locate(c.routes, args, c.keys[:0])
		c.keys = keys
		info := loc.info
		switch {
		case info == nil:
			if !errors.Is(err, ErrEmptyCommand) {
				written.all = true
			}
		case special(info):
			written.all = true
		case errors.Is(err, ErrCrossSlot):
			written.all = written.all || !readOnly(info)
		case loc.slot < 0:
			written.all = written.all || keylessWrite(info)
		case readOnly(info):
			p.slot[i] = int16(loc.slot)
		default:
			written.add(uint16(loc.slot))
		}
	}
	for i, s := range p.slot {
		switch {
		case s < 0:
		case written.all || written.has(uint16(s)):
			p.slot[i] = -1
		default:
			p.count++
		}
	}
	return p
}

// pinToMaster sends commands idx of e to their masters from now on.
func (c *coordinator) pinToMaster(e *Exec, idx []int) {
	p := c.planReads(e)
	for _, i := range idx {
		if i < len(p.slot) && p.slot[i] >= 0 {
			p.slot[i] = -1
			p.count--
		}
	}
}

// readOne retargets b, the batch of an Exec's only command (Client.Do), to
// the node readNode picks when the command may run on a replica.
func (c *coordinator) readOne(e *Exec, b *nodeBatch, shard int) {
	loc, keys, err := locate(c.routes, e.Commands[0], c.keys[:0])
	c.keys = keys
	if err != nil || !replicaReadable(loc.info, loc.slot) {
		return
	}
	if pid, addr, ok := c.readNode(shard); ok {
		b.node, b.addr, b.replica = pid, addr, true
	}
}

// toReplicas moves, out of each master's batch, the reads that may run on a
// replica into a batch for the node readNode picks for that master's shard:
// one pick per shard and pipeline, so a pipeline costs one more batch per
// shard at most. In Serial mode the batches stay in the order of their
// first commands.
func (c *coordinator) toReplicas(e *Exec, batches []*nodeBatch) []*nodeBatch {
	p := c.planReads(e)
	if p.count == 0 {
		return batches
	}
	var (
		out  []*nodeBatch
		slab []int // the replica batches' positions
	)
	for k, b := range batches {
		rb := c.splitReads(e, b, &slab)
		switch {
		case rb == nil:
			if out != nil {
				out = append(out, b)
			}
			continue
		case out == nil:
			out = append(make([]*nodeBatch, 0, len(batches)+4), batches[:k]...)
		}
		if len(b.idx) > 0 {
			out = append(out, b)
		}
		out = append(out, rb)
	}
	if out == nil {
		return batches
	}
	if e.Mode == Serial {
		slices.SortFunc(out, func(a, b *nodeBatch) int { return a.idx[0] - b.idx[0] })
	}
	return out
}

// splitReads moves the reads of b that may run on a replica into a new
// batch for the node readNode picks, its positions carved out of *slab,
// and returns it; nil when b keeps them (none, or the pick is the master).
func (c *coordinator) splitReads(e *Exec, b *nodeBatch, slab *[]int) *nodeBatch {
	plan := e.reads.slot
	first, count := -1, 0
	for k, i := range b.idx {
		if i < len(plan) && plan[i] >= 0 {
			if first < 0 {
				first = k
			}
			count++
		}
	}
	if count == 0 {
		return nil
	}
	shard, ok := c.routes.Map.ShardIndex(uint16(plan[b.idx[first]]))
	if !ok {
		return nil
	}
	pid, addr, ok := c.readNode(shard)
	if !ok {
		return nil
	}
	if cap(*slab)-len(*slab) < count {
		*slab = make([]int, 0, max(count, e.reads.count))
	}
	off := len(*slab)
	*slab = (*slab)[:off+count]
	rb := &nodeBatch{exec: e, node: pid, addr: addr, version: b.version, coordinator: b.coordinator,
		replica: true, idx: (*slab)[off : off : off+count]}
	// Filter b.idx in place: b keeps its other commands, in order.
	kept := b.idx[:first]
	for _, i := range b.idx[first:] {
		if i < len(plan) && plan[i] >= 0 {
			rb.idx = append(rb.idx, i)
			rb.bytes += argBytes(e.Commands[i])
		} else {
			kept = append(kept, i)
		}
	}
	b.idx = kept
	b.bytes -= rb.bytes
	return rb
}

// writtenSlots is the set of slots a pipeline writes: up to 8 kept in
// place (a pipeline writes few slots, or it is a bulk load), a bitset of
// every slot (2 KB, the coordinator's, reused) beyond.
type writtenSlots struct {
	few [8]uint16
	// n is how many of few hold slots; len(few)+1 once many holds them.
	n    int
	many *[topology.SlotCount / 64]uint64
	// all is set by a write whose slots are unknown: every slot counts.
	all bool
}

// reset empties the set, keeping its bitset for the next pipeline.
func (w *writtenSlots) reset() {
	if w.many != nil && w.n > len(w.few) {
		clear(w.many[:])
	}
	w.n, w.all = 0, false
}

// add adds slot; n counts the slots added, up to len(few) and one more.
func (w *writtenSlots) add(slot uint16) {
	if w.n <= len(w.few) {
		if slices.Contains(w.few[:w.n], slot) {
			return
		}
		if w.n < len(w.few) {
			w.few[w.n] = slot
			w.n++
			return
		}
		if w.many == nil {
			w.many = new([topology.SlotCount / 64]uint64)
		}
		for _, s := range w.few {
			w.many[s/64] |= 1 << (s % 64)
		}
		w.n++
	}
	w.many[slot/64] |= 1 << (slot % 64)
}

func (w *writtenSlots) has(slot uint16) bool {
	if w.n > len(w.few) {
		return w.many[slot/64]&(1<<(slot%64)) != 0
	}
	return slices.Contains(w.few[:w.n], slot)
}
