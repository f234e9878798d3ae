//go:build soak

package soak

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/redactor-go/redactor"
)

// pubsub publishes sequence numbers on shard channels (SPUBLISH) and on a
// channel (PUBLISH), and checks what the subscriptions receive: each
// channel's numbers in order, none twice, and a number missing only when
// the subscription said it was interrupted (a KindReconnected notice for
// the channel since the last message), when the PUBLISH reached no
// subscriber (SPUBLISH answered 0), failed or may not have run, or when a
// master was killed while it ran (the node that took a PUBLISH died before
// passing it on). Messages of the channel may come a little out of order:
// PUBLISH goes to any master, which passes it on to the others.
type pubsub struct {
	c       *redactor.Client
	crashes *crashLog
	counts  *counts

	began time.Time // for the times in notes

	mu        sync.Mutex
	excusals  map[string]map[int]bool // per channel, numbers that may be missing
	published map[string]map[int]span // per channel, when each number's PUBLISH ran
}

// shardChannels are the shard channels, on different slots; plainChannel
// is the channel.
var (
	shardChannels = []string{"soak:ps:{a}", "soak:ps:{b}", "soak:ps:{c}", "soak:ps:{d}", "soak:ps:{e}", "soak:ps:{f}"}
	plainChannel  = "soak:ps:plain"
)

// start subscribes and starts the publisher and the consumers; the
// returned function stops them, waits and closes the subscriptions.
func (ps *pubsub) start(ctx context.Context, stop <-chan struct{}) (wait func(), err error) {
	ps.excusals, ps.published, ps.began = map[string]map[int]bool{}, map[string]map[int]span{}, time.Now()
	sharded, err := ps.c.SSubscribe(ctx, shardChannels...)
	if err != nil {
		return nil, err
	}
	plain, err := ps.c.Subscribe(ctx, plainChannel)
	if err != nil {
		sharded.Close()
		return nil, err
	}
	var wg sync.WaitGroup
	wg.Go(func() { ps.publish(ctx, stop) })
	for _, sub := range []*redactor.Subscription{sharded, plain} {
		wg.Go(func() { ps.consume(sub) })
	}
	return func() {
		// Let the last messages arrive, then end the consumers.
		time.Sleep(500 * time.Millisecond)
		sharded.Close()
		plain.Close()
		wg.Wait()
	}, nil
}

// publish publishes 1, 2, 3... on each channel in turn, a message every
// 2 ms, until stop.
func (ps *pubsub) publish(ctx context.Context, stop <-chan struct{}) {
	channels := append([]string{plainChannel}, shardChannels...)
	seq := map[string]int{}
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		case <-time.After(2 * time.Millisecond):
		}
		ch := channels[i%len(channels)]
		seq[ch]++
		n := seq[ch]
		cmd := "SPUBLISH"
		if ch == plainChannel {
			cmd = "PUBLISH"
		}
		begin := time.Now()
		pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		r := ps.c.Do(pctx, cmd, ch, strconv.Itoa(n))
		cancel()
		ps.mu.Lock()
		if ps.published[ch] == nil {
			ps.published[ch] = map[int]span{}
		}
		ps.published[ch][n] = span{begin, time.Now()}
		ps.mu.Unlock()
		receivers, err := r.Int64()
		switch {
		case r.Err != nil:
			ps.counts.failed(cmd, r.Err)
			ps.excuse(ch, n)
		case err != nil:
			ps.counts.wrongf("%s %s: %v", cmd, ch, short(r.Value))
		case cmd == "SPUBLISH" && receivers == 0:
			ps.excuse(ch, n)
		}
		ps.counts.op(1)
	}
}

// excuse records that number n of channel may be missing. The publisher
// calls it before it publishes n+1, so before any consumer can see the gap.
func (ps *pubsub) excuse(ch string, n int) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.excusals[ch] == nil {
		ps.excusals[ch] = map[int]bool{}
	}
	ps.excusals[ch][n] = true
}

// reorderWindow is how many numbers later a missing number is judged: a
// channel's messages published on different nodes (PUBLISH goes to any
// master, and the cluster bus passes it on) may arrive a little out of
// order.
const reorderWindow = 100

// consume checks the messages of sub until it is closed. A number that
// comes after a gap the subscription did not tell of leaves the missing
// numbers pending; a pending number that is still missing reorderWindow
// numbers later, or at the end, is a wrong delivery.
func (ps *pubsub) consume(sub *redactor.Subscription) {
	last := map[string]int{}             // the highest number received on each channel
	seen := map[string]map[int]bool{}    // the numbers received on each channel
	interrupted := map[string]bool{}     // a notice since the last message
	pending := map[string]map[int]bool{} // numbers missing with no notice, maybe late
	judge := func(ch string, upTo int) {
		for n := range pending[ch] {
			if n > upTo {
				continue
			}
			// The kill that explains it may have been recorded since.
			if !ps.excused(ch, n, sub) {
				ps.counts.wrongf("%s: %d never came, with no notice (published at %s)", ch, n, ps.when(ch, n))
			}
			delete(pending[ch], n)
		}
	}
	for m := range sub.Messages() {
		switch m.Kind {
		case redactor.KindReconnected:
			for _, ch := range m.Channels {
				interrupted[ch] = true
			}
			continue
		case redactor.KindMessage, redactor.KindSMessage:
		default:
			ps.counts.wrongf("message of kind %v", m.Kind)
			continue
		}
		ch := m.Channel
		n, err := strconv.Atoi(m.Payload)
		if err != nil {
			ps.counts.wrongf("payload %q on %s", m.Payload, ch)
			continue
		}
		if seen[ch] == nil {
			seen[ch] = map[int]bool{}
		}
		prev := last[ch]
		switch {
		case seen[ch][n]:
			ps.counts.wrongf("%s: %d delivered twice (published at %s, now %s)", ch, n, ps.when(ch, n), ps.since())
		case n <= prev && pending[ch][n]:
			delete(pending[ch], n) // late, not lost
		case n <= prev:
			ps.counts.wrongf("%s: %d later than %d numbers after it", ch, n, reorderWindow)
		case n > prev+1 && !interrupted[ch]:
			for k := prev + 1; k < n; k++ {
				if !ps.excused(ch, k, sub) {
					if pending[ch] == nil {
						pending[ch] = map[int]bool{}
					}
					pending[ch][k] = true
				}
			}
		}
		seen[ch][n] = true
		if n > prev {
			last[ch] = n
			interrupted[ch] = false
		}
		judge(ch, n-reorderWindow)
	}
	for ch := range pending {
		judge(ch, last[ch])
	}
	if d := sub.Dropped(); d > 0 {
		ps.counts.failed("subscription", fmt.Errorf("%d messages dropped: buffer full", d))
	}
}

// excused reports whether number n of ch may be missing: its PUBLISH
// failed or reached no subscriber, or, on the channel, a master was killed
// while it ran; or the subscription dropped messages.
func (ps *pubsub) excused(ch string, n int, sub *redactor.Subscription) bool {
	if sub.Dropped() > 0 {
		return true
	}
	ps.mu.Lock()
	excused, s := ps.excusals[ch][n], ps.published[ch][n]
	ps.mu.Unlock()
	return excused || ch == plainChannel && ps.crashes.explains("", s.begin, s.end)
}

// when says when number n of ch was published, since the load started.
func (ps *pubsub) when(ch string, n int) string {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	s, ok := ps.published[ch][n]
	if !ok {
		return "?"
	}
	return s.end.Sub(ps.began).Round(time.Millisecond).String()
}

// since says how long the load has run.
func (ps *pubsub) since() string { return time.Since(ps.began).Round(time.Millisecond).String() }
