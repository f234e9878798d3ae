// Command pubsub subscribes to shard channels (SSUBSCRIBE) spread over a
// Redis Cluster's masters, publishes to them (SPUBLISH) and prints what
// arrives.
//
// With no flags it starts a local 3-master cluster of its own (redis-server
// must be installed), and, while subscribed, moves one channel's slot to
// another master: the subscription follows the slot, tells you about the gap
// with a "reconnected" notice, and receives what is published after. With
// -addrs it uses your cluster and moves nothing.
//
//	go run ./examples/pubsub
//	go run ./examples/pubsub -addrs 127.0.0.1:7000
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/internal/localcluster"
	"github.com/redactor-go/redactor/topology"
)

// channels are the demo's shard channels; their hash tags put them in
// different slots.
var channels = []string{"orders:{eu}", "orders:{us}", "orders:{asia}"}

func main() {
	addrs := flag.String("addrs", "", "comma-separated cluster node addresses; empty starts a local 3-master cluster")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout, splitAddrs(*addrs)); err != nil {
		fmt.Fprintln(os.Stderr, "pubsub:", err)
		os.Exit(1)
	}
}

func splitAddrs(s string) []string {
	var addrs []string
	for _, a := range strings.Split(s, ",") {
		if a = strings.TrimSpace(a); a != "" {
			addrs = append(addrs, a)
		}
	}
	return addrs
}

// run connects (starting a local cluster when addrs is empty), subscribes,
// publishes one message per channel and prints them; on its own cluster it
// then moves a channel's slot and shows the subscription following it.
func run(ctx context.Context, w io.Writer, addrs []string) error {
	var lc *localcluster.Cluster
	if len(addrs) == 0 {
		fmt.Fprintln(w, "starting a local 3-master cluster...")
		var err error
		if lc, err = localcluster.Start(ctx, localcluster.Config{Masters: 3}); err != nil {
			return err
		}
		defer lc.Stop()
		addrs = lc.Addrs()
	}

	c, err := redactor.New(ctx, redactor.Config{Addrs: addrs})
	if err != nil {
		return err
	}
	defer c.Close()

	sub, err := c.SSubscribe(ctx, channels...)
	if err != nil {
		return err
	}
	defer sub.Close()
	fmt.Fprintf(w, "subscribed to %s\n", strings.Join(channels, " "))

	for _, ch := range channels {
		if err := publishAndPrint(ctx, w, c, sub, ch, "order 1"); err != nil {
			return err
		}
	}

	if lc != nil {
		if err := moveAndFollow(ctx, w, lc, c, sub); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "dropped: %d\n", sub.Dropped())
	return nil
}

// moveAndFollow moves the slot of the first channel to another master,
// waits for the subscription's notice that it subscribed there, and
// publishes again.
func moveAndFollow(ctx context.Context, w io.Writer, lc *localcluster.Cluster, c *redactor.Client, sub *redactor.Subscription) error {
	ch := channels[0]
	slot := int(topology.Slot(ch))
	from, err := lc.SlotOwner(ctx, slot)
	if err != nil {
		return err
	}
	to := lc.Addrs()[0]
	if to == from {
		to = lc.Addrs()[1]
	}
	fmt.Fprintf(w, "moving slot %d of %s from %s to %s\n", slot, ch, from, to)
	if err := lc.MoveSlots(ctx, []int{slot}, from, to); err != nil {
		return err
	}
	m, err := next(sub)
	if err != nil {
		return err
	}
	if m.Kind != redactor.KindReconnected {
		return fmt.Errorf("expected a reconnected notice, got %s", m.Kind)
	}
	fmt.Fprintf(w, "%s %s: %v\n", m.Kind, strings.Join(m.Channels, " "), m.Reason)
	return publishAndPrint(ctx, w, c, sub, ch, "order 2, after the move")
}

// publishAndPrint publishes payload on channel and prints the message the
// subscription receives.
func publishAndPrint(ctx context.Context, w io.Writer, c *redactor.Client, sub *redactor.Subscription, channel, payload string) error {
	if r := c.Do(ctx, "SPUBLISH", channel, payload); r.Err != nil {
		return r.Err
	}
	m, err := next(sub)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s %s: %s\n", m.Kind, m.Channel, m.Payload)
	return nil
}

// next returns the subscription's next message, waiting at most 10s.
func next(sub *redactor.Subscription) (*redactor.Message, error) {
	select {
	case m, ok := <-sub.Messages():
		if !ok {
			return nil, errors.New("subscription closed")
		}
		return m, nil
	case <-time.After(10 * time.Second):
		return nil, errors.New("no message within 10s")
	}
}
