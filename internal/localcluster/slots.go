package localcluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// ErrInvalidSlot is returned (wrapped) for a slot outside [0, 16383].
var ErrInvalidSlot = errors.New("localcluster: invalid slot")

// checkSlot returns an error wrapping ErrInvalidSlot unless 0 <= slot < 16384.
func checkSlot(slot int) error {
	if slot < 0 || slot >= maxSlots {
		return fmt.Errorf("%w: %d is not in [0, %d]", ErrInvalidSlot, slot, maxSlots-1)
	}
	return nil
}

// nodeByAddr returns the node whose client address is addr, killed or not, or
// an error wrapping ErrUnknownNode.
func (c *Cluster) nodeByAddr(addr string) (*node, error) {
	for _, n := range c.nodes { // fixed once Start returns
		if n != nil && n.info.Addr == addr {
			return n, nil
		}
	}
	return nil, fmt.Errorf("%w: %s", ErrUnknownNode, addr)
}

// slotView returns the CLUSTER NODES view of the first live node that answers,
// masters first: after FinishMigration all masters agree on the slot owners,
// while replicas learn of the change by gossip.
func (c *Cluster) slotView(ctx context.Context) ([]nodeEntry, error) {
	live, err := c.live()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	slices.SortStableFunc(live, func(a, b *node) int {
		switch {
		case a.info.Master == b.info.Master:
			return 0
		case a.info.Master:
			return -1
		default:
			return 1
		}
	})
	c.mu.Unlock()
	var errs []error
	for _, n := range live {
		view, err := n.view(ctx)
		if err == nil {
			return view, nil
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("localcluster: no node answered CLUSTER NODES: %w", errors.Join(errs...))
}

// SlotOwner returns the client address of the master serving slot, as seen
// in the CLUSTER NODES of a live master (of a replica when no master
// answers). During a migration that is the source until FinishMigration.
func (c *Cluster) SlotOwner(ctx context.Context, slot int) (string, error) {
	if err := checkSlot(slot); err != nil {
		return "", err
	}
	view, err := c.slotView(ctx)
	if err != nil {
		return "", err
	}
	for _, e := range view {
		for _, r := range e.Slots {
			if r[0] <= slot && slot <= r[1] {
				return c.addrOfID(e.ID)
			}
		}
	}
	return "", fmt.Errorf("localcluster: slot %d is not assigned", slot)
}

// SlotsOf returns, in increasing order, the slots served by the master whose
// client address is addr, as seen by SlotOwner; none for a replica.
func (c *Cluster) SlotsOf(ctx context.Context, addr string) ([]int, error) {
	n, err := c.nodeByAddr(addr)
	if err != nil {
		return nil, err
	}
	view, err := c.slotView(ctx)
	if err != nil {
		return nil, err
	}
	var slots []int
	for _, e := range view {
		if e.ID != n.info.ID {
			continue
		}
		for _, r := range e.Slots {
			for s := r[0]; s <= r[1]; s++ {
				slots = append(slots, s)
			}
		}
	}
	return slots, nil
}

// addrOfID returns the client address of the node with the given ID.
func (c *Cluster) addrOfID(id string) (string, error) {
	for _, n := range c.nodes {
		if n != nil && n.info.ID == id {
			return n.info.Addr, nil
		}
	}
	return "", fmt.Errorf("%w: no node has ID %s", ErrUnknownNode, id)
}
