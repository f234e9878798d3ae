package redactor

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/redactor-go/redactor/resp"
)

// pubsubMode is what differs between channels, patterns and shard
// channels: the commands, the kinds of the server's answers, and whether
// channels live on the master of their slot.
type pubsubMode struct {
	subscribe, unsubscribe   string // the commands
	subscribed, unsubscribed string // the kinds of their confirmations
	message                  string // the kind of a published message
	kind                     Kind
	sharded                  bool
}

var (
	channelMode = &pubsubMode{"SUBSCRIBE", "UNSUBSCRIBE", "subscribe", "unsubscribe", "message", KindMessage, false}
	patternMode = &pubsubMode{"PSUBSCRIBE", "PUNSUBSCRIBE", "psubscribe", "punsubscribe", "pmessage", KindPMessage, false}
	shardMode   = &pubsubMode{"SSUBSCRIBE", "SUNSUBSCRIBE", "ssubscribe", "sunsubscribe", "smessage", KindSMessage, true}
)

// errPubSubProtocol is the error of a connection that sent what a
// subscribed connection does not.
var errPubSubProtocol = fmt.Errorf("%w: unexpected reply on a subscribed connection", resp.ErrProtocol)

// Events of a subscription's connections, for its manager.
type (
	// subscribed: the server confirmed every channel of cmd.
	subscribed struct {
		conn *psConn
		cmd  *psCmd
	}
	// refused: the server answered cmd with an error.
	refused struct {
		conn *psConn
		cmd  *psCmd
		err  *resp.Error
	}
	// dropped: the server unsubscribed channels unasked (a shard channel
	// whose slot the node no longer serves).
	dropped struct {
		conn     *psConn
		channels []string
	}
	// broken: the connection could not be opened, or failed.
	broken struct {
		conn *psConn
		err  error
	}
)

// psOp is what a psCmd does.
type psOp int

const (
	opSubscribe psOp = iota
	opUnsubscribe
	opPing
)

// psCmd is a command sent on a connection: a (un)subscribe, waiting for
// one confirmation per channel, or a PING, waiting for its pong. A node
// answers in order, so a confirmation or pong that does not fit the oldest
// pending command means the connection lost some: it is dropped. An
// unsubscribe that fits none is one the node sent unasked.
type psCmd struct {
	op       psOp
	channels []string
	// gapChannels, when reason is set, were subscribed before and lost
	// it: a KindReconnected notice for them goes out once cmd is
	// confirmed, ahead of their next messages.
	gapChannels []string
	reason      error

	confirmed int // how many confirmations came; the reader's alone
}

// psConn is one connection of a subscription to one node. The manager
// writes commands on it; its goroutine dials, then reads: it delivers the
// messages itself and tells the manager about the rest.
type psConn struct {
	sub    *Subscription
	addr   string
	ctx    context.Context
	cancel context.CancelFunc

	wmu sync.Mutex // serializes writes

	mu      sync.Mutex
	nc      net.Conn // nil until dialed
	out     []byte   // commands sent before the dial finished
	closed  bool
	failure error    // why a write failed
	pending []*psCmd // commands sent and not yet answered, in order
	// carried are the channels the manager has placed on this
	// connection: only their messages are delivered from it. A node may
	// still send a channel that moved to another connection (a demoted
	// master, now a replica, passes on its new master's SPUBLISH to a
	// subscription it kept): that copy is not delivered twice.
	carried map[string]struct{}
}

// carry records that channels are placed on this connection.
func (pc *psConn) carry(channels ...string) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if pc.carried == nil {
		pc.carried = map[string]struct{}{}
	}
	for _, ch := range channels {
		pc.carried[ch] = struct{}{}
	}
}

// drop records that channel is no longer placed on this connection.
func (pc *psConn) drop(channel string) {
	pc.mu.Lock()
	delete(pc.carried, channel)
	pc.mu.Unlock()
}

// carries reports whether channel (a pattern, with PSUBSCRIBE) is placed
// on this connection and still wanted.
func (pc *psConn) carries(channel string) bool {
	pc.mu.Lock()
	_, ok := pc.carried[channel]
	pc.mu.Unlock()
	return ok && pc.sub.wants(channel)
}

// newPSConn returns a connection to addr that dials in the background.
// run must be started.
func newPSConn(ctx context.Context, s *Subscription, addr string) *psConn {
	ctx, cancel := context.WithCancel(ctx)
	return &psConn{sub: s, addr: addr, ctx: ctx, cancel: cancel}
}

// send writes cmds in one write (or queues them until the dial is done).
// A failed write closes the connection: its goroutine then reports it.
func (pc *psConn) send(cmds ...*psCmd) {
	var buf []byte
	for _, cmd := range cmds {
		name := pc.sub.mode.subscribe
		if cmd.op == opUnsubscribe {
			name = pc.sub.mode.unsubscribe
		}
		buf = resp.AppendCommand(buf, append([]string{name}, cmd.channels...))
	}
	pc.write(buf, cmds)
}

// ping asks the node for a sign of life, which the read deadline waits
// for.
func (pc *psConn) ping() {
	pc.write(resp.AppendCommand(nil, []string{"PING"}), []*psCmd{{op: opPing}})
}

func (pc *psConn) write(buf []byte, cmds []*psCmd) {
	pc.wmu.Lock()
	defer pc.wmu.Unlock()
	pc.mu.Lock()
	if pc.closed {
		pc.mu.Unlock()
		return
	}
	pc.pending = append(pc.pending, cmds...)
	nc := pc.nc
	if nc == nil {
		pc.out = append(pc.out, buf...)
	}
	pc.mu.Unlock()
	if nc != nil {
		pc.writeNow(nc, buf)
	}
}

// writeNow writes buf; wmu is held.
func (pc *psConn) writeNow(nc net.Conn, buf []byte) {
	if t := pc.sub.c.cfg.WriteTimeout; t > 0 {
		nc.SetWriteDeadline(time.Now().Add(t))
	}
	if _, err := nc.Write(buf); err != nil {
		pc.mu.Lock()
		if pc.failure == nil {
			pc.failure = err
		}
		pc.mu.Unlock()
		nc.Close()
	}
}

// close closes the connection at once, dialing or not. Its goroutine ends
// soon after.
func (pc *psConn) close() {
	pc.mu.Lock()
	pc.closed = true
	nc := pc.nc
	pc.mu.Unlock()
	pc.cancel()
	if nc != nil {
		nc.Close()
	}
}

// run dials, writes what was sent meanwhile, then reads until the
// connection fails or closes, and reports that.
func (pc *psConn) run() {
	nc, err := pc.sub.c.dialRESP2(pc.ctx, pc.addr)
	if err != nil {
		pc.report(&broken{conn: pc, err: fmt.Errorf("redactor: %s: %s: %w", pc.sub.mode.subscribe, pc.addr, err)})
		return
	}
	pc.wmu.Lock()
	pc.mu.Lock()
	if pc.closed {
		pc.mu.Unlock()
		pc.wmu.Unlock()
		nc.Close()
		return
	}
	out := pc.out
	pc.nc, pc.out = nc, nil
	pc.mu.Unlock()
	if len(out) > 0 {
		pc.writeNow(nc, out)
	}
	pc.wmu.Unlock()

	err = pc.read(nc)
	nc.Close()
	pc.mu.Lock()
	if pc.failure != nil {
		err = pc.failure
	}
	pc.mu.Unlock()
	pc.report(&broken{conn: pc, err: fmt.Errorf("redactor: %s: %s: %w", pc.sub.mode.subscribe, pc.addr, err)})
}

// report hands an event to the manager, unless the subscription is
// closing.
func (pc *psConn) report(ev any) {
	select {
	case pc.sub.events <- ev:
	case <-pc.sub.quit:
	}
}

// read reads what the node sends until the connection fails. While pings
// are on, a node silent for longer than ReadTimeout plus the ping interval
// is taken for dead.
func (pc *psConn) read(nc net.Conn) error {
	d := resp.NewPlainDecoder(bufio.NewReaderSize(nc, 16<<10)).SetLimits(pc.sub.c.cfg.limits())
	var silence time.Duration
	if t := pc.sub.c.cfg.ReadTimeout; t > 0 {
		silence = t + pubsubCheckInterval
	}
	mode := pc.sub.mode
	for {
		if silence > 0 {
			nc.SetReadDeadline(time.Now().Add(silence))
		}
		v, err := d.Decode()
		if err != nil {
			if re, ok := err.(*resp.Error); ok {
				pc.refused(re)
				continue
			}
			return err
		}
		arr, _ := v.([]any)
		if len(arr) < 2 {
			return fmt.Errorf("%w: %v", errPubSubProtocol, v)
		}
		kind, _ := arr[0].(string)
		switch {
		case kind == mode.message && mode == patternMode:
			if len(arr) != 4 {
				return fmt.Errorf("%w: %v", errPubSubProtocol, v)
			}
			pattern, channel, payload := text(arr[1]), text(arr[2]), text(arr[3])
			if pc.carries(pattern) {
				pc.sub.deliver(&Message{Kind: mode.kind, Pattern: pattern, Channel: channel, Payload: payload})
			}
		case kind == mode.message:
			if len(arr) != 3 {
				return fmt.Errorf("%w: %v", errPubSubProtocol, v)
			}
			channel, payload := text(arr[1]), text(arr[2])
			if pc.carries(channel) {
				pc.sub.deliver(&Message{Kind: mode.kind, Channel: channel, Payload: payload})
			}
		case kind == mode.subscribed:
			if err := pc.confirm(text(arr[1])); err != nil {
				return err
			}
		case kind == mode.unsubscribed:
			pc.unsubscribed(text(arr[1]))
		case kind == "pong":
			if err := pc.pong(); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%w: %v", errPubSubProtocol, v)
		}
	}
}

// confirm records the server's confirmation of channel for the oldest
// pending subscribe. Once all of its channels are in, the gap notice it
// carries goes out, ahead of any message that follows.
func (pc *psConn) confirm(channel string) error {
	pc.mu.Lock()
	if len(pc.pending) == 0 || pc.pending[0].op != opSubscribe || pc.pending[0].channels[pc.pending[0].confirmed] != channel {
		pc.mu.Unlock()
		return fmt.Errorf("%w: confirmation of %q, which was not asked for", errPubSubProtocol, channel)
	}
	cmd := pc.pending[0]
	cmd.confirmed++
	if cmd.confirmed < len(cmd.channels) {
		pc.mu.Unlock()
		return nil
	}
	pc.pending = pc.pending[1:]
	pc.mu.Unlock()
	if cmd.reason != nil {
		gap := slices.DeleteFunc(slices.Clone(cmd.gapChannels), func(ch string) bool { return !pc.sub.wants(ch) })
		if len(gap) > 0 {
			pc.sub.deliver(&Message{Kind: KindReconnected, Channels: gap, Reason: cmd.reason})
			pc.sub.c.events.publish(&SubscriptionGap{Channels: gap, Reason: cmd.reason})
		}
	}
	pc.report(&subscribed{conn: pc, cmd: cmd})
	return nil
}

// unsubscribed handles an unsubscribe confirmation: of the oldest pending
// unsubscribe, or one the server sent unasked.
func (pc *psConn) unsubscribed(channel string) {
	pc.mu.Lock()
	if len(pc.pending) > 0 && pc.pending[0].op == opUnsubscribe && pc.pending[0].channels[pc.pending[0].confirmed] == channel {
		cmd := pc.pending[0]
		cmd.confirmed++
		if cmd.confirmed == len(cmd.channels) {
			pc.pending = pc.pending[1:]
		}
		pc.mu.Unlock()
		return
	}
	pc.mu.Unlock()
	pc.report(&dropped{conn: pc, channels: []string{channel}})
}

// refused handles an error reply: the oldest pending command's.
func (pc *psConn) refused(err *resp.Error) {
	pc.mu.Lock()
	if len(pc.pending) == 0 {
		pc.mu.Unlock()
		return
	}
	cmd := pc.pending[0]
	pc.pending = pc.pending[1:]
	pc.mu.Unlock()
	if cmd.op == opSubscribe {
		pc.report(&refused{conn: pc, cmd: cmd, err: err})
	}
}

// pong handles the answer to the oldest pending command, a PING.
func (pc *psConn) pong() error {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if len(pc.pending) == 0 || pc.pending[0].op != opPing {
		return fmt.Errorf("%w: a pong before the answer to an earlier command", errPubSubProtocol)
	}
	pc.pending = pc.pending[1:]
	return nil
}

// text returns v as a string: "" for nil, the decimal form of an integer.
func text(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}
