package actors

// The lanes of a node: its pipelined connections.
const (
	// sharedLane carries every batch but large ones.
	sharedLane = iota
	// bulkLane carries batches of largeBatch bytes or more, so that a
	// caller writing large values holds up nobody else's small commands
	// behind them on the shared connection.
	bulkLane
	// readLane carries the reads sent to a replica (nodeBatch.replica),
	// on a connection that sent READONLY: only replica reads ever use it,
	// so the other lanes keep the default state, in which a replica
	// redirects every command to its master.
	readLane
	laneCount
)

// largeBatch is the size of arguments from which a batch takes the bulk
// lane: 4 MB take about 3 ms to write at 10 Gbit/s, what the shared lane's
// small commands would otherwise wait behind them. A lower bound sends more
// batches to the bulk lane at once, and so holds more memory in flight:
// with values of 16 B to 1 MB (the mixed benchmark), 1 MB made the peak
// heap about 1.3x that of 4 MB.
const largeBatch = 4 << 20

// laneOf returns the lane of batch b.
func laneOf(b *nodeBatch) int {
	if b.replica {
		return readLane
	}
	if b.bytes >= largeBatch || b.bulk {
		return bulkLane
	}
	return sharedLane
}
