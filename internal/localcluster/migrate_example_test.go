package localcluster_test

import (
	"context"
	"fmt"
	"time"

	"github.com/redactor-go/redactor/internal/localcluster"
)

// Move the first 100 slots of one master to another, as a test of a cluster
// client would while the client keeps reading and writing them.
func ExampleCluster_MoveSlots() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := localcluster.Start(ctx, localcluster.Config{Masters: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Stop()
	a, b := c.Addrs()[0], c.Addrs()[1]

	slots := make([]int, 100)
	for i := range slots {
		slots[i] = i
	}
	if err := c.MoveSlots(ctx, slots, a, b); err != nil {
		fmt.Println(err)
		return
	}
	owner, _ := c.SlotOwner(ctx, 99)
	fmt.Println("slot 99 moved:", owner == b)
	owner, _ = c.SlotOwner(ctx, 100)
	fmt.Println("slot 100 stayed:", owner == a)
	// Output:
	// slot 99 moved: true
	// slot 100 stayed: true
}
