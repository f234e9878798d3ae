package redactor

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/redactor-go/redactor/actors"
	"github.com/redactor-go/redactor/resp"
)

// Result is the outcome of one command: its decoded reply in Value, or its
// own error in Err. See actors.Result for the value types; its accessors
// (Text, Int64, Float64, Bool, Bytes, Slice, StringMap, IsNil) give the
// reply as the Go type you expect, with ErrNil for a nil reply.
type Result = actors.Result

// Pipeline queues commands and runs them with Exec. Commands are grouped into
// one batch per master, and results come back in queue order. A Pipeline is
// not safe for concurrent use; after Exec it is empty and can be used again.
type Pipeline struct {
	client *Client
	mode   actors.Mode
	tx     bool
	node   string
	// q is the queue of commands, taken from the pool on the first Do.
	q *queue
}

// PipelineOption changes how one pipeline runs.
type PipelineOption func(*Pipeline)

// WithParallel overrides the client's Config.SerialPipelines for one
// pipeline: true sends its node batches at once, false one after another.
func WithParallel(parallel bool) PipelineOption {
	return func(p *Pipeline) {
		if parallel {
			p.mode = actors.Parallel
		} else {
			p.mode = actors.Serial
		}
	}
}

// WithTx runs the pipeline as one transaction: MULTI, its commands, EXEC,
// on the master of their slot, atomically. Every keyed command must hash to
// one slot (use hash tags: "{user:42}:name"), or Exec fails with
// ErrCrossSlot before any I/O. Each command's Result is its own: its part
// of EXEC's reply, or the error it was refused with when queued (an
// EXECABORT then reaches the others). Don't queue MULTI, EXEC or DISCARD
// yourself. For optimistic locking (WATCH), use Client.Watch.
func WithTx() PipelineOption {
	return func(p *Pipeline) { p.tx = true }
}

// WithNode runs every command of the pipeline on the node at addr, as
// Client.DoOn does for one command.
func WithNode(addr string) PipelineOption {
	return func(p *Pipeline) { p.node = addr }
}

// Do queues one command: its name, then its arguments. The arguments are
// copied, so the caller may reuse its slice.
func (p *Pipeline) Do(cmd string, args ...string) {
	if p.q == nil {
		p.q = getQueue()
	}
	q := p.q
	q.room(1 + len(args))
	start := len(q.args)
	q.args = append(q.args, cmd)
	q.args = append(q.args, args...)
	q.push(q.args[start:len(q.args):len(q.args)])
}

// Len returns the number of queued commands.
func (p *Pipeline) Len() int {
	if p.q == nil {
		return 0
	}
	return len(p.q.cmds)
}

// Parallel reports whether Exec sends node batches at once.
func (p *Pipeline) Parallel() bool { return p.mode == actors.Parallel }

// Exec runs the queued commands and returns one Result per command, in queue
// order. Its error is for the pipeline as a whole (ctx done, client closed,
// a WithTx pipeline refused before I/O); each command's own error is in its
// Result. An empty pipeline returns an empty slice without any I/O. Exec
// empties the pipeline.
//
// When ctx ends (or the client closes) before every command has its
// outcome, Exec returns at once with that error and, alongside it, what
// each command became as far as known: its reply when it had one,
// ErrCanceled with ErrNotSent when it was never sent, ErrUnknownOutcome
// when it was in flight (it may run). Results are nil only when nothing
// was sent, or the client could not tell. Nothing writes into the
// returned Results afterwards.
//
// A ctx without a deadline still gets one: Exec returns, as if its
// deadline had passed, after Config.RetryTimeout plus Config.ReadTimeout
// (plus the timeout of a command that may block; none for one that may
// block forever), so that no call waits forever for an answer that got
// lost. Give a pipeline that may legitimately take longer (tens of millions
// of commands) a deadline of its own.
func (p *Pipeline) Exec(ctx context.Context) ([]Result, error) {
	if p.Len() == 0 {
		select {
		case <-p.client.closed:
			return nil, ErrClosed
		default:
			return []Result{}, nil
		}
	}
	q := p.q
	cmds := q.cmds
	// The queued commands now belong to the Exec: commands still in flight
	// after a canceled Exec keep reading them, so the pipeline starts
	// afresh.
	p.q = nil
	if p.node != "" && !p.client.isNode(p.node) {
		return nil, fmt.Errorf("%w: %s", ErrUnknownNode, p.node)
	}
	if len(q.scripts) > 0 {
		p.planScripts(ctx, q)
	}
	var results []Result
	var err error
	switch {
	case p.tx:
		if len(q.refused) > 0 {
			return nil, q.refused[0].err
		}
		// MULTI/EXEC wrap cmds: leave q to the GC.
		q.abandoned = true
		results, err = p.execTx(ctx, cmds)
	case len(q.refused) > 0:
		results, err = p.execRefused(ctx, q)
	default:
		results, err = p.run(ctx, q, cmds)
	}
	if err == nil && len(q.scripts) > 0 {
		p.settleScripts(ctx, q, results)
	}
	if !q.abandoned {
		putQueue(q)
	}
	return results, err
}

// run sends cmds, the commands of q or some of them, and returns their
// Results. When the coordinator may still read the commands (ctx ended
// first), it marks q abandoned: not to be recycled.
func (p *Pipeline) run(ctx context.Context, q *queue, cmds [][]string) ([]Result, error) {
	e := &actors.Exec{Commands: cmds, Mode: p.mode, Node: p.node}
	// Route on this goroutine, so the coordinators only lay out batches.
	q.shards = e.Preroute(p.client.routes.Load(), q.shards)
	results, released, err := p.client.exec(ctx, e, make(chan *actors.Exec, 1), false)
	if !released {
		// The coordinator may still read the commands: leave them to
		// the GC. results is what is known of each command.
		q.abandoned = true
	}
	return results, err
}

// execRefused runs the commands of q that DoArgs did not refuse, and gives
// the refused ones their errors in their places.
func (p *Pipeline) execRefused(ctx context.Context, q *queue) ([]Result, error) {
	sent := make([][]string, 0, len(q.cmds)-len(q.refused))
	refused := q.refused
	for i, cmd := range q.cmds {
		if len(refused) > 0 && refused[0].index == i {
			refused = refused[1:]
			continue
		}
		sent = append(sent, cmd)
	}
	out := make([]Result, len(q.cmds))
	for _, r := range q.refused {
		out[r.index] = Result{Err: r.err}
	}
	if len(sent) == 0 {
		// Nothing to send: as for an empty pipeline, no I/O.
		select {
		case <-p.client.closed:
			return nil, ErrClosed
		default:
		}
		return out, nil
	}
	results, err := p.run(ctx, q, sent)
	if results == nil {
		return nil, err
	}
	k := 0
	for i := range out {
		if out[i].Err == nil {
			out[i] = results[k]
			k++
		}
	}
	return out, err
}

// queues recycles the queues of finished pipelines: a pipeline takes one
// that a pipeline of any size left and grows it as it needs, so a steady
// workload allocates none, and one caller's pipeline never sizes another's
// beyond what it grew to itself.
var queues sync.Pool

// queue is a pipeline's commands and the arguments they point into.
//
// The arguments are kept in chunks: args is the chunk being filled, and a
// full one is left to the commands that point into it while a new one is
// started, never copied into a larger one. Growing one array by append
// would leave every array it outgrew pinned by the commands pointing into
// it: a 1,000,000-command pipeline held its arguments about five times
// over. cmds, which nothing points into, doubles as it grows.
type queue struct {
	cmds [][]string
	args []string
	// buf holds the text of DoArgs's arguments that were not strings; args
	// point into it. It is kept in chunks, like args.
	buf []byte
	// refused are the commands DoArgs refused, in queue order; their place
	// in cmds is nil.
	refused []refusedCommand
	// shards is room for the shard of each command (Exec.Preroute).
	shards []int32
	// scripts are the calls of scripts among cmds (Pipeline.Run).
	scripts []queuedScript
	// abandoned marks a queue the coordinator may still read: it is left
	// to the GC, not recycled.
	abandoned bool
}

// Bounds of a recycled queue: larger ones are left to the GC.
const (
	maxPooledCommands  = 16 << 10
	maxPooledArguments = 64 << 10
	// maxPooledArgBytes bounds the argument text a recycled queue keeps
	// room for; a larger buffer is dropped, the queue kept.
	maxPooledArgBytes = 64 << 10
)

// Bounds of a queue's chunks: of arguments, and of argument text.
const (
	argChunk  = 4 << 10
	textChunk = 16 << 10
)

// nextChunk returns the capacity of the chunk that follows one of capacity
// c when need more elements must fit: twice c, up to limit.
func nextChunk(c, need, limit int) int {
	return max(need, min(2*c, limit), 16)
}

// room makes room for the n arguments of one command in the current chunk.
func (q *queue) room(n int) {
	if cap(q.args)-len(q.args) < n {
		q.args = make([]string, 0, nextChunk(cap(q.args), n, argChunk))
	}
}

// textRoom makes room in buf for the text of argument a (DoArgs).
func (q *queue) textRoom(a any) {
	need := 64 // a number's text
	if b, ok := a.([]byte); ok && len(b) <= maxCopiedArg {
		need = len(b)
	}
	if cap(q.buf)-len(q.buf) < need {
		q.buf = make([]byte, 0, nextChunk(cap(q.buf), need, textChunk))
	}
}

// push queues cmd, doubling cmds when it is full (append grows a large
// slice by 1.25 at a time, and slices.Grow by 2.44 to make room for twice
// as many).
func (q *queue) push(cmd []string) {
	if len(q.cmds) == cap(q.cmds) {
		cmds := make([][]string, len(q.cmds), max(2*cap(q.cmds), 16))
		copy(cmds, q.cmds)
		q.cmds = cmds
	}
	q.cmds = append(q.cmds, cmd)
}

// getQueue returns an empty queue.
func getQueue() *queue {
	if q, ok := queues.Get().(*queue); ok {
		return q
	}
	return &queue{cmds: make([][]string, 0, 16), args: make([]string, 0, 64)}
}

// putQueue recycles a queue nothing reads any more, cleared so that it
// keeps none of the caller's values alive.
func putQueue(q *queue) {
	if cap(q.cmds) > maxPooledCommands || cap(q.args) > maxPooledArguments {
		return
	}
	clear(q.cmds)
	clear(q.args)
	clear(q.refused)
	clear(q.scripts)
	q.cmds, q.args, q.refused, q.scripts = q.cmds[:0], q.args[:0], q.refused[:0], q.scripts[:0]
	if cap(q.buf) > maxPooledArgBytes {
		q.buf = nil
	}
	q.buf = q.buf[:0]
	queues.Put(q)
}

// execTx runs cmds as MULTI, cmds..., EXEC and unpacks EXEC's reply.
func (p *Pipeline) execTx(ctx context.Context, cmds [][]string) ([]Result, error) {
	all := make([][]string, 0, len(cmds)+2)
	all = append(all, []string{"MULTI"})
	table := p.client.routes.Load().Commands
	for _, args := range cmds {
		if info, ok := table.Lookup(args); ok && (info.Class == resp.ClassMulti || info.Class == resp.ClassExec) {
			return nil, fmt.Errorf("%w: %s in a WithTx pipeline: WithTx sends MULTI and EXEC itself", ErrNotPipelinable, args[0])
		}
		all = append(all, args)
	}
	all = append(all, []string{"EXEC"})
	e := &actors.Exec{Commands: all, Mode: p.mode, Node: p.node}
	results, _, err := p.client.exec(ctx, e, make(chan *actors.Exec, 1), false)
	if err != nil {
		if results != nil {
			// Canceled: the transaction ran whole or not at all, which
			// EXEC's outcome tells for every command.
			return txCanceled(results, len(cmds)), err
		}
		return nil, err
	}
	if err := results[0].Err; err != nil && refusedBeforeIO(err) {
		return nil, err
	}
	return unpackTx(results), nil
}

// refusedBeforeIO reports whether err is one the client gives a command
// before sending anything.
func refusedBeforeIO(err error) bool {
	return errors.Is(err, ErrCrossSlot) || errors.Is(err, ErrNotPipelinable) || errors.Is(err, ErrEmptyCommand)
}

// unpackTx turns the results of MULTI, cmds..., EXEC into one Result per
// command.
func unpackTx(all []Result) []Result {
	n := len(all) - 2
	multi, exec := all[0], all[n+1]
	out := make([]Result, n)
	var replies []any
	if exec.Err == nil && multi.Err == nil {
		replies, _ = exec.Value.([]any)
	}
	for k := range n {
		queued := all[k+1]
		switch {
		case multi.Err != nil:
			out[k] = Result{Err: multi.Err}
		case queued.Err != nil:
			out[k] = queued
		case exec.Err != nil:
			out[k] = Result{Err: exec.Err}
		case exec.Value == nil:
			out[k] = Result{Err: ErrTxAborted}
		case len(replies) != n:
			out[k] = Result{Err: fmt.Errorf("%w: EXEC returned %T with %d replies for %d commands", resp.ErrProtocol, exec.Value, len(replies), n)}
		default:
			if re, ok := replies[k].(*resp.Error); ok {
				out[k] = Result{Err: re}
			} else {
				out[k] = Result{Value: replies[k]}
			}
		}
	}
	return out
}

// txCanceled gives each of a transaction's n commands the outcome of its
// canceled EXEC (the last of results): not sent, or unknown.
func txCanceled(results []Result, n int) []Result {
	out := make([]Result, n)
	for i := range out {
		out[i] = Result{Err: results[len(results)-1].Err}
	}
	return out
}
