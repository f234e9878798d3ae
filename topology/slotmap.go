package topology

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
)

// ErrMalformedReply is returned for a CLUSTER SHARDS or CLUSTER SLOTS reply
// that does not have the documented shape.
var ErrMalformedReply = errors.New("topology: malformed cluster reply")

// Shard is one master with its replicas and the slot ranges it serves.
type Shard struct {
	// Master is the master's client address, "host:port".
	Master string
	// MasterID is the master's node ID; empty when the reply had none.
	MasterID string
	// Replicas are the client addresses of the master's replicas that have
	// not failed (online, or still loading).
	Replicas []string
	// Ranges are the inclusive slot ranges the master serves.
	Ranges []SlotRange
	// Hostnames are the host names the shard's nodes announce
	// (cluster-announce-hostname), by their addresses; nil when none does.
	// A TLS client verifies a node by it.
	Hostnames map[string]string
}

// SlotRange is an inclusive range of hash slots.
type SlotRange struct {
	// First and Last are the range's first and last slot, inclusive.
	First, Last uint16
}

// SlotMap is an immutable snapshot of which shard serves each hash slot.
// Its zero value serves no slot.
type SlotMap struct {
	shards []Shard
	// owner holds, for each slot, 1 + the index of its shard in shards, or 0
	// when no shard serves it.
	owner [SlotCount]uint16
}

// NewSlotMap builds a SlotMap from shards. A slot claimed by two shards is an
// error; slots claimed by none are left uncovered.
func NewSlotMap(shards []Shard) (*SlotMap, error) {
	m := &SlotMap{shards: shards}
	for i, s := range shards {
		for _, r := range s.Ranges {
			if r.First > r.Last || r.Last >= SlotCount {
				return nil, fmt.Errorf("%w: slot range %d-%d of %s", ErrMalformedReply, r.First, r.Last, s.Master)
			}
			for slot := int(r.First); slot <= int(r.Last); slot++ {
				if prev := m.owner[slot]; prev != 0 {
					return nil, fmt.Errorf("%w: slot %d served by both %s and %s",
						ErrMalformedReply, slot, shards[prev-1].Master, s.Master)
				}
				m.owner[slot] = uint16(i + 1)
			}
		}
	}
	return m, nil
}

// Shards returns the shards of the map, in the order the server listed them.
// The caller must not modify them.
func (m *SlotMap) Shards() []Shard { return m.shards }

// ShardIndex returns the index into Shards of the shard serving slot, or false
// when no shard serves it. Slots above 16383 wrap around, as in Redis.
func (m *SlotMap) ShardIndex(slot uint16) (int, bool) {
	o := m.owner[slot&(SlotCount-1)]
	return int(o) - 1, o != 0
}

// Master returns the address of the master serving slot, or "" when none does.
func (m *SlotMap) Master(slot uint16) string {
	if i, ok := m.ShardIndex(slot); ok {
		return m.shards[i].Master
	}
	return ""
}

// Hostname returns the host name the node at addr announces, or "" when it
// announces none.
func (m *SlotMap) Hostname(addr string) string {
	for _, s := range m.shards {
		if h, ok := s.Hostnames[addr]; ok {
			return h
		}
	}
	return ""
}

// Covered returns how many slots have a master.
func (m *SlotMap) Covered() int {
	n := 0
	for _, o := range m.owner {
		if o != 0 {
			n++
		}
	}
	return n
}

// Equal reports whether m and other route every slot to the same master and
// list the same replicas.
func (m *SlotMap) Equal(other *SlotMap) bool {
	if m == nil || other == nil {
		return m == other
	}
	for slot := range m.owner {
		if m.Master(uint16(slot)) != other.Master(uint16(slot)) {
			return false
		}
	}
	if len(m.shards) != len(other.shards) {
		return false
	}
	replicas := make(map[string][]string, len(m.shards))
	for _, s := range m.shards {
		replicas[s.Master] = s.Replicas
	}
	for _, s := range other.shards {
		if r, ok := replicas[s.Master]; !ok || !sameSet(r, s.Replicas) {
			return false
		}
	}
	return true
}

// sameSet reports whether a and b hold the same addresses in any order.
func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// joinAddr joins an announced host and port. An empty or "?" host means the
// node did not announce one: the host that answered the query is used.
func joinAddr(host string, port int64, fallbackHost string) string {
	if host == "" || host == "?" {
		host = fallbackHost
	}
	return net.JoinHostPort(host, strconv.FormatInt(port, 10))
}

// WithMoves returns a copy of m in which each move's master serves its
// slot, as MOVED redirects say, or m itself when nothing changes. Masters m
// does not know are added as new shards.
func (m *SlotMap) WithMoves(moves []Move) *SlotMap {
	var next *SlotMap
	for _, mv := range moves {
		current := m
		if next != nil {
			current = next
		}
		if current.Master(mv.Slot) == mv.Addr {
			continue
		}
		if next == nil {
			next = &SlotMap{shards: slices.Clip(m.shards), owner: m.owner}
		}
		i := slices.IndexFunc(next.shards, func(s Shard) bool { return s.Master == mv.Addr })
		if i < 0 {
			next.shards = append(next.shards, Shard{Master: mv.Addr})
			i = len(next.shards) - 1
		}
		next.owner[mv.Slot&(SlotCount-1)] = uint16(i + 1)
	}
	if next == nil {
		return m
	}
	return next
}
