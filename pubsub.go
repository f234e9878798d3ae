package redactor

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/redactor-go/redactor/internal/wire"
)

// Kind tells what a Message is. The zero Kind is no kind: every Message
// has one of the kinds below.
type Kind int

const (
	// KindMessage is a message published with PUBLISH on a channel of a
	// Client.Subscribe subscription.
	KindMessage Kind = iota + 1
	// KindPMessage is a message published with PUBLISH on a channel that
	// matches a pattern of a Client.PSubscribe subscription.
	KindPMessage
	// KindSMessage is a message published with SPUBLISH on a shard
	// channel of a Client.SSubscribe subscription.
	KindSMessage
	// KindReconnected tells that the channels in Message.Channels were
	// subscribed again after their subscription was interrupted (a
	// connection broke, a failover, a slot moved), for the reason in
	// Message.Reason. Messages published during the gap may have been lost;
	// every message published after this notice is delivered (unless the
	// buffer overflows). A consumer that keeps state from the messages
	// reloads it here.
	KindReconnected
)

// String returns the kind's name as Redis spells it ("message",
// "pmessage", "smessage"), or "reconnected".
func (k Kind) String() string {
	switch k {
	case KindMessage:
		return "message"
	case KindPMessage:
		return "pmessage"
	case KindSMessage:
		return "smessage"
	case KindReconnected:
		return "reconnected"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Message is what a Subscription delivers: a published message, or a
// notice that some channels were subscribed again after a gap.
type Message struct {
	// Kind tells which of the fields below are set.
	Kind Kind
	// Channel is the channel the message was published on.
	Channel string
	// Pattern is the pattern that matched Channel, for KindPMessage.
	Pattern string
	// Payload is the published message.
	Payload string
	// Channels are, for KindReconnected, the channels (the patterns of a
	// PSubscribe subscription) that were subscribed again.
	Channels []string
	// Reason is, for KindReconnected, why their subscription was
	// interrupted: the connection's error, or the slot that moved.
	Reason error
}

// Subscription receives the messages of channels (Client.Subscribe),
// patterns (Client.PSubscribe) or shard channels (Client.SSubscribe) on
// connections of its own, never the client's shared ones.
//
// It keeps the set of channels it was asked for and, in the background,
// keeps them subscribed where they live now: when a connection breaks,
// when a master fails over or when a shard channel's slot moves, it loads
// the cluster's layout again and subscribes them again (backing off from
// 10 ms to 1 s while that fails), then delivers a KindReconnected notice.
//
// Delivery is at most once. Messages wait in a buffer of
// Config.PubSubBufferSize; when the consumer falls behind and the buffer is
// full, new messages are dropped and counted by Dropped, so a slow consumer
// never holds up the connection, the other subscriptions or the client. A
// KindReconnected notice is never dropped: it waits for room, ahead of
// newer messages.
//
// Close it when done; Client.Close closes it too. Its methods are safe for
// concurrent use.
type Subscription struct {
	c    *Client
	mode *pubsubMode

	msgs    chan *Message
	dropped atomic.Uint64

	outMu     sync.Mutex
	pid       *actor.PID // when set, messages go there instead of msgs
	notice    *Message   // a KindReconnected notice that found no room yet
	outClosed bool

	wantMu sync.RWMutex
	want   map[string]struct{} // the channels asked for, that messages are delivered for

	requests chan any // to the manager: *addRequest, *removeRequest, *cancelRequest
	events   chan any // from connections and refreshes to the manager
	quit     chan struct{}
	done     chan struct{} // closed when the manager has ended
	cancel   context.CancelFunc

	closeOnce sync.Once
}

// Subscribe subscribes to channels (SUBSCRIBE), on one connection to any
// master: PUBLISH on any node of the cluster reaches it. It returns once
// the server confirmed every channel; ctx bounds only that wait. The
// messages arrive as KindMessage on Messages (or at DeliverTo's actor).
func (c *Client) Subscribe(ctx context.Context, channels ...string) (*Subscription, error) {
	return c.subscribe(ctx, channelMode, channels)
}

// PSubscribe subscribes to patterns (PSUBSCRIBE), such as "news.*", like
// Subscribe does to channels. The messages arrive as KindPMessage, with the
// pattern that matched in Message.Pattern.
func (c *Client) PSubscribe(ctx context.Context, patterns ...string) (*Subscription, error) {
	return c.subscribe(ctx, patternMode, patterns)
}

// SSubscribe subscribes to shard channels (SSUBSCRIBE, Redis 7): each on
// the master serving its slot, where SPUBLISH of the channel runs. Channels
// of one master share a connection. When a slot moves or its master fails
// over, its channels follow it. It returns once the servers confirmed every
// channel; ctx bounds only that wait. The messages arrive as KindSMessage.
func (c *Client) SSubscribe(ctx context.Context, channels ...string) (*Subscription, error) {
	return c.subscribe(ctx, shardMode, channels)
}

func (c *Client) subscribe(ctx context.Context, mode *pubsubMode, channels []string) (*Subscription, error) {
	if len(channels) == 0 {
		return nil, wire.Chain(fmt.Errorf("redactor: %s", mode.subscribe), ErrNoChannels)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("redactor: %s: %w", mode.subscribe, err)
	}
	mctx, cancel := context.WithCancel(context.Background())
	s := &Subscription{
		c:        c,
		mode:     mode,
		msgs:     make(chan *Message, c.cfg.PubSubBufferSize),
		want:     map[string]struct{}{},
		requests: make(chan any),
		events:   make(chan any, 64),
		quit:     make(chan struct{}),
		done:     make(chan struct{}),
		cancel:   cancel,
	}
	if !c.onClose(s, s.shutdown) {
		cancel()
		return nil, ErrClosed
	}
	m := newSubManager(mctx, s)
	go m.run()
	if err := s.Subscribe(ctx, channels...); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Messages returns the channel messages are delivered on, in the order
// each connection received them. It is closed by Close. While DeliverTo
// sends messages to an actor, nothing arrives here.
func (s *Subscription) Messages() <-chan *Message { return s.msgs }

// Dropped returns how many messages were dropped because the buffer of
// Messages was full. Messages sent to an actor (DeliverTo) are not counted:
// its mailbox decides.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// Subscribe adds channels (patterns, for a PSubscribe subscription) to the
// subscription and returns once the server confirmed them; ctx bounds only
// that wait. When it fails, the channels it added are dropped again.
func (s *Subscription) Subscribe(ctx context.Context, channels ...string) error {
	if len(channels) == 0 {
		return wire.Chain(fmt.Errorf("redactor: %s", s.mode.subscribe), ErrNoChannels)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("redactor: %s: %w", s.mode.subscribe, err)
	}
	w := &addRequest{channels: dedupe(channels), done: make(chan error, 1)}
	if err := s.request(ctx, w); err != nil {
		return err
	}
	select {
	case err := <-w.done:
		return err
	case <-s.done:
		return ErrClosed
	case <-ctx.Done():
	}
	// Withdraw the request; it may have been answered meanwhile.
	cancel := &cancelRequest{add: w, err: fmt.Errorf("redactor: %s: %w", s.mode.subscribe, ctx.Err())}
	if err := s.request(context.Background(), cancel); err != nil {
		return err
	}
	select {
	case err := <-w.done:
		return err
	case <-s.done:
		return ErrClosed
	}
}

// Unsubscribe removes channels (patterns, for a PSubscribe subscription)
// from the subscription. No message of theirs is delivered once it
// returns, but those already in Messages stay there. ctx bounds the wait
// for the subscription to take the request.
func (s *Subscription) Unsubscribe(ctx context.Context, channels ...string) error {
	if len(channels) == 0 {
		return wire.Chain(fmt.Errorf("redactor: %s", s.mode.unsubscribe), ErrNoChannels)
	}
	r := &removeRequest{channels: dedupe(channels), done: make(chan struct{})}
	if err := s.request(ctx, r); err != nil {
		return err
	}
	select {
	case <-r.done:
		return nil
	case <-s.done:
		return ErrClosed
	}
}

// request hands req to the subscription's manager.
func (s *Subscription) request(ctx context.Context, req any) error {
	select {
	case s.requests <- req:
		return nil
	case <-s.quit:
		return ErrClosed
	case <-ctx.Done():
		return fmt.Errorf("redactor: %s: %w", s.mode.subscribe, ctx.Err())
	}
}

// Close ends the subscription: it closes its connections (which ends the
// subscriptions on the servers), waits for its goroutines to end, and
// closes Messages. Close is idempotent and always returns nil.
func (s *Subscription) Close() error {
	s.c.forgetClose(s)
	s.shutdown()
	return nil
}

// shutdown stops the manager and closes Messages; Client.Close calls it.
func (s *Subscription) shutdown() {
	s.closeOnce.Do(func() {
		close(s.quit)
		s.cancel()
		<-s.done
		s.outMu.Lock()
		s.outClosed = true
		close(s.msgs)
		s.outMu.Unlock()
	})
}

// wants reports whether messages of channel (pattern, for PSubscribe) are
// to be delivered.
func (s *Subscription) wants(channel string) bool {
	s.wantMu.RLock()
	_, ok := s.want[channel]
	s.wantMu.RUnlock()
	return ok
}

// setWanted records whether channel is wanted.
func (s *Subscription) setWanted(channel string, wanted bool) {
	s.wantMu.Lock()
	if wanted {
		s.want[channel] = struct{}{}
	} else {
		delete(s.want, channel)
	}
	s.wantMu.Unlock()
}

// dedupe returns channels without repeats, in their first order.
func dedupe(channels []string) []string {
	seen := make(map[string]bool, len(channels))
	out := make([]string, 0, len(channels))
	for _, ch := range channels {
		if !seen[ch] {
			seen[ch] = true
			out = append(out, ch)
		}
	}
	return out
}
