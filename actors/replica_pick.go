package actors

import (
	"math"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// How long a replica gets no reads after it failed one (unreachable, a
// broken connection, LOADING, MASTERDOWN, TRYAGAIN, CLUSTERDOWN), or after
// its probe failed.
const (
	replicaPause = time.Second
	probePause   = 2 * time.Second
)

// nearSlack is the least latency difference ReadNearest tells apart: nodes
// within max(nearest/2, nearSlack) of the nearest count as equal and share
// the reads. Round trips on one host or in one zone differ by tens of
// microseconds from one moment to the next; another zone is a millisecond
// or more away.
const nearSlack = 300 * time.Microsecond

// readNode returns the node that runs the reads of shard by ReadFrom, and
// false for the master. Successive picks for a shard take turns among the
// nodes that qualify, so reads spread evenly over them:
//
//   - ReadReplicaPreferred: the shard's replicas not paused (see
//     replicaPause); the master when there is none;
//   - ReadNearest: the master and those replicas, with a latency measured
//     by their probes, within the tolerance of the nearest (see nearSlack);
//     all of them while none has been measured yet.
func (c *coordinator) readNode(shard int) (*actor.PID, string, bool) {
	routes := c.routes
	if shard >= len(routes.Replicas) || len(routes.Replicas[shard]) == 0 {
		return nil, "", false
	}
	replicas := routes.Replicas[shard]
	// member m of the shard: 0 is the master, m > 0 replicas[m-1].
	member := func(m int) *actor.PID {
		if m == 0 {
			return routes.Nodes[shard]
		}
		return replicas[m-1]
	}
	now := time.Now().UnixNano()
	first := 1
	qualifies := func(pid *actor.PID) bool { return c.readable(pid, now) }
	if c.cfg.ReadFrom == ReadNearest {
		first = 0
		nearest := int64(math.MaxInt64)
		for m := 0; m <= len(replicas); m++ {
			if pid := member(m); c.readable(pid, now) {
				if rtt := c.rtt(pid); rtt > 0 {
					nearest = min(nearest, rtt)
				}
			}
		}
		if nearest < math.MaxInt64 {
			limit := nearest + max(nearest/2, int64(nearSlack))
			qualifies = func(pid *actor.PID) bool {
				rtt := c.rtt(pid)
				return rtt > 0 && rtt <= limit && c.readable(pid, now)
			}
		}
	}
	n := 0
	for m := first; m <= len(replicas); m++ {
		if qualifies(member(m)) {
			n++
		}
	}
	if n == 0 {
		return nil, "", false
	}
	k := int(c.nextTurn(shard) % uint32(n))
	for m := first; m <= len(replicas); m++ {
		if !qualifies(member(m)) {
			continue
		}
		if k > 0 {
			k--
			continue
		}
		if m == 0 {
			return nil, "", false
		}
		return replicas[m-1], routes.Map.Shards()[shard].Replicas[m-1], true
	}
	return nil, "", false
}

// nextTurn returns the turn of the next pick for shard: a count per shard,
// so that pipelines touching several shards still rotate within each.
func (c *coordinator) nextTurn(shard int) uint32 {
	if shard >= len(c.turns) {
		c.turns = append(c.turns, make([]uint32, shard+1-len(c.turns))...)
	}
	c.turns[shard]++
	return c.turns[shard]
}

// readable reports whether the node actor pid may get reads: not paused
// after a failure. Without a Registry every node is.
func (c *coordinator) readable(pid *actor.PID, now int64) bool {
	h := c.handleOf(pid)
	return h == nil || h.pausedUntil.Load() <= now
}

// rtt returns the node's latency as its probe measured it, in
// nanoseconds; 0 when unknown.
func (c *coordinator) rtt(pid *actor.PID) int64 {
	if h := c.handleOf(pid); h != nil {
		return h.rtt.Load()
	}
	return 0
}

// pause gives the node no reads for d.
func (h *nodeHandle) pause(d time.Duration) {
	until := time.Now().Add(d).UnixNano()
	for {
		old := h.pausedUntil.Load()
		if old >= until || h.pausedUntil.CompareAndSwap(old, until) {
			return
		}
	}
}
