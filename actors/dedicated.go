package actors

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/redactor-go/redactor/internal/wire"
	"github.com/redactor-go/redactor/resp"
)

// sendDedicated runs a batch of one command that may block (BLPOP, XREAD
// BLOCK) on a connection of its own from the node's bounded pool, so the
// shared connection never waits for it. The command's own context bounds
// it: when the context ends, the connection is closed at once, so the
// server cannot serve the command later.
func (n *nodeActor) sendDedicated(ctx actor.Context, b *nodeBatch) {
	if n.dedicated == nil {
		n.dedicated = wire.NewPool(n.cfg.Addr, n.cfg.Dial, n.cfg.DedicatedConns, wire.Options{OnPush: n.cfg.OnPush, Limits: n.cfg.Limits})
	}
	pool, root := n.dedicated, ctx.ActorSystem().Root
	readTimeout := n.cfg.ReadTimeout
	go func() {
		runDedicated(pool, b, readTimeout)
		root.Send(b.coordinator, b.doneMsg())
	}()
}

// runDedicated gets a connection, runs the batch's command on it (after
// ASKING in an ASK batch), and records its outcome.
func runDedicated(pool *wire.Pool, b *nodeBatch, readTimeout time.Duration) {
	e := b.exec
	ctx := e.ctx()
	conn, err := pool.Get(ctx)
	if err != nil {
		b.failUnanswered(err)
		return
	}
	defer pool.Put(conn)
	cmds := make([][]string, 0, 2*len(b.idx))
	for _, i := range b.idx {
		if b.asking {
			cmds = append(cmds, asking)
		}
		cmds = append(cmds, e.command(i))
	}
	// A silence bound only for commands with a timeout: theirs, plus the
	// usual; one that waits forever is watched by TCP keepalive.
	var silence time.Duration
	if b.blockFor > 0 && readTimeout > 0 {
		silence = b.blockFor + readTimeout
	}
	replies := make([]resp.Reply, len(cmds))
	got, err := conn.Exchange(ctx, cmds, replies, silence)
	if b.asking {
		got /= 2
		for k := range replies {
			if k%2 == 1 {
				replies[k/2] = replies[k]
			}
		}
	}
	for k := range got {
		*e.result(b.idx[k]) = Result{Value: replies[k].Value, Err: replies[k].Err}
	}
	b.replied = got
	if err != nil {
		b.failUnanswered(err)
	}
}
