package actors

import (
	"fmt"

	"github.com/redactor-go/redactor/resp"
	"github.com/redactor-go/redactor/topology"
)

// location is where a command goes by its keys.
type location struct {
	// shard is the index of the shard serving the keys, -1 for a command
	// without keys or one the command table does not know (the server
	// will answer it, or redirect it).
	shard int
	// slot is the keys' slot, -1 without keys.
	slot int
	// info is the command's table entry, nil when unknown.
	info *resp.CommandInfo
}

// locate finds where args goes by routes, using scratch for the key
// positions (returned for reuse). It has no state: the callers' goroutines
// (Exec.Preroute) and the coordinator share it. A command whose keys span
// slots gets ErrCrossSlot; the coordinator may split it instead (splitOf).
func locate(routes *topology.Routes, args []string, scratch []int) (location, []int, error) {
	loc := location{shard: -1, slot: -1}
	if len(args) == 0 || args[0] == "" {
		return loc, scratch, ErrEmptyCommand
	}
	info, known := routes.Commands.Lookup(args)
	if !known {
		return loc, scratch, nil
	}
	loc.info = info
	keys := info.KeyPositions(args, scratch)
	if len(keys) == 0 {
		return loc, keys, nil
	}
	slot := topology.Slot(args[keys[0]])
	loc.slot = int(slot)
	for _, k := range keys[1:] {
		if topology.Slot(args[k]) != slot {
			return loc, keys, fmt.Errorf("%w (%s)", ErrCrossSlot, args[0])
		}
	}
	shard, ok := routes.Map.ShardIndex(slot)
	if !ok {
		return loc, keys, fmt.Errorf("%w: slot %d (%s)", ErrSlotNotServed, slot, args[0])
	}
	loc.shard = shard
	return loc, keys, nil
}

// locate is locate with the coordinator's scratch space; it notes a
// command the table does not know, to reload the table.
func (c *coordinator) locate(routes *topology.Routes, args []string) (location, error) {
	loc, keys, err := locate(routes, args, c.keys[:0])
	c.keys = keys
	if err == nil && loc.info == nil {
		c.sawUnknown = true
	}
	return loc, err
}

// shardOf returns the shard of args (see location) and its table entry.
func (c *coordinator) shardOf(routes *topology.Routes, args []string) (shard int, info *resp.CommandInfo, err error) {
	loc, err := c.locate(routes, args)
	return loc.shard, loc.info, err
}

// special reports whether a command needs more than its keys to be routed:
// anything but a plain pipelined command on one node.
func special(info *resp.CommandInfo) bool {
	if info == nil {
		return false
	}
	return info.Class != resp.ClassPipelined || fansOut(info)
}

// fansOut reports whether the command runs on several nodes by its policy.
func fansOut(info *resp.CommandInfo) bool {
	return info.Policy.Request == resp.RequestAllShards || info.Policy.Request == resp.RequestAllNodes
}

// positionsOf returns how many positions of e a routing pass works on, and
// the j-th of them: every command when idx is nil, else idx.
func positionsOf(e *Exec, idx []int) (n int, at func(j int) int) {
	if idx == nil {
		return len(e.Commands), func(j int) int { return j }
	}
	return len(idx), func(j int) int { return idx[j] }
}
