package topology

import (
	"github.com/asynkron/protoactor-go/actor"

	"github.com/redactor-go/redactor/resp"
)

// Routes is what the topology actor publishes to its subscribers after every
// load of the cluster's layout: which node actor serves each slot, and how to
// find the keys of a command. A Routes is immutable; a newer one replaces it.
type Routes struct {
	// Version counts the loads that changed something; it starts at 1.
	Version uint64
	// Map is the slot map.
	Map *SlotMap
	// Nodes holds the node actor of each shard's master: Nodes[i] serves
	// Map.Shards()[i].
	Nodes []*actor.PID
	// Commands is the server's command table.
	Commands *resp.CommandTable
}

// NodeFor returns the node actor serving slot, or nil when no node does.
func (r *Routes) NodeFor(slot uint16) *actor.PID {
	if i, ok := r.Map.ShardIndex(slot); ok {
		return r.Nodes[i]
	}
	return nil
}

// Refresh asks the topology actor to load the cluster's layout again. Requests
// that arrive while a load runs share its result. The actor answers the
// sender with *Routes, or with *RefreshFailed when no node could be asked;
// when Done is set, the answer goes there instead.
type Refresh struct {
	// Done, when not nil, receives the answer instead of the sender.
	Done chan<- any
}

// RefreshFailed answers a Refresh that could not load the layout from any
// known address.
type RefreshFailed struct {
	// Err tells why, one wrapped error per address tried.
	Err error
}

// Subscribe asks the topology actor to send every new *Routes to PID,
// starting with the current one if there is one.
type Subscribe struct {
	PID *actor.PID
}

// loaded is the topology actor's note to itself that a load finished.
type loaded struct {
	m        *SlotMap
	commands *resp.CommandTable
	err      error
}
