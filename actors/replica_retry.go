package actors

import (
	"errors"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/redactor-go/redactor/resp"
	"github.com/redactor-go/redactor/topology"
)

// inspectReplica looks at the outcome of a batch of reads a replica ran:
// what the replica could not serve goes to the master at once, without
// backoff, never to a replica again in this Exec, and not counted as a
// redirect (the master's own redirects are followed as usual):
//
//   - MOVED or ASK (the replica lost its master, was moved to another, or
//     the slot moved): the slot map is refreshed too;
//   - LOADING, MASTERDOWN, TRYAGAIN, CLUSTERDOWN, a failed dial or a broken
//     connection (a read is safe to send again): the replica gets no reads
//     for replicaPause.
//
// Any other outcome (a value, WRONGTYPE, the caller's context ending) is
// the command's result.
func (c *coordinator) inspectReplica(ctx actor.Context, e *Exec, b *nodeBatch) {
	var back []int
	failed, refresh := false, false
	for _, i := range b.idx {
		err := e.Results[i].Err
		if err == nil {
			continue
		}
		var re *resp.Error
		switch {
		case errors.As(err, &re) && re.IsRedirect():
			refresh = true
		case re != nil && re.IsUnavailable():
			failed = true
		case re == nil && (errors.Is(err, ErrNotSent) || errors.Is(err, ErrUnknownOutcome)):
			failed = true
		default:
			continue
		}
		back = append(back, i)
	}
	if failed {
		if h := c.handleOf(b.node); h != nil {
			h.pause(replicaPause)
		}
	}
	if refresh && c.cfg.Topology != nil {
		ctx.Send(c.cfg.Topology, &topology.Refresh{})
	}
	if len(back) == 0 {
		return
	}
	c.pinToMaster(e, back)
	e.markResent(back...)
	c.dispatch(ctx, e, c.group(ctx, e, back))
}
