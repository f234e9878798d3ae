package actors

import (
	"errors"
	"fmt"
	"strings"

	"github.com/redactor-go/redactor/resp"
	"github.com/redactor-go/redactor/topology"
)

// A multi-key command whose tips say request_policy:multi_shard (MGET,
// MSET, DEL, UNLINK, EXISTS, TOUCH) and whose keys span slots is split: one
// part per slot, each a command of its own with that slot's keys, in its
// place in the batch of the slot's master. The parts are batch positions
// past len(Commands), as the copies of a fanned-out command are
// (fanout.go); each follows MOVED, ASK and retries on its own, routed by
// its slot, and their replies merge into the command's one Result by its
// response_policy when the Exec is done (MGET's values in the caller's
// key order). A split command is not atomic. Inside a MULTI block it is
// never split: the block keeps ErrCrossSlot.

// keyLayout is where the keys of a split command lie in its arguments: the
// first at first, then one every step up to the end, the step-1 arguments
// after each key going with it (MSET's value). The zero keyLayout is no
// split.
type keyLayout struct {
	first, step int
}

// count returns the number of keys in args.
func (l keyLayout) count(args []string) int {
	return (len(args) - l.first) / l.step
}

// key returns the key of ordinal ord (0 for the first).
func (l keyLayout) key(args []string, ord int) string {
	return args[l.first+ord*l.step]
}

// splitLayout reports whether args, a call of info whose keys (more than
// one) are at the positions keys, may be split by slot, and how its keys
// lie. It may when its policy is multi_shard, it runs on the shared
// connection, and its keys, evenly spaced, each with the arguments that
// follow it, make up the rest of its arguments (MGET k1 k2, MSET k1 v1 k2
// v2): then any subset of them, in order, after the arguments before the
// first key, is a command of its own.
func splitLayout(info *resp.CommandInfo, args []string, keys []int) (keyLayout, bool) {
	if info == nil || info.Policy.Request != resp.RequestMultiShard || info.Class != resp.ClassPipelined || len(keys) < 2 {
		return keyLayout{}, false
	}
	l := keyLayout{first: keys[0], step: keys[1] - keys[0]}
	if l.first < 1 || l.step < 1 || l.first+len(keys)*l.step != len(args) {
		return keyLayout{}, false
	}
	for j := 2; j < len(keys); j++ {
		if keys[j]-keys[j-1] != l.step {
			return keyLayout{}, false
		}
	}
	return l, true
}

// splitOf reports whether args, which the coordinator's locate (or
// shardOf) just refused with err, is split by slot instead, and how its
// keys lie: when err is ErrCrossSlot and splitLayout allows it. It reads
// the key positions locate left in c.keys. Only routing outside
// transactions asks; the callers' goroutines (Preroute) never split.
func (c *coordinator) splitOf(info *resp.CommandInfo, args []string, err error) (keyLayout, bool) {
	if !errors.Is(err, ErrCrossSlot) {
		return keyLayout{}, false
	}
	return splitLayout(info, args, c.keys)
}

// splitBySlot returns the parts of args, whose keys lie by l: one per slot,
// in the order of their first keys, each holding its own command (the
// arguments before the first key, then its slot's keys with their
// arguments, in the caller's order), its slot and the ordinals of its keys.
// The parts' arguments share one array, and so do their ordinals.
func splitBySlot(args []string, l keyLayout) []part {
	n := l.count(args)
	partOf := make([]int, n) // by key ordinal
	bySlot := make(map[uint16]int)
	var parts []part
	var counts []int // keys per part
	for o := range n {
		slot := topology.Slot(l.key(args, o))
		k, ok := bySlot[slot]
		if !ok {
			k = len(parts)
			bySlot[slot] = k
			parts = append(parts, part{slot: int(slot)})
			counts = append(counts, 0)
		}
		partOf[o] = k
		counts[k]++
	}
	argBuf := make([]string, len(parts)*l.first+n*l.step)
	ordBuf := make([]int, n)
	next := make([]int, len(parts)) // per part: where its next key goes
	off, ordOff := 0, 0
	for k, count := range counts {
		size := l.first + count*l.step
		p := &parts[k]
		p.args = argBuf[off : off+size : off+size]
		copy(p.args, args[:l.first])
		p.ords = ordBuf[ordOff : ordOff : ordOff+count]
		next[k] = l.first
		off += size
		ordOff += count
	}
	for o, k := range partOf {
		p := &parts[k]
		at := l.first + o*l.step
		copy(p.args[next[k]:], args[at:at+l.step])
		next[k] += l.step
		p.ords = append(p.ords, o)
	}
	return parts
}

// groupSplit sends the parts of command i, split by l, each in its place in
// the batch of its slot's master, and returns the shard of the last one
// (current, the shard keyless commands join, when none was routed).
func (c *coordinator) groupSplit(g *chains, e *Exec, i int, info *resp.CommandInfo, l keyLayout, current int, wrote []bool, fail func(int, error)) int {
	args := e.Commands[i]
	split := splitBySlot(args, l)
	f := fan{cmd: i, first: len(e.parts), n: len(split), policy: info.Policy.Response, keys: l}
	e.fans = append(e.fans, f)
	for k := range split {
		split[k].cmd = i
	}
	e.parts = append(e.parts, split...)
	for k := range split {
		pos := len(e.Commands) + f.first + k
		shard, ok := c.routeSplitPart(g, e, pos, fail)
		if !ok {
			continue
		}
		current = shard
		if info.Flags.Has(resp.FlagWrite) {
			wrote[shard] = true
		}
	}
	return current
}

// routeSplitPart appends the split part at batch position pos to the batch
// of its slot's master, and returns that master's shard; a slot without a
// master fails the part (fail retries it later).
func (c *coordinator) routeSplitPart(g *chains, e *Exec, pos int, fail func(int, error)) (int, bool) {
	p := &e.parts[pos-len(e.Commands)]
	shard, ok := c.routes.Map.ShardIndex(uint16(p.slot))
	if !ok {
		fail(pos, fmt.Errorf("%w: slot %d (%s part)", ErrSlotNotServed, p.slot, p.args[0]))
		return -1, false
	}
	p.addr = c.routes.Map.Shards()[shard].Master
	g.add(c.routes.Nodes[shard], p.addr, pos)
	return shard, true
}

// byKey merges the array replies of a split command's parts into one, in
// the caller's key order (MGET: each part's values go back to the places
// of its keys).
func (m *merger) byKey(parts []part) Result {
	out := make([]any, m.keys.count(m.args))
	for _, p := range parts {
		arr, ok := p.result.Value.([]any)
		if !ok || len(arr) != len(p.ords) {
			return Result{Err: fmt.Errorf("redactor: %s %s: reply %T, want an array of one value per key", m.name, m.where(p), p.result.Value)}
		}
		for j, o := range p.ords {
			out[o] = arr[j]
		}
	}
	return Result{Value: out}
}

// maxNamedKeys bounds the keys an error names for one part.
const maxNamedKeys = 10

// keyList names the keys of ordinals ords of args, whose keys lie by l:
// "[a b c]", the first maxNamedKeys of them and how many more.
func keyList(args []string, l keyLayout, ords []int) string {
	var b strings.Builder
	b.WriteByte('[')
	for j, o := range ords {
		if j == maxNamedKeys {
			fmt.Fprintf(&b, " ... %d more", len(ords)-j)
			break
		}
		if j > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(l.key(args, o))
	}
	b.WriteByte(']')
	return b.String()
}

// keyed reports whether batch position i is routed by its keys: a command,
// or a part of a split command (not a copy of a fanned-out one, which
// runs on the node it is for).
func (e *Exec) keyed(i int) bool {
	n := len(e.Commands)
	return i < n || e.parts[i-n].ords != nil
}
