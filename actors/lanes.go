package actors

// The lanes of a node: its pipelined connections.
const (
	// sharedLane carries every batch but large ones.
	sharedLane = iota
	// bulkLane carries batches of largeBatch bytes or more, so that a
	// caller writing large values holds up nobody else's small commands
	// behind them on the shared connection.
	bulkLane
	laneCount
)

// largeBatch is the size of arguments from which a batch takes the bulk
// lane. At 1 MB a batch takes about 1 ms to write at 10 Gbit/s: what the
// shared lane's small commands would otherwise wait behind it.
const largeBatch = 1 << 20

// laneOf returns the lane of batch b.
func laneOf(b *nodeBatch) int {
	if b.bytes >= largeBatch {
		return bulkLane
	}
	return sharedLane
}
