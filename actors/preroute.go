package actors

import (
	"slices"

	"github.com/redactor-go/redactor/topology"
)

// Preroute finds, on the caller's goroutine, the master of every command of
// e by routes, so that the coordinator only lays out the batches: the
// per-command work of routing (the command table, the keys, CRC16) then
// runs on the callers' goroutines, in parallel, instead of on the
// coordinator's. It is optional. It does nothing for an Exec with a command
// that needs more than its keys (a transaction, a blocking or fanned-out
// command, a multi-key command whose keys span slots, which the
// coordinator may split, an error), and the coordinator routes again when
// its Routes are newer. dst is reused for the result when it has room; Preroute returns
// it for the next call.
func (e *Exec) Preroute(routes *topology.Routes, dst []int32) []int32 {
	e.pre, e.preVersion = nil, 0
	if routes == nil || e.Node != "" {
		return dst
	}
	shards := slices.Grow(dst[:0], len(e.Commands))
	var scratch [8]int
	for _, args := range e.Commands {
		shard, ok := preroute(routes, args, scratch[:0])
		if !ok {
			return shards
		}
		shards = append(shards, int32(shard))
	}
	e.pre, e.preVersion = shards, routes.Version
	return shards
}

// preroute returns the shard of a plain command's keys, -1 for a keyless
// one, or false when the coordinator must route it.
func preroute(routes *topology.Routes, args []string, scratch []int) (int, bool) {
	loc, _, err := locate(routes, args, scratch)
	if err != nil || loc.info == nil || special(loc.info) {
		return 0, false
	}
	return loc.shard, true
}

// prerouted returns the shards Preroute found, when they are by routes and
// for every command (idx nil).
func (e *Exec) prerouted(routes *topology.Routes, idx []int) []int32 {
	if idx != nil || e.pre == nil || e.preVersion != routes.Version || len(e.pre) != len(e.Commands) {
		return nil
	}
	return e.pre
}
