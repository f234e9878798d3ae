// Package topology knows where every key of a Redis Cluster lives.
//
// # Slots
//
// Slot hashes a key to one of the 16384 hash slots the way the server does
// (CRC16/XMODEM of the key, or of its hash tag: the text between the first
// '{' and the next '}', when not empty).
//
// # Slot map
//
// A SlotMap is an immutable snapshot of which master (and replicas) serve
// each slot, parsed from CLUSTER SHARDS (Redis 7) or CLUSTER SLOTS.
// WithMoves derives a patched copy from MOVED redirects.
//
// # The topology actor
//
// Props returns the topology actor. It loads the slot map and the server's
// command table, spawns and supervises one node actor per master, and
// publishes Routes to its subscribers (the coordinator) whenever the layout
// changes. Loads are single-flight and rate-limited: Refresh, Redirect and
// NodeDown messages ask for one, and however many arrive during a load, at
// most one more load follows it. Node actors of masters that left the layout
// are stopped only after every subscriber has answered RoutesApplied for a
// Routes without them, so no batch is ever sent to a stopped actor.
//
// It publishes Loaded after every load, and node actors publish NodeUp and
// NodeDown, through ActorConfig.Publish (the client's events, see
// redactor.Observe), else on the actor system's event stream.
package topology
