package redactor

import "github.com/redactor-go/redactor/actors"

// ReadFrom says which node of a slot's shard runs the read-only commands
// routed by their keys (Config.ReadFrom). Its zero value is ReadPrimary.
type ReadFrom = actors.ReadFrom

// The read preferences.
const (
	// ReadPrimary runs every command on the master of its slot: the
	// default, and the only choice that reads every write acknowledged
	// before it.
	ReadPrimary = actors.ReadPrimary
	// ReadReplicaPreferred runs read-only commands on a replica of the
	// slot's master, spread evenly over its replicas, on connections that
	// sent READONLY; on the master when no replica of it is known and
	// reachable.
	ReadReplicaPreferred = actors.ReadReplicaPreferred
	// ReadNearest runs read-only commands on the node of the slot's shard,
	// master or replica, with the lowest latency (a PING every second per
	// node); nodes within half of the lowest latency or 300µs of it,
	// whichever is larger, count as equal and share the reads evenly.
	ReadNearest = actors.ReadNearest
)
