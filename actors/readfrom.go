package actors

import "fmt"

// ReadFrom says which node of a slot's shard runs the read-only commands
// routed by their keys. Writes, keyless commands, transactions, blocking
// and fanned-out commands, and pipelines on the general path always run on
// masters. Its zero value is ReadPrimary.
type ReadFrom uint8

const (
	// ReadPrimary runs every command on the slot's master.
	ReadPrimary ReadFrom = iota
	// ReadReplicaPreferred runs read-only commands on a replica of the
	// slot's master, spread evenly over its replicas, on connections that
	// sent READONLY; on the master when it has no replica the client can
	// reach.
	ReadReplicaPreferred
	// ReadNearest runs read-only commands on the node of the slot's shard,
	// master or replica, with the lowest latency measured by a PING every
	// second; nodes within half of the lowest latency or 300µs of it,
	// whichever is larger, count as equal and share the reads evenly.
	ReadNearest
)

// String returns "primary", "replica-preferred" or "nearest".
func (r ReadFrom) String() string {
	switch r {
	case ReadPrimary:
		return "primary"
	case ReadReplicaPreferred:
		return "replica-preferred"
	case ReadNearest:
		return "nearest"
	}
	return fmt.Sprintf("ReadFrom(%d)", uint8(r))
}

// Valid reports whether r is one of the ReadFrom constants.
func (r ReadFrom) Valid() bool { return r <= ReadNearest }
