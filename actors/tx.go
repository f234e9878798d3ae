package actors

import (
	"fmt"
	"slices"

	"github.com/redactor-go/redactor/resp"
)

// txBlock is a MULTI ... EXEC (or DISCARD) block of an Exec: the positions
// of its MULTI and of its EXEC. It is sent, and re-sent, as one unit on one
// connection, so the connection's transaction state never outlives it.
type txBlock struct {
	start, end int
}

// insideTx reports whether position i is a command queued inside a block
// or the block's EXEC: ASKING before those would be queued too.
func (e *Exec) insideTx(i int) bool {
	if len(e.tx) == 0 {
		return false
	}
	k, _ := slices.BinarySearchFunc(e.tx, i, func(b txBlock, i int) int { return b.start - i })
	if k < len(e.tx) && e.tx[k].start == i {
		return false
	}
	return k > 0 && e.tx[k-1].start < i && i <= e.tx[k-1].end
}

// txBlockAt returns the block that starts at position i.
func (e *Exec) txBlockAt(i int) (txBlock, bool) {
	k, found := slices.BinarySearchFunc(e.tx, i, func(b txBlock, i int) int { return b.start - i })
	if !found {
		return txBlock{}, false
	}
	return e.tx[k], true
}

// addTx records a block, keeping e.tx sorted.
func (e *Exec) addTx(b txBlock) {
	k, found := slices.BinarySearchFunc(e.tx, b.start, func(b txBlock, i int) int { return b.start - i })
	if !found {
		e.tx = slices.Insert(e.tx, k, b)
	}
}

// findTxEnd returns the index into idx of the EXEC or DISCARD that closes
// the MULTI at idx[j], or an error for the block when there is none, or
// when the block holds a command that cannot run inside it.
func (c *coordinator) findTxEnd(e *Exec, idx []int, j int) (int, error) {
	n, at := positionsOf(e, idx)
	var inside error
	for k := j + 1; k < n; k++ {
		args := e.Commands[at(k)]
		if len(args) == 0 || args[0] == "" {
			inside = firstErr(inside, ErrEmptyCommand)
			continue
		}
		info, known := c.routes.Commands.Lookup(args)
		if !known {
			continue
		}
		switch {
		case info.Class == resp.ClassExec:
			return k, inside
		case info.Class == resp.ClassMulti:
			inside = firstErr(inside, notPipelinable(args, "inside MULTI: transactions do not nest"))
		case info.Class == resp.ClassRefused, info.Class == resp.ClassWait, info.Class == resp.ClassNodeSpecific:
			inside = firstErr(inside, notPipelinable(args, "cannot run inside MULTI on a shared connection"))
		case e.Node == "" && (info.Policy.Request == resp.RequestAllShards || info.Policy.Request == resp.RequestAllNodes):
			inside = firstErr(inside, notPipelinable(args, "runs on every node, which a transaction on one master cannot do"))
		}
	}
	return n, notPipelinable(e.Commands[at(j)], "without EXEC or DISCARD in the same pipeline would leave the shared connection inside a transaction: queue the whole block, or use WithTx or Client.Watch")
}

func firstErr(have, next error) error {
	if have != nil {
		return have
	}
	return next
}

// blockSlotErr is the error of a block whose keys span slots.
func blockSlotErr() error {
	return fmt.Errorf("%w (in a MULTI block, whose keys must share one slot)", ErrCrossSlot)
}

// sortedPositions sorts positions to re-send in queue order (a MULTI block
// must stay whole and in order) and returns them.
func sortedPositions(idx []int) []int {
	slices.Sort(idx)
	return slices.Compact(idx)
}
