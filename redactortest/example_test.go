package redactortest_test

import (
	"context"
	"fmt"
	"time"

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/redactortest"
	"github.com/redactor-go/redactor/topology"
)

// Start a cluster, use it through a client, stop it. In a test, StartT
// stops it for you.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rc, err := redactortest.Start(ctx, redactortest.Options{Masters: 3})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rc.Stop()

	c, err := redactor.New(ctx, rc.Config())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	fmt.Println(c.Do(ctx, "SET", "greeting", "hello").Value)
	fmt.Println(c.Do(ctx, "GET", "greeting").Value)
	// Output:
	// OK
	// hello
}

// Move a key's slot to another master, then fail that master over to its
// replica, while a client keeps reading the key.
func ExampleCluster_MoveSlots() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rc, err := redactortest.Start(ctx, redactortest.Options{Masters: 2, Replicas: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rc.Stop()
	c, err := redactor.New(ctx, rc.Config())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	const key = "cart:{42}"
	c.Do(ctx, "SET", key, "3 items")
	slot := int(topology.Slot(key))
	from, _ := rc.SlotOwner(ctx, slot)
	to := rc.Addrs()[0]
	if to == from {
		to = rc.Addrs()[1]
	}
	if err := rc.MoveSlots(ctx, []int{slot}, from, to); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("after the move:", c.Do(ctx, "GET", key).Value)

	if err := rc.Failover(ctx, rc.ReplicasOf(to)[0]); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("after the failover:", c.Do(ctx, "GET", key).Value)
	// Output:
	// after the move: 3 items
	// after the failover: 3 items
}
