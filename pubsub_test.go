package redactor_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/internal/localcluster"
	"github.com/redactor-go/redactor/topology"
)

// pubsubWait bounds every wait for a message or a notice: liveness, not
// timing.
const pubsubWait = 10 * time.Second

// nextMessage returns the subscription's next message.
func nextMessage(t *testing.T, sub *redactor.Subscription) *redactor.Message {
	t.Helper()
	select {
	case m, ok := <-sub.Messages():
		require.True(t, ok, "Messages was closed")
		return m
	case <-time.After(pubsubWait):
		t.Fatalf("no message within %v", pubsubWait)
		return nil
	}
}

// nextNotice returns the subscription's next message, which must be a
// KindReconnected notice, waiting up to wait.
func nextNotice(t *testing.T, sub *redactor.Subscription, wait time.Duration) *redactor.Message {
	t.Helper()
	select {
	case m, ok := <-sub.Messages():
		require.True(t, ok, "Messages was closed")
		require.Equal(t, redactor.KindReconnected, m.Kind, "a notice before any other message: %+v", m)
		return m
	case <-time.After(wait):
		t.Fatalf("no reconnected notice within %v", wait)
		return nil
	}
}

// nthMaster returns the address of the i-th master the client knows.
func nthMaster(t *testing.T, c *redactor.Client, i int) string {
	t.Helper()
	var masters []string
	for _, n := range c.Nodes() {
		if n.IsMaster() {
			masters = append(masters, n.Addr)
		}
	}
	require.Greater(t, len(masters), i)
	return masters[i]
}

// publishOn publishes on one node, so messages keep their order: the
// cluster bus forwards one node's messages to the others in order.
func publishOn(t *testing.T, c *redactor.Client, addr, channel, payload string) {
	t.Helper()
	require.NoError(t, c.DoOn(testContext(t), addr, "PUBLISH", channel, payload).Err)
}

// spublish publishes on a shard channel through the client, which routes
// it to the channel's master, and checks that one subscriber (ours) got
// it there.
func spublish(t *testing.T, c *redactor.Client, channel, payload string) {
	t.Helper()
	r := c.Do(testContext(t), "SPUBLISH", channel, payload)
	require.NoError(t, r.Err)
	assert.Equal(t, int64(1), r.Value, "SPUBLISH %s reached our subscription on its master", channel)
}

// The tests that fail nodes over come first: closing a client whose node
// died leaves protoactor's dead-letter throttle running for a second,
// which the goroutine check at the end of a short -run would report.

// startPubSubCluster starts a cluster of 3 masters with a replica each,
// and a client of it.
func startPubSubCluster(t *testing.T, cfg redactor.Config) (*localcluster.Cluster, *redactor.Client) {
	t.Helper()
	lc := localcluster.StartT(t, localcluster.Config{Masters: 3, Replicas: 1})
	cfg.Addrs = lc.Addrs()
	c, err := redactor.New(testContext(t), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return lc, c
}

// TestSSubscribeFollowsFailover fails the channel's master over to its
// replica (CLUSTER FAILOVER), then kills -9 the new master so that the old
// one takes over again: each time a notice comes, and messages published
// after it arrive.
func TestSSubscribeFollowsFailover(t *testing.T) {
	lc, c := startPubSubCluster(t, redactor.Config{})
	ctx := testContext(t)
	ch := t.Name() + ":events"
	master := ownerIn(t, lc, ch)
	var replica string
	for _, n := range lc.Nodes() {
		if !n.Master && n.MasterID == masterID(t, lc, master) {
			replica = n.Addr
		}
	}
	require.NotEmpty(t, replica)

	sub, err := c.SSubscribe(ctx, ch)
	require.NoError(t, err)
	defer sub.Close()
	spublish(t, c, ch, "before")
	assert.Equal(t, "before", nextMessage(t, sub).Payload)

	require.NoError(t, lc.Failover(ctx, replica))
	notice := nextNotice(t, sub, pubsubWait)
	assert.Equal(t, []string{ch}, notice.Channels)
	t.Logf("notice after failover to %s: %v", replica, notice.Reason)
	spublish(t, c, ch, "after failover")
	assert.Equal(t, &redactor.Message{Kind: redactor.KindSMessage, Channel: ch, Payload: "after failover"}, nextMessage(t, sub))

	require.NoError(t, lc.Kill(replica)) // the master now
	killed := time.Now()
	notice = nextNotice(t, sub, 3*pubsubWait)
	assert.Equal(t, []string{ch}, notice.Channels)
	t.Logf("notice %v after killing %s: %v", time.Since(killed).Round(time.Millisecond), replica, notice.Reason)
	spublish(t, c, ch, "after kill")
	assert.Equal(t, &redactor.Message{Kind: redactor.KindSMessage, Channel: ch, Payload: "after kill"}, nextMessage(t, sub))
}

// TestSSubscribeFollowsMigration moves the slot of one of two shard
// channels that share a master's connection: that channel gets a notice
// and its messages from the new master; the other is undisturbed. The
// buffer is full when the notice comes: it waits for room instead of
// being dropped.
func TestSSubscribeFollowsMigration(t *testing.T) {
	lc, c := startPubSubCluster(t, redactor.Config{PubSubBufferSize: 2})
	ctx := testContext(t)
	moving := "{" + t.Name() + "}:moving"
	slot := int(topology.Slot(moving))
	from := ownerIn(t, lc, moving)
	to := lc.Addrs()[0]
	if to == from {
		to = lc.Addrs()[1]
	}
	owned, err := lc.SlotsOf(ctx, from)
	require.NoError(t, err)
	staying := keysInSlots(t.Name()+":staying", slices.DeleteFunc(owned, func(s int) bool { return s == slot }), 1)[0]

	sub, err := c.SSubscribe(ctx, moving, staying)
	require.NoError(t, err)
	defer sub.Close()
	spublish(t, c, moving, "before")
	assert.Equal(t, &redactor.Message{Kind: redactor.KindSMessage, Channel: moving, Payload: "before"}, nextMessage(t, sub))

	spublish(t, c, moving, "queued 1")
	spublish(t, c, staying, "queued 2")
	require.Eventually(t, func() bool { return len(sub.Messages()) == 2 }, pubsubWait, time.Millisecond)

	require.NoError(t, lc.MoveSlots(ctx, []int{slot}, from, to))
	assert.Equal(t, "queued 1", nextMessage(t, sub).Payload)
	assert.Equal(t, "queued 2", nextMessage(t, sub).Payload)
	notice := nextNotice(t, sub, pubsubWait)
	assert.Equal(t, []string{moving}, notice.Channels)
	assert.Error(t, notice.Reason)
	t.Logf("notice after moving slot %d from %s to %s: %v", slot, from, to, notice.Reason)

	spublish(t, c, moving, "after")
	spublish(t, c, staying, "still here")
	got := []*redactor.Message{nextMessage(t, sub), nextMessage(t, sub)}
	assert.ElementsMatch(t, []*redactor.Message{
		{Kind: redactor.KindSMessage, Channel: moving, Payload: "after"},
		{Kind: redactor.KindSMessage, Channel: staying, Payload: "still here"},
	}, got)
	assert.Zero(t, sub.Dropped())
}

// TestSSubscribeHungNode hangs the channel's master (the proxy in front
// of it swallows everything and keeps the connections open): the
// subscription's pings go unanswered, so it takes the connection for dead
// after ReadTimeout plus the ping interval and dials again; once the node
// answers again, the notice comes and messages flow.
func TestSSubscribeHungNode(t *testing.T) {
	pc := startProxiedCluster(t, localcluster.Config{Masters: 3})
	ctx := testContext(t)
	ch := t.Name()
	owner := ownerIn(t, pc.Cluster, ch)
	seed := pc.Addrs()[0]
	if seed == owner {
		seed = pc.Addrs()[1]
	}
	c, err := redactor.New(ctx, redactor.Config{Addrs: []string{pc.proxyOf(t, seed).Addr()}, ReadTimeout: 300 * time.Millisecond})
	require.NoError(t, err)
	defer c.Close()
	hung := pc.proxyOf(t, owner)

	sub, err := c.SSubscribe(ctx, ch)
	require.NoError(t, err)
	defer sub.Close()
	spublish(t, c, ch, "before")
	assert.Equal(t, "before", nextMessage(t, sub).Payload)

	accepted := hung.Stats().Accepted
	hung.Blackhole(true)
	// Nothing connects to the hung node until the subscription gave up
	// its connection.
	require.Eventually(t, func() bool { return hung.Stats().Accepted > accepted }, pubsubWait, 10*time.Millisecond,
		"the subscription dials again")
	hung.Blackhole(false)
	notice := nextNotice(t, sub, pubsubWait)
	assert.Equal(t, []string{ch}, notice.Channels)
	assert.ErrorIs(t, notice.Reason, os.ErrDeadlineExceeded)
	spublish(t, c, ch, "after")
	assert.Equal(t, "after", nextMessage(t, sub).Payload)
}

func TestSubscribePublish(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{})
	a, b := t.Name()+":a", t.Name()+":b"
	sub, err := c.Subscribe(ctx, a, b)
	require.NoError(t, err)
	defer sub.Close()

	publisher := nthMaster(t, c, 1)
	for i := range 100 {
		publishOn(t, c, publisher, []string{a, b}[i%2], fmt.Sprint("m-", i))
	}
	for i := range 100 {
		want := &redactor.Message{Kind: redactor.KindMessage, Channel: []string{a, b}[i%2], Payload: fmt.Sprint("m-", i)}
		require.Equal(t, want, nextMessage(t, sub), "message %d", i)
	}

	// PUBLISH through the pipeline reaches it too, from whichever node.
	require.NoError(t, c.Do(ctx, "PUBLISH", a, "via Do").Err)
	assert.Equal(t, &redactor.Message{Kind: redactor.KindMessage, Channel: a, Payload: "via Do"}, nextMessage(t, sub))
	assert.Zero(t, sub.Dropped())
}

func TestPSubscribe(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{})
	pattern := t.Name() + ":news.*"
	sub, err := c.PSubscribe(ctx, pattern)
	require.NoError(t, err)
	defer sub.Close()

	publisher := nthMaster(t, c, 0)
	publishOn(t, c, publisher, t.Name()+":news.eu", "one")
	publishOn(t, c, publisher, t.Name()+":sports.eu", "not matched")
	publishOn(t, c, publisher, t.Name()+":news.us", "two")
	assert.Equal(t, &redactor.Message{Kind: redactor.KindPMessage, Pattern: pattern, Channel: t.Name() + ":news.eu", Payload: "one"},
		nextMessage(t, sub))
	assert.Equal(t, &redactor.Message{Kind: redactor.KindPMessage, Pattern: pattern, Channel: t.Name() + ":news.us", Payload: "two"},
		nextMessage(t, sub), "the unmatched channel's message is not delivered")
}

// shardChannels returns n channel names of the test and checks that their
// slots span every master of the shared cluster.
func shardChannels(t *testing.T, n int) []string {
	t.Helper()
	channels := make([]string, n)
	owners := map[string]bool{}
	for i := range channels {
		channels[i] = fmt.Sprintf("%s:%d", t.Name(), i)
		owners[ownerIn(t, cluster, channels[i])] = true
	}
	require.Len(t, owners, len(cluster.Addrs()), "the channels span all masters")
	return channels
}

// TestSSubscribeAllMasters subscribes to shard channels of many slots on
// every master at once (one SSUBSCRIBE per slot: Redis refuses CROSSSLOT
// even on one node) and gets exactly what SPUBLISH sent to each.
func TestSSubscribeAllMasters(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{})
	channels := shardChannels(t, 30)
	sub, err := c.SSubscribe(ctx, channels...)
	require.NoError(t, err)
	defer sub.Close()

	for i := range 3 {
		for _, ch := range channels {
			spublish(t, c, ch, fmt.Sprint("m-", i))
		}
	}
	for _, ch := range channels {
		spublish(t, c, ch, "end")
	}
	got := map[string][]string{}
	for ended := 0; ended < len(channels); {
		m := nextMessage(t, sub)
		require.Equal(t, redactor.KindSMessage, m.Kind)
		got[m.Channel] = append(got[m.Channel], m.Payload)
		if m.Payload == "end" {
			ended++
		}
	}
	for _, ch := range channels {
		assert.Equal(t, []string{"m-0", "m-1", "m-2", "end"}, got[ch], ch)
	}
	assert.Len(t, got, len(channels))
}

// TestSubscriptionSlowConsumer lets one subscription's buffer overflow: its drops are
// counted, and neither another subscription of the client nor its
// commands notice.
func TestSubscriptionSlowConsumer(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{PubSubBufferSize: 64})
	slow, err := c.Subscribe(ctx, t.Name()+":slow")
	require.NoError(t, err)
	defer slow.Close()
	fast, err := c.Subscribe(ctx, t.Name()+":fast")
	require.NoError(t, err)
	defer fast.Close()

	const n = 200
	received := make(chan []string, 1)
	go func() {
		var payloads []string
		for len(payloads) < n {
			select {
			case m, ok := <-fast.Messages():
				if !ok {
					received <- payloads
					return
				}
				payloads = append(payloads, m.Payload)
			case <-time.After(pubsubWait):
				received <- payloads
				return
			}
		}
		received <- payloads
	}()
	publisher := nthMaster(t, c, 2)
	for i := range n {
		publishOn(t, c, publisher, t.Name()+":slow", fmt.Sprint("m-", i))
		publishOn(t, c, publisher, t.Name()+":fast", fmt.Sprint("m-", i))
		if i%50 == 0 {
			require.NoError(t, c.Do(ctx, "SET", t.Name()+":k", fmt.Sprint(i)).Err, "commands go on")
		}
	}

	payloads := <-received
	require.Len(t, payloads, n, "the other subscription got every message")
	for i, p := range payloads {
		require.Equal(t, fmt.Sprint("m-", i), p)
	}
	assert.Zero(t, fast.Dropped())

	require.Eventually(t, func() bool { return slow.Dropped() == n-64 }, pubsubWait, time.Millisecond,
		"every message beyond the buffer is counted: %d", slow.Dropped())
	for i := range 64 {
		assert.Equal(t, fmt.Sprint("m-", i), nextMessage(t, slow).Payload, "the buffer kept the first ones")
	}
	assert.Empty(t, slow.Messages())
	assert.Equal(t, uint64(n-64), slow.Dropped())
}

// TestSubscriptionClose closes subscriptions itself and through the
// client, and checks that nothing of theirs is left running.
func TestSubscriptionClose(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	ctx := testContext(t)
	c, err := redactor.New(ctx, redactor.Config{Addrs: cluster.Addrs()[:1]})
	require.NoError(t, err)

	sub, err := c.SSubscribe(ctx, shardChannels(t, 10)...)
	require.NoError(t, err)
	require.NoError(t, sub.Close())
	_, open := <-sub.Messages()
	assert.False(t, open, "Close closes Messages")
	assert.NoError(t, sub.Close(), "Close is idempotent")
	assert.ErrorIs(t, sub.Subscribe(ctx, "more"), redactor.ErrClosed)
	assert.ErrorIs(t, sub.Unsubscribe(ctx, "more"), redactor.ErrClosed)

	byClient, err := c.PSubscribe(ctx, t.Name()+":*")
	require.NoError(t, err)
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = c.Subscribe(canceled, t.Name())
	assert.ErrorIs(t, err, context.Canceled)

	require.NoError(t, c.Close())
	_, open = <-byClient.Messages()
	assert.False(t, open, "Client.Close closes the subscriptions")
	_, err = c.Subscribe(ctx, t.Name())
	assert.ErrorIs(t, err, redactor.ErrClosed)
	goleak.VerifyNone(t, ignore)
}

func TestSubscribeErrors(t *testing.T) {
	c := newClient(t, redactor.Config{})
	ctx := testContext(t)
	sub, err := c.Subscribe(ctx, t.Name())
	require.NoError(t, err)
	defer sub.Close()
	tests := []struct {
		name    string
		call    func() error
		wantErr error
	}{
		{"Subscribe without channels", func() error { _, err := c.Subscribe(ctx); return err }, redactor.ErrNoChannels},
		{"PSubscribe without patterns", func() error { _, err := c.PSubscribe(ctx); return err }, redactor.ErrNoChannels},
		{"SSubscribe without channels", func() error { _, err := c.SSubscribe(ctx); return err }, redactor.ErrNoChannels},
		{"adding no channels", func() error { return sub.Subscribe(ctx) }, redactor.ErrNoChannels},
		{"removing no channels", func() error { return sub.Unsubscribe(ctx) }, redactor.ErrNoChannels},
		{"SUBSCRIBE on the shared connection", func() error { return c.Do(ctx, "SUBSCRIBE", "x").Err }, redactor.ErrNotPipelinable},
		{"SSUBSCRIBE on the shared connection", func() error { return c.Do(ctx, "SSUBSCRIBE", "x").Err }, redactor.ErrNotPipelinable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.ErrorIs(t, tt.call(), tt.wantErr)
		})
	}
}

// TestSubscriptionAddRemove changes a shard subscription's channels: added
// ones deliver, removed ones no longer do.
func TestSubscriptionAddRemove(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{})
	channels := shardChannels(t, 6)
	sub, err := c.SSubscribe(ctx, channels[:3]...)
	require.NoError(t, err)
	defer sub.Close()

	require.NoError(t, sub.Subscribe(ctx, channels[3:]...))
	require.NoError(t, sub.Unsubscribe(ctx, channels[:2]...))
	for _, ch := range channels {
		r := c.Do(ctx, "SPUBLISH", ch, "hello "+ch)
		require.NoError(t, r.Err)
	}
	var got []string
	for range channels[2:] {
		m := nextMessage(t, sub)
		got = append(got, m.Channel)
	}
	assert.ElementsMatch(t, channels[2:], got)
	spublish(t, c, channels[5], "last")
	assert.Equal(t, "last", nextMessage(t, sub).Payload, "nothing of the removed channels came")
}

// TestSubscriptionDeliverToActor sends a subscription's messages to an actor: those
// already waiting first, then the new ones.
func TestSubscriptionDeliverToActor(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{})
	received := make(chan *redactor.Message, 16)
	props := actor.PropsFromFunc(func(ctx actor.Context) {
		if m, ok := ctx.Message().(*redactor.Message); ok {
			received <- m
		}
	}, actor.WithMailbox(actor.BoundedDropping(1024)))
	root := c.ActorSystem().Root
	pid := root.Spawn(props)
	defer func() { _ = root.StopFuture(pid).Wait() }()

	ch := t.Name()
	sub, err := c.Subscribe(ctx, ch)
	require.NoError(t, err)
	defer sub.Close()
	publisher := nthMaster(t, c, 0)
	for i := range 3 {
		publishOn(t, c, publisher, ch, fmt.Sprint("m-", i))
	}
	require.Eventually(t, func() bool { return len(sub.Messages()) == 3 }, pubsubWait, time.Millisecond)
	sub.DeliverTo(pid)
	for i := 3; i < 6; i++ {
		publishOn(t, c, publisher, ch, fmt.Sprint("m-", i))
	}
	for i := range 6 {
		select {
		case m := <-received:
			assert.Equal(t, &redactor.Message{Kind: redactor.KindMessage, Channel: ch, Payload: fmt.Sprint("m-", i)}, m)
		case <-time.After(pubsubWait):
			t.Fatalf("the actor got %d messages, not 6", i)
		}
	}
	assert.Empty(t, sub.Messages())
}

// The tests' cluster stands in for yours.
func ExampleClient_SSubscribe() {
	ctx := context.Background()
	c, err := redactor.New(ctx, redactor.Config{Addrs: cluster.Addrs()[:1]})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	// Shard channels of two slots: one SSUBSCRIBE each, on their masters.
	sub, err := c.SSubscribe(ctx, "example:orders:{eu}", "example:orders:{us}")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sub.Close()

	for _, ch := range []string{"example:orders:{eu}", "example:orders:{us}"} {
		if r := c.Do(ctx, "SPUBLISH", ch, "order for "+ch); r.Err != nil {
			fmt.Println(r.Err)
			return
		}
		select {
		case m := <-sub.Messages():
			fmt.Println(m.Kind, m.Channel, m.Payload)
		case <-time.After(10 * time.Second):
			fmt.Println("no message")
		}
	}
	// Output:
	// smessage example:orders:{eu} order for example:orders:{eu}
	// smessage example:orders:{us} order for example:orders:{us}
}

// subscribedBesideHungMaster starts a proxied cluster and a client that
// subscribed to shard channel other, then makes the master of channel ch
// (another master than other's, and not the client's seed) swallow
// everything, until heal or the end of the test.
func subscribedBesideHungMaster(t *testing.T) (c *redactor.Client, sub *redactor.Subscription, ch, other string, heal func()) {
	t.Helper()
	pc := startProxiedCluster(t, localcluster.Config{Masters: 3})
	ctx := testContext(t)
	ch = t.Name()
	owner := ownerIn(t, pc.Cluster, ch)
	for i := 0; other == ""; i++ {
		if cand := fmt.Sprintf("%s-%d", ch, i); ownerIn(t, pc.Cluster, cand) != owner {
			other = cand
		}
	}
	seed := pc.Addrs()[0]
	if seed == owner {
		seed = pc.Addrs()[1]
	}
	c, err := redactor.New(ctx, redactor.Config{Addrs: []string{pc.proxyOf(t, seed).Addr()}})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	sub, err = c.SSubscribe(ctx, other)
	require.NoError(t, err)
	t.Cleanup(func() { sub.Close() })

	hung := pc.proxyOf(t, owner)
	hung.Blackhole(true)
	heal = func() { hung.Blackhole(false) }
	t.Cleanup(heal)
	return c, sub, ch, other, heal
}

// TestSubscribeTimesOutOnHungNode subscribes to a shard channel whose
// master swallows everything: the call's context ends before the server
// confirms, so the call fails with the context's error, for a new
// subscription and for a channel added to one, and the channel is not
// left half wanted. (A withdrawn request used to be answered with nil by
// its own withdrawal: SSubscribe returned a subscription that listened to
// nothing.)
func TestSubscribeTimesOutOnHungNode(t *testing.T) {
	ctx := testContext(t)
	c, sub, ch, other, _ := subscribedBesideHungMaster(t)
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	hung, err := c.SSubscribe(short, ch)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Nil(t, hung)

	short, cancel = context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, sub.Subscribe(short, ch), context.DeadlineExceeded)
	// The subscription still works for what it had.
	spublish(t, c, other, "still")
	assert.Equal(t, "still", nextMessage(t, sub).Payload)
}

// TestSubscribeWithdrawKeepsOthersChannels: two calls on one subscription
// ask for the same channel of a hung master; the first gives up, the
// second still waits for it and fails only at its own deadline, instead
// of being told the channel is subscribed once the first withdrew it.
func TestSubscribeWithdrawKeepsOthersChannels(t *testing.T) {
	ctx := testContext(t)
	c, sub, ch, other, heal := subscribedBesideHungMaster(t)
	first := make(chan error, 1)
	go func() {
		short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		first <- sub.Subscribe(short, ch)
	}()
	time.Sleep(50 * time.Millisecond) // the first call's channel is its own
	long, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	start := time.Now()
	err := sub.Subscribe(long, ch)
	assert.ErrorIs(t, <-first, context.DeadlineExceeded)
	assert.ErrorIs(t, err, context.DeadlineExceeded, "the second call returned after %v", time.Since(start))
	// Both gave up: the channel is no longer wanted, so the subscription
	// works on with what it had, and later asks for it afresh.
	heal()
	spublish(t, c, other, "still")
	assert.Equal(t, "still", nextMessage(t, sub).Payload)
	require.NoError(t, sub.Subscribe(ctx, ch))
	spublish(t, c, ch, "now")
	assert.Equal(t, "now", nextMessage(t, sub).Payload)
}
