package actors

import (
	"fmt"

	"github.com/redactor-go/redactor/resp"
	"github.com/redactor-go/redactor/topology"
)

// shardOf returns the index of the shard serving args' keys, or -1 for a
// command without keys (or one the command table does not know: the server
// will answer it, or redirect it), and the command's table entry (nil when
// unknown).
func (c *coordinator) shardOf(routes *topology.Routes, args []string) (shard int, info *resp.CommandInfo, err error) {
	if len(args) == 0 || args[0] == "" {
		return 0, nil, ErrEmptyCommand
	}
	info, known := routes.Commands.Lookup(args)
	if !known {
		c.sawUnknown = true
		return -1, nil, nil
	}
	keys := info.KeyPositions(args, c.keys[:0])
	c.keys = keys
	if len(keys) == 0 {
		return -1, info, nil
	}
	slot := topology.Slot(args[keys[0]])
	c.lastSlot = slot
	for _, k := range keys[1:] {
		if topology.Slot(args[k]) != slot {
			return 0, info, fmt.Errorf("%w (%s)", ErrCrossSlot, args[0])
		}
	}
	shard, ok := routes.Map.ShardIndex(slot)
	if !ok {
		return 0, info, fmt.Errorf("%w: slot %d (%s)", ErrSlotNotServed, slot, args[0])
	}
	return shard, info, nil
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
