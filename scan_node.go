package redactor

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// nodeState is what a master says of itself before and after Scan runs
// SCAN on it to the end: together the two tell which of its slots it held,
// with all their keys, for the whole time (see confirmedSlots).
type nodeState struct {
	// id is the node's cluster ID, runID the ID of its process (a restart
	// changes it) and replID its replication ID (a failover that made it a
	// replica and then a master again changes it).
	id, runID, replID string
	// master reports whether the node is a master.
	master bool
	// epoch is the node's config epoch: it grows when the node takes slots
	// over by a failover, and usually when it finishes importing a slot.
	epoch uint64
	// restores counts the RESTORE and RESTORE-ASKING calls the node ran:
	// every key that migrates into it is one, so it grows whenever keys
	// come in, including keys of a slot that left and came back.
	restores uint64
	// stable are the slots the node serves and is neither migrating nor
	// importing.
	stable slotSet
	// claimed are the slots any node of its view serves, failed ones too.
	claimed slotSet
}

// errNodeState is a reply to CLUSTER NODES or INFO that Scan cannot read.
var errNodeState = errors.New("redactor: scan: unexpected reply about the node's state")

// nodeState asks the node at addr about itself, in one round trip.
func (c *Client) nodeState(ctx context.Context, addr string) (nodeState, error) {
	p := c.Pipeline(WithNode(addr))
	p.Do("CLUSTER", "NODES")
	p.Do("INFO", "server")
	p.Do("INFO", "replication")
	p.Do("INFO", "commandstats")
	results, err := p.Exec(ctx)
	if err != nil {
		return nodeState{}, err
	}
	texts := make([]string, len(results))
	for i, r := range results {
		if r.Err != nil {
			return nodeState{}, r.Err
		}
		s, ok := r.Value.(string)
		if !ok {
			return nodeState{}, fmt.Errorf("%w: %T from %s", errNodeState, r.Value, addr)
		}
		texts[i] = s
	}
	st, err := parseClusterNodes(texts[0])
	if err != nil {
		return nodeState{}, fmt.Errorf("%w: CLUSTER NODES of %s: %w", errNodeState, addr, err)
	}
	info := parseInfo(texts[1] + texts[2] + texts[3])
	st.runID, st.replID = info["run_id"], info["master_replid"]
	if st.runID == "" {
		return nodeState{}, fmt.Errorf("%w: INFO server of %s has no run_id", errNodeState, addr)
	}
	for _, name := range []string{"cmdstat_restore", "cmdstat_restore-asking"} {
		st.restores += statCalls(info[name])
	}
	return st, nil
}

// parseClusterNodes reads the node's own line of CLUSTER NODES ("myself"),
// and the slots every line claims:
//
//	<id> <ip:port@cport> <flags> <master> <ping> <pong> <epoch> <link> <slot>...
//
// A slot token is "first-last", "slot", "[slot->-id]" (migrating to id) or
// "[slot-<-id]" (importing from id); only the node's own line has the last
// two.
func parseClusterNodes(text string) (nodeState, error) {
	var st nodeState
	found := false
	for line := range strings.Lines(text) {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) < 8 {
			return st, fmt.Errorf("short line %q", line)
		}
		var owned, moving slotSet
		for _, tok := range f[8:] {
			if strings.HasPrefix(tok, "[") {
				slot, _, ok := strings.Cut(strings.TrimPrefix(tok, "["), "-")
				n, err := strconv.Atoi(slot)
				if !ok || err != nil || n < 0 || n >= len(slotSet{})*64 {
					return st, fmt.Errorf("bad migration %q", tok)
				}
				moving.add(n)
				continue
			}
			first, last, err := parseSlotRange(tok)
			if err != nil {
				return st, err
			}
			owned.addRange(first, last)
		}
		st.claimed.union(&owned)
		flags := strings.Split(f[2], ",")
		if !hasFlag(flags, "myself") {
			continue
		}
		epoch, err := strconv.ParseUint(f[6], 10, 64)
		if err != nil {
			return st, fmt.Errorf("bad config epoch in %q", line)
		}
		found = true
		st.id, st.epoch = f[0], epoch
		st.master = hasFlag(flags, "master")
		st.stable = owned
		st.stable.remove(&moving)
	}
	if !found {
		return st, errors.New("no line flagged myself")
	}
	return st, nil
}

func hasFlag(flags []string, flag string) bool {
	for _, f := range flags {
		if f == flag {
			return true
		}
	}
	return false
}

// parseInfo reads INFO's "name:value" lines.
func parseInfo(text string) map[string]string {
	fields := map[string]string{}
	for line := range strings.Lines(text) {
		name, value, ok := strings.Cut(strings.TrimRight(line, "\r\n"), ":")
		if ok && !strings.HasPrefix(name, "#") {
			fields[name] = value
		}
	}
	return fields
}

// statCalls returns the calls of a commandstats value,
// "calls=3,usec=25,...", or 0 when there is none (the command never ran).
func statCalls(stat string) uint64 {
	for field := range strings.SplitSeq(stat, ",") {
		if v, ok := strings.CutPrefix(field, "calls="); ok {
			n, _ := strconv.ParseUint(v, 10, 64)
			return n
		}
	}
	return 0
}

// confirmedSlots returns the slots whose every key a complete SCAN of the
// node between the two states returned, if the key existed all along: the
// slots the node served, not migrating nor importing, at both times, when
// nothing in between can have taken a key of them out and put it back.
//
// A key leaves a master only by being deleted or migrated; for it to be
// back on the same master, serving the same slot, it must migrate back in
// (RESTORE-ASKING or RESTORE: restores grows), or the master must have been
// restarted (runID), reset (id), or demoted and promoted again (replID,
// epoch). A slot that moved out and back without a key in it hides nothing.
// While the key stays in the node's keyspace, SCAN's own guarantee returns
// it.
func confirmedSlots(start, end *nodeState) slotSet {
	if !start.master || !end.master || start.id != end.id || start.runID != end.runID ||
		start.replID != end.replID || start.epoch != end.epoch || start.restores != end.restores {
		return slotSet{}
	}
	s := start.stable
	s.intersect(&end.stable)
	return s
}
