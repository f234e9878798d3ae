package actors

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/redactor-go/redactor/internal/wire"
	"github.com/redactor-go/redactor/resp"
)

// probeSamples is how many of its last round trips a node's latency is the
// least of: the least filters out the moments a busy client machine was
// slow to run the probe, and still follows a node that became slower
// within that many probes.
const probeSamples = 4

// pingCommand is what a probe sends.
var pingCommand = [][]string{{"PING"}}

// probe measures a node's latency and health for replica reads, off the
// hot path: a PING every interval on a connection of its own, its round
// trip kept in the node's handle (nodeHandle.rtt). A PING that fails
// (unreachable, a broken connection, LOADING, MASTERDOWN, TRYAGAIN,
// CLUSTERDOWN) forgets the latency and pauses the node's reads for
// probePause.
type probe struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// startProbe starts probing the node at addr every interval.
func startProbe(addr string, dial wire.DialFunc, every time.Duration, h *nodeHandle) *probe {
	ctx, cancel := context.WithCancel(context.Background())
	p := &probe{cancel: cancel, done: make(chan struct{})}
	go p.run(ctx, addr, dial, every, h)
	return p
}

// stop stops the probe and waits for it.
func (p *probe) stop() {
	p.cancel()
	<-p.done
}

func (p *probe) run(ctx context.Context, addr string, dial wire.DialFunc, every time.Duration, h *nodeHandle) {
	defer close(p.done)
	var (
		conn    *wire.Conn
		samples [probeSamples]int64
		n       int
	)
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	for {
		rtt, err := ping(ctx, &conn, addr, dial, every)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			n = 0
			h.rtt.Store(0)
			h.pause(probePause)
		} else {
			samples[n%probeSamples] = int64(rtt)
			n++
			least := samples[0]
			for _, s := range samples[1:min(n, probeSamples)] {
				least = min(least, s)
			}
			h.rtt.Store(max(least, 1))
		}
		// Probes of all nodes at the same moment would measure each
		// other: each waits its interval give or take 10%.
		select {
		case <-ctx.Done():
			return
		case <-time.After(every*9/10 + rand.N(every/5+1)):
		}
	}
}

// ping sends one PING on *conn, dialing it first when needed, and returns
// its round trip. A failed exchange closes the connection.
func ping(ctx context.Context, conn **wire.Conn, addr string, dial wire.DialFunc, timeout time.Duration) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if *conn == nil || (*conn).Broken() {
		c, err := wire.Dial(ctx, dial, addr, wire.Options{})
		if err != nil {
			*conn = nil
			return 0, err
		}
		*conn = c
	}
	var reply [1]resp.Reply
	start := time.Now()
	if _, err := (*conn).Exchange(ctx, pingCommand, reply[:], 0); err != nil {
		return 0, err
	}
	rtt := time.Since(start)
	if re, ok := reply[0].Err.(*resp.Error); ok && re.IsUnavailable() {
		return 0, re
	}
	// Any other error reply (NOPERM for a user without PING) still took
	// a round trip of a node that serves.
	return rtt, nil
}
