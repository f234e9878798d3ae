package localcluster

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// nodeEntry is one line of CLUSTER NODES.
type nodeEntry struct {
	ID       string
	Port     int // announced client port
	BusPort  int // announced cluster-bus port
	Flags    []string
	MasterID string   // "" unless the node is a replica
	Slots    [][2]int // inclusive ranges, sorted
}

// has reports whether the entry carries the flag.
func (e nodeEntry) has(flag string) bool { return slices.Contains(e.Flags, flag) }

// parseClusterNodes parses the reply of CLUSTER NODES:
//
//	<id> <ip:port@cport[,hostname]> <flags> <master> <ping-sent> <pong-recv> <config-epoch> <link-state> <slot>...
func parseClusterNodes(s string) ([]nodeEntry, error) {
	var entries []nodeEntry
	for line := range strings.Lines(s) {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) < 8 {
			return nil, fmt.Errorf("localcluster: CLUSTER NODES: short line %q", line)
		}
		e := nodeEntry{ID: f[0], Flags: strings.Split(f[2], ",")}
		if f[3] != "-" {
			e.MasterID = f[3]
		}
		addr, _, _ := strings.Cut(f[1], ",")
		addr, bus, _ := strings.Cut(addr, "@")
		if i := strings.LastIndexByte(addr, ':'); i >= 0 {
			e.Port, _ = strconv.Atoi(addr[i+1:])
		}
		e.BusPort, _ = strconv.Atoi(bus)
		for _, tok := range f[8:] {
			if strings.HasPrefix(tok, "[") { // slot being imported or migrated
				continue
			}
			lo, hi, isRange := strings.Cut(tok, "-")
			if !isRange {
				hi = lo
			}
			a, errA := strconv.Atoi(lo)
			b, errB := strconv.Atoi(hi)
			if errA != nil || errB != nil || a < 0 || b < a || b >= maxSlots {
				return nil, fmt.Errorf("localcluster: CLUSTER NODES: bad slot range %q in line %q", tok, line)
			}
			e.Slots = append(e.Slots, [2]int{a, b})
		}
		slices.SortFunc(e.Slots, func(x, y [2]int) int { return x[0] - y[0] })
		entries = append(entries, e)
	}
	return entries, nil
}

// slotMap is the owner of each slot range in one node's view, as a canonical
// string ("0-5460=<id> 5461-10922=<id> ..."), so that views compare with ==.
// It fails unless the ranges cover all slots exactly once.
func slotMap(entries []nodeEntry) (string, error) {
	type owned struct {
		r  [2]int
		id string
	}
	var all []owned
	for _, e := range entries {
		for _, r := range e.Slots {
			all = append(all, owned{r, e.ID})
		}
	}
	slices.SortFunc(all, func(x, y owned) int { return x.r[0] - y.r[0] })
	var b strings.Builder
	next := 0
	for _, o := range all {
		switch {
		case o.r[0] < next:
			return "", fmt.Errorf("localcluster: slot %d assigned twice", o.r[0])
		case o.r[0] > next:
			return "", fmt.Errorf("localcluster: slots %d-%d unassigned", next, o.r[0]-1)
		}
		fmt.Fprintf(&b, "%d-%d=%s ", o.r[0], o.r[1], o.id)
		next = o.r[1] + 1
	}
	if next != maxSlots {
		return "", fmt.Errorf("localcluster: slots %d-%d unassigned", next, maxSlots-1)
	}
	return b.String(), nil
}

// parseInfo parses "key:value" lines, as in the replies of CLUSTER INFO and
// INFO; comments and blank lines are skipped.
func parseInfo(s string) map[string]string {
	m := map[string]string{}
	for line := range strings.Lines(s) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[k] = v
		}
	}
	return m
}
