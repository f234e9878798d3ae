package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"time"

	"github.com/redactor-go/redactor"
)

// remote changes a cluster the program did not start (-addrs with
// -reshard) with the commands redis-cli --cluster reshard and CLUSTER
// FAILOVER use, sent with the client's DoOn.
type remote struct{ c *redactor.Client }

var _ admin = remote{}

// SlotsOf returns the slots the master at addr serves, from its CLUSTER
// SLOTS: entries of start, end, then the master's host and port.
func (r remote) SlotsOf(ctx context.Context, addr string) ([]int, error) {
	entries, err := r.c.DoOn(ctx, addr, "CLUSTER", "SLOTS").Slice()
	if err != nil {
		return nil, err
	}
	var slots []int
	for _, e := range entries {
		f, ok := e.([]any)
		if !ok || len(f) < 3 {
			return nil, fmt.Errorf("CLUSTER SLOTS: unexpected entry %v", e)
		}
		start, _ := f[0].(int64)
		end, _ := f[1].(int64)
		master, _ := f[2].([]any)
		if len(master) < 2 || net.JoinHostPort(fmt.Sprint(master[0]), fmt.Sprint(master[1])) != addr {
			continue
		}
		for s := start; s <= end; s++ {
			slots = append(slots, int(s))
		}
	}
	slices.Sort(slots)
	return slots, nil
}

// MoveSlots moves each slot as redis-cli does: IMPORTING on the target,
// MIGRATING on the source, MIGRATE of its keys (100 at a time), then the
// slot assigned to the target on both; the other masters learn it by
// gossip.
func (r remote) MoveSlots(ctx context.Context, slots []int, from, to string) error {
	fromID, err := r.c.DoOn(ctx, from, "CLUSTER", "MYID").Text()
	if err != nil {
		return err
	}
	toID, err := r.c.DoOn(ctx, to, "CLUSTER", "MYID").Text()
	if err != nil {
		return err
	}
	host, port, err := net.SplitHostPort(to)
	if err != nil {
		return err
	}
	for _, s := range slots {
		slot := strconv.Itoa(s)
		if err := r.do(ctx, to, "CLUSTER", "SETSLOT", slot, "IMPORTING", fromID); err != nil {
			return err
		}
		if err := r.do(ctx, from, "CLUSTER", "SETSLOT", slot, "MIGRATING", toID); err != nil {
			return err
		}
		for {
			keys, err := r.c.DoOn(ctx, from, "CLUSTER", "GETKEYSINSLOT", slot, "100").Slice()
			if err != nil {
				return err
			}
			if len(keys) == 0 {
				break
			}
			args := []string{host, port, "", "0", "5000", "KEYS"}
			for _, k := range keys {
				args = append(args, fmt.Sprint(k))
			}
			if err := r.do(ctx, from, "MIGRATE", args...); err != nil {
				return err
			}
		}
		for _, node := range []string{to, from} {
			if err := r.do(ctx, node, "CLUSTER", "SETSLOT", slot, "NODE", toID); err != nil {
				return err
			}
		}
	}
	return nil
}

// Failover sends CLUSTER FAILOVER to the replica and waits until it says it
// is a master.
func (r remote) Failover(ctx context.Context, replica string) error {
	if err := r.do(ctx, replica, "CLUSTER", "FAILOVER"); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		role, err := r.c.DoOn(ctx, replica, "ROLE").Slice()
		if err == nil && len(role) > 0 && role[0] == "master" {
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.Join(fmt.Errorf("failover to %s: %w", replica, ctx.Err()), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// do runs one command on the node at addr and returns its error.
func (r remote) do(ctx context.Context, addr, cmd string, args ...string) error {
	if err := r.c.DoOn(ctx, addr, cmd, args...).Err; err != nil {
		return fmt.Errorf("%s on %s: %w", cmd, addr, err)
	}
	return nil
}
