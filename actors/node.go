package actors

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/mediocregopher/radix/v4"
	radixresp "github.com/mediocregopher/radix/v4/resp"

	"github.com/redactor-go/redactor/topology"
)

// ErrNodeUnreachable wraps a failure to connect to a node. Commands that get
// it were never sent.
var ErrNodeUnreachable = errors.New("redactor: node unreachable")

// NodeConfig configures a node actor.
type NodeConfig struct {
	// Addr is the node's client address, "host:port".
	Addr string
	// Dial opens the node's connection.
	Dial topology.DialFunc
	// DrainTimeout bounds how long a stopped node actor waits for its
	// in-flight batches before it closes the connection. Zero means 5s.
	DrainTimeout time.Duration
}

// NodeProps returns the props of a node actor: the one owner of the
// connection to one node. It connects on its first batch and again after its
// connection breaks.
func NodeProps(cfg NodeConfig) *actor.Props {
	if cfg.DrainTimeout <= 0 {
		cfg.DrainTimeout = 5 * time.Second
	}
	return actor.PropsFromProducer(func() actor.Actor {
		return &nodeActor{cfg: cfg}
	})
}

// nodeActor owns the connection to one node and writes each batch it gets as
// one write. The connection pipelines: replies of a batch are read by a
// goroutine while the actor goes on writing the next batches.
type nodeActor struct {
	cfg      NodeConfig
	conn     radix.Conn
	inflight sync.WaitGroup
}

// Receive handles the actor's messages.
func (n *nodeActor) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *nodeBatch:
		n.send(ctx, msg)
	case *connBroken:
		if n.conn == msg.conn {
			n.conn = nil
		}
	case *actor.Stopped:
		n.closeWhenDrained()
	}
}

// send writes the batch on the node's connection and reads its replies in the
// background, then tells the coordinator.
func (n *nodeActor) send(ctx actor.Context, b *nodeBatch) {
	root := ctx.ActorSystem().Root
	execCtx := b.exec.Ctx
	if execCtx == nil {
		execCtx = context.Background()
	}
	if err := execCtx.Err(); err != nil {
		b.failUnanswered(err)
		root.Send(b.coordinator, &batchDone{batch: b})
		return
	}
	if n.conn == nil {
		conn, err := n.cfg.Dial(execCtx, n.cfg.Addr)
		if err != nil {
			b.failUnanswered(fmt.Errorf("%w: %s: %w", ErrNodeUnreachable, n.cfg.Addr, err))
			root.Send(b.coordinator, &batchDone{batch: b})
			return
		}
		n.conn = conn
	}
	conn, self := n.conn, ctx.Self()
	n.inflight.Add(1)
	go func() {
		defer n.inflight.Done()
		// The connection outlives the caller's context: a pipeline that
		// stops waiting must not tear down a connection others share.
		if err := conn.EncodeDecode(context.Background(), b, b); err != nil {
			b.failUnanswered(fmt.Errorf("redactor: node %s: %w", n.cfg.Addr, err))
			if !errors.As(err, new(radixresp.ErrConnUsable)) {
				conn.Close()
				root.Send(self, &connBroken{conn: conn})
			}
		}
		root.Send(b.coordinator, &batchDone{batch: b})
	}()
}

// closeWhenDrained closes the connection once in-flight batches are done, or
// after DrainTimeout.
func (n *nodeActor) closeWhenDrained() {
	conn := n.conn
	if conn == nil {
		return
	}
	n.conn = nil
	drained := make(chan struct{})
	go func() {
		n.inflight.Wait()
		close(drained)
	}()
	go func() {
		select {
		case <-drained:
		case <-time.After(n.cfg.DrainTimeout):
		}
		conn.Close()
	}()
}
