package redactor

import (
	"context"
	"errors"
	"fmt"

	"github.com/redactor-go/redactor/internal/wire"
	"github.com/redactor-go/redactor/resp"
	"github.com/redactor-go/redactor/topology"
)

// ErrTxDone is the error of a Tx call after its Exec, or after the function
// given to Watch returned.
var ErrTxDone = errors.New("redactor: transaction already executed or ended")

// Tx is a transaction with optimistic locking, on a connection of its own
// to the master of the watched keys' slot; see Client.Watch. A Tx is not
// safe for concurrent use.
type Tx struct {
	c      *Client
	conn   *wire.Conn
	slot   uint16
	table  *resp.CommandTable
	queued [][]string
	done   bool
}

// Watch runs fn in a transaction with optimistic locking: it WATCHes keys
// on a connection of its own to the master of their slot, and fn reads
// with tx.Do, queues writes with tx.Queue and runs them with tx.Exec, which
// sends MULTI, the queued commands and EXEC. When one of the keys changed
// after the WATCH, Exec returns ErrTxAborted and nothing queued ran: call
// Watch again to retry. Watch returns fn's error.
//
// Every key must hash to one slot (use hash tags), else ErrCrossSlot
// before any I/O; so must the keys of the commands fn runs. A WATCH that
// lands on a master that lost the slot follows the MOVED. The connection
// goes back to a pool after an UNWATCH (or after EXEC), so a later Watch
// reuses it.
func (c *Client) Watch(ctx context.Context, fn func(tx *Tx) error, keys ...string) error {
	if len(keys) == 0 {
		return errors.New("redactor: Watch needs at least one key")
	}
	slot := topology.Slot(keys[0])
	for _, k := range keys[1:] {
		if topology.Slot(k) != slot {
			return fmt.Errorf("%w (WATCH)", ErrCrossSlot)
		}
	}
	tx, pool, err := c.watchKeys(ctx, slot, keys)
	if err != nil {
		return err
	}
	defer func() {
		if !tx.done {
			// Leave the connection as it was for the next Watch.
			var r [1]resp.Reply
			if _, err := tx.conn.Exchange(context.WithoutCancel(ctx), [][]string{{"UNWATCH"}}, r[:], c.cfg.ReadTimeout); err == nil && r[0].Err != nil {
				tx.conn.Close()
			}
		}
		tx.done = true
		pool.Put(tx.conn)
	}()
	return fn(tx)
}

// watchKeys connects to the master of slot and WATCHes keys, following
// MOVED when the client's map is out of date.
func (c *Client) watchKeys(ctx context.Context, slot uint16, keys []string) (*Tx, *wire.Pool, error) {
	watch := append([]string{"WATCH"}, keys...)
	var lastErr error
	for range c.cfg.MaxRedirects + 1 {
		routes := c.routes.Load()
		shard, ok := routes.Map.ShardIndex(slot)
		if !ok {
			return nil, nil, fmt.Errorf("%w: slot %d (WATCH)", ErrSlotNotServed, slot)
		}
		pool := c.dedicatedPool(routes.Map.Shards()[shard].Master)
		if pool == nil {
			return nil, nil, ErrClosed
		}
		conn, err := pool.Get(ctx)
		if err != nil {
			return nil, nil, err
		}
		var r [1]resp.Reply
		if _, err := conn.Exchange(ctx, [][]string{watch}, r[:], c.cfg.ReadTimeout); err != nil {
			pool.Put(conn)
			return nil, nil, err
		}
		if r[0].Err == nil {
			return &Tx{c: c, conn: conn, slot: slot, table: routes.Commands}, pool, nil
		}
		pool.Put(conn)
		lastErr = r[0].Err
		re, _ := resp.AsError(r[0].Err)
		if _, _, moved := re.IsMoved(); !moved {
			return nil, nil, r[0].Err
		}
		if _, err := c.refresh(ctx); err != nil {
			return nil, nil, err
		}
	}
	return nil, nil, fmt.Errorf("%w: %w", ErrTooManyRedirects, lastErr)
}

// dedicatedPool returns the pool of connections of their own to addr, for
// transactions, or nil once the client is closed.
func (c *Client) dedicatedPool(addr string) *wire.Pool {
	c.poolsMu.Lock()
	defer c.poolsMu.Unlock()
	if p := c.pools[addr]; p != nil {
		return p
	}
	p := wire.NewPool(addr, c.dial, c.cfg.BlockingPoolSize, wire.Options{OnPush: c.onPush, Limits: c.cfg.limits()})
	if !c.onClose(p, p.Close) {
		return nil
	}
	if c.pools == nil {
		c.pools = map[string]*wire.Pool{}
	}
	c.pools[addr] = p
	return p
}

// retirePools drains the Watch pools of nodes that are no master by r (a
// master demoted in a failover, a node that left): their idle connections
// close now, those in use when their Watch ends. A later Watch on such a
// node makes a pool afresh.
func (c *Client) retirePools(r *topology.Routes) {
	c.poolsMu.Lock()
	defer c.poolsMu.Unlock()
	if len(c.pools) == 0 {
		return
	}
	masters := make(map[string]bool, len(r.Map.Shards()))
	for _, s := range r.Map.Shards() {
		masters[s.Master] = true
	}
	for addr, p := range c.pools {
		if !masters[addr] {
			delete(c.pools, addr)
			c.forgetClose(p)
			p.Drain()
		}
	}
}

// Do runs one command at once on the transaction's connection, where the
// WATCH holds: typically a read of a watched key. Its keys must be in the
// watched slot.
func (tx *Tx) Do(ctx context.Context, cmd string, args ...string) Result {
	if tx.done {
		return Result{Err: ErrTxDone}
	}
	command := append([]string{cmd}, args...)
	if err := tx.check(command); err != nil {
		return Result{Err: err}
	}
	var r [1]resp.Reply
	if _, err := tx.conn.Exchange(ctx, [][]string{command}, r[:], tx.c.cfg.ReadTimeout); err != nil {
		return Result{Err: err}
	}
	return Result{Value: r[0].Value, Err: r[0].Err}
}

// Queue queues a command for Exec. Errors in it (a key of another slot, a
// command a transaction cannot run) are reported by Exec.
func (tx *Tx) Queue(cmd string, args ...string) {
	tx.queued = append(tx.queued, append([]string{cmd}, args...))
}

// Exec runs the queued commands as MULTI, the commands, EXEC, in one write,
// and returns one Result per queued command. When a watched key changed, it
// returns ErrTxAborted and nothing ran. A command the server refused when
// queued gets its own error, and the others EXECABORT. When ctx ends after
// the transaction was written and before EXEC's reply, the error matches
// ErrUnknownOutcome as well as the context's: the transaction may have run
// (a stalled master runs it when it resumes). After Exec the watch is
// over: later calls on tx return ErrTxDone.
func (tx *Tx) Exec(ctx context.Context) ([]Result, error) {
	if tx.done {
		return nil, ErrTxDone
	}
	for _, cmd := range tx.queued {
		if err := tx.check(cmd); err != nil {
			return nil, err
		}
	}
	tx.done = true
	cmds := make([][]string, 0, len(tx.queued)+2)
	cmds = append(cmds, []string{"MULTI"})
	cmds = append(cmds, tx.queued...)
	cmds = append(cmds, []string{"EXEC"})
	replies := make([]resp.Reply, len(cmds))
	got, err := tx.conn.Exchange(ctx, cmds, replies, tx.c.cfg.ReadTimeout)
	all := make([]Result, len(cmds))
	for k := range all {
		switch {
		case k < got:
			all[k] = Result{Value: replies[k].Value, Err: replies[k].Err}
		default:
			all[k] = Result{Err: err}
		}
	}
	if err != nil && got == 0 {
		return nil, err
	}
	results := unpackTx(all)
	if all[len(all)-1].Err == nil && all[len(all)-1].Value == nil && all[0].Err == nil {
		return results, ErrTxAborted
	}
	return results, nil
}

// check refuses a command a transaction's connection must not run, or
// whose keys are not in the watched slot.
func (tx *Tx) check(args []string) error {
	if len(args) == 0 || args[0] == "" {
		return ErrEmptyCommand
	}
	info, ok := tx.table.Lookup(args)
	if !ok {
		return nil
	}
	switch info.Class {
	case resp.ClassRefused, resp.ClassMulti, resp.ClassExec, resp.ClassWait:
		if info.Refusal != resp.RefuseWatch {
			return fmt.Errorf("%w: %s cannot run in a Watch transaction", ErrNotPipelinable, args[0])
		}
	}
	for _, k := range info.KeyPositions(args, nil) {
		if topology.Slot(args[k]) != tx.slot {
			return fmt.Errorf("%w: %s: key %q is not in the watched slot %d", ErrCrossSlot, args[0], args[k], tx.slot)
		}
	}
	return nil
}
