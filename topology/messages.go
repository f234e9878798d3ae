package topology

import (
	"github.com/asynkron/protoactor-go/actor"

	"github.com/redactor-go/redactor/resp"
)

// Routes is what the topology actor publishes to its subscribers whenever the
// cluster's layout changes: which node actor serves each slot, and how to
// find the keys of a command. A Routes is immutable; a newer one replaces it.
type Routes struct {
	// Version grows by one with every change; the first Routes is 1.
	Version uint64
	// Map is the slot map.
	Map *SlotMap
	// Nodes holds the node actor of each shard's master: Nodes[i] serves
	// Map.Shards()[i].
	Nodes []*actor.PID
	// Replicas holds the node actors of each shard's replicas:
	// Replicas[i][k] is the actor of Map.Shards()[i].Replicas[k]. They
	// connect on first use.
	Replicas [][]*actor.PID
	// ByAddr holds every node actor by its node's address, including nodes
	// that serve no slot but were named by an ASK redirect.
	ByAddr map[string]*actor.PID
	// Commands is the server's command table.
	Commands *resp.CommandTable
}

// Refresh asks the topology actor to load the cluster's layout again. Loads
// are single-flight and rate-limited: requests that arrive during a load are
// served by one more load after it, no sooner than the minimum interval.
// The actor answers the sender (or Done, when set) with *Routes, or with
// *RefreshFailed when no node could be asked.
type Refresh struct {
	// Done, when not nil, receives the answer instead of the sender.
	Done chan<- any
}

// ReloadCommands asks the topology actor to load the command table again
// with the next layout load (a command the table does not know appeared:
// a module's, or a newer server's). The caller rate-limits it.
type ReloadCommands struct{}

// RefreshFailed answers a Refresh that could not load the layout from any
// known address.
type RefreshFailed struct {
	// Err tells why, one wrapped error per address tried.
	Err error
}

// Subscribe asks the topology actor to send every new *Routes to PID,
// starting with the current one if there is one. A subscriber must answer
// each Routes with RoutesApplied once it no longer routes by older ones:
// node actors that left the layout are stopped only after every subscriber
// has.
type Subscribe struct {
	// PID is the subscriber, sent each new *Routes.
	PID *actor.PID
	// Version is the Routes version the subscriber has already; the current
	// Routes are sent at once only when newer.
	Version uint64
}

// Unsubscribe ends a subscription. A subscriber that stops must send it, or
// retired node actors wait for its RoutesApplied forever.
type Unsubscribe struct {
	// PID is the subscriber that stops.
	PID *actor.PID
}

// RoutesApplied tells the topology actor that its sender routes by Routes
// of Version (or newer) from now on. Send it with a sender (ctx.Request,
// the subscriber's own context): one without is ignored, and the node
// actors of nodes that left the layout then wait for that subscriber for
// good.
type RoutesApplied struct {
	// Version is the Routes version the sender routes by.
	Version uint64
}

// Redirect tells the topology actor what redirects said: slots that moved
// (MOVED), and nodes that must have a node actor (an ASK target). The actor
// patches the slot map at once, spawns missing node actors, publishes and
// answers the sender with the new *Routes, and schedules a refresh when a
// slot moved.
type Redirect struct {
	// Moved are slots and the masters that serve them now.
	Moved []Move
	// Addrs are nodes that need a node actor.
	Addrs []string
}

// Move is one slot and the address of its new master.
type Move struct {
	// Slot is the hash slot that moved.
	Slot uint16
	// Addr is the address of the master that serves it now.
	Addr string
}

// Retire is sent by the topology actor to a node actor it is about to stop
// because its node left the layout or is no longer a master: the node
// actor then lets its connections finish what they run (a blocking command
// waiting for its reply, say) before they close, rather than cut them as
// when the client closes.
type Retire struct{}

// NodeDown is sent by a node actor to its parent, and published as an event
// (see redactor.Observe), when its connection to the node fails or cannot be
// opened. The topology actor schedules a refresh.
type NodeDown struct {
	// Addr is the node's address.
	Addr string
	// Err is why its connection failed or could not be opened.
	Err error
}

// NodeUp is published as an event (see redactor.Observe) when a node actor
// has connected.
type NodeUp struct {
	// Addr is the node's address.
	Addr string
}

// Loaded is published as an event (see redactor.Observe) after every load of
// the layout, successful or not.
type Loaded struct {
	// Version is the Routes version after the load.
	Version uint64
	// Changed reports whether the load changed the layout.
	Changed bool
	// Err is why the load failed, or nil.
	Err error
}

// loaded is the topology actor's note to itself that a load finished.
type loaded struct {
	m        *SlotMap
	commands *resp.CommandTable
	err      error
	from     string   // the address that answered
	failed   []string // the addresses that did not, before it
}

// refreshDue is the topology actor's note to itself that a scheduled load may
// start.
type refreshDue struct{}

// Publish hands an event of the client's (Loaded, NodeUp, NodeDown, and the
// actors package's Redirected, UnknownOutcome, ...) to whoever delivers
// them. It must not block: the actors call it on their own goroutines,
// between pipelines.
type Publish func(event any)

// PublishOn returns a Publish that publishes on the event stream of ctx's
// actor system when p is nil, else p itself.
func (p Publish) PublishOn(ctx actor.Context) Publish {
	if p != nil {
		return p
	}
	return ctx.ActorSystem().EventStream.Publish
}
