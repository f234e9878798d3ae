package actors

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// Mode says how the coordinator sends a pipeline's node batches.
type Mode uint8

const (
	// Parallel sends every node batch at once: the pipeline costs one round
	// trip to the slowest node.
	Parallel Mode = iota
	// Serial sends one node batch after another, each after the previous
	// batch's replies are in.
	Serial
)

// String returns "parallel" or "serial".
func (m Mode) String() string {
	if m == Serial {
		return "serial"
	}
	return "parallel"
}

// Result is the outcome of one command. Its typed accessors (Text, Int64,
// Float64, Bool, Bytes, Slice, StringMap, IsNil) convert Value to the Go
// type a caller expects; the zero Result is a nil reply.
type Result struct {
	// Value is the decoded reply, nil when Err is set. Each RESP type
	// gives one Go type:
	//
	//   - simple string (+OK), bulk string ($), RESP3 verbatim string (=,
	//     without its "txt:" format): string, binary-safe; never []byte
	//   - integer (:): int64
	//   - null bulk string ($-1), null array (*-1), RESP3 null (_): nil
	//   - array (*), RESP3 set (~): []any of these same types (a set in
	//     the server's order), empty but not nil for an empty array; an
	//     error reply inside one (EXEC's replies) is a *resp.Error element
	//   - RESP3 map (%): map[string]any, a key that is not a string
	//     formatted with fmt.Sprint
	//   - RESP3 double (,): float64, with inf, -inf and NaN
	//   - RESP3 boolean (#): bool
	//   - RESP3 big number ((): *big.Int
	//   - RESP3 attribute (|): dropped; Value is the reply after it
	//   - RESP3 push (>): never a Value (skipped and counted)
	//   - error reply (-, RESP3 !): never a Value; Err is a *resp.Error
	//
	// On RESP2 (Config.Protocol 2, the default) the server sends what RESP3
	// types as these: a score or a float (ZSCORE, INCRBYFLOAT) as a string,
	// HGETALL as a flat []any of fields and values; Float64 and StringMap
	// take both forms. A command run on several nodes merges their replies
	// (see docs/commands.md): summed integers stay int64, arrays are
	// concatenated, and a reply that is not merged is a map[string]any of
	// each node's reply by address, on either protocol.
	Value any
	// Err is this command's own error: a *resp.Error for an error reply of
	// the server (e.g. WRONGTYPE), or an error of redactor's (ErrCrossSlot, a
	// connection failure) wrapped with %w.
	Err error
}

// Exec asks the coordinator to run a pipeline. The coordinator fills in
// Results and Err, then sends the same *Exec to Done, or back to the sender
// when Done is nil. An Exec must not be changed or sent again until it comes
// back.
type Exec struct {
	// Ctx bounds the pipeline: batches not yet sent when it is done are not
	// sent, and their commands get its error. Nil means no bound.
	Ctx context.Context
	// Commands are the commands to run, each name first.
	Commands [][]string
	// Mode says whether node batches go out at once or one after another.
	Mode Mode
	// Node, when set, runs every command on the node at this address
	// ("host:port", a master or a replica) instead of routing it: no
	// command is fanned out, no redirect is followed (MOVED and ASK are
	// the commands' results), and commands that act on the node they
	// reach (SCAN, CONFIG REWRITE, CLUSTER FAILOVER) are allowed.
	Node string
	// Done, when not nil, receives the finished Exec. It must have room for
	// one value: the coordinator never blocks on it.
	Done chan<- *Exec

	// Results holds one Result per command, in the order of Commands.
	Results []Result
	// Err is set when the pipeline as a whole failed (ErrNoRoutes); the
	// commands' own errors are in Results.
	Err error

	// abandoned is set when a Cancel answered the Exec: the connections
	// drop its batches that still wait to be written (see flow.go).
	abandoned atomic.Bool

	// execState is the coordinator's working state of the pipeline, apart
	// from what a caller sets and reads.
	execState
}

// execState is what the coordinator keeps of an Exec while it runs. The
// coordinator clears it when it takes the Exec.
type execState struct {
	// inflight are the batches handed to nodes and not complete, in
	// inflightInline while there are few.
	inflight       []*nodeBatch
	inflightInline [4]*nodeBatch
	// answered is set once the Exec is answered; canceled once a Cancel
	// answered it with a copy, after which nothing is sent for it.
	answered, canceled bool
	sender             *actor.PID
	started            time.Time
	dispatched         bool          // batches were sent: only the first dispatch may be simple
	pending            int           // batches sent and not yet done
	queue              []*nodeBatch  // batches not yet sent (Serial mode)
	attempts           []uint8       // per command: times it was redirected (nil until one is)
	resent             []uint64      // bitset by batch position: queued to go again (nil until one is)
	onBatch            BatchObserver // the coordinator's, told of each batch done
	// Commands to re-send once the coordinator has newer Routes (MOVED, or an
	// ASK to a node without an actor yet), and after a backoff.
	awaitingRoutes []int
	// byAddr are commands to send to a named node (ASK, a part of a
	// fanned-out command, a command the command table does not know
	// after MOVED, an Exec with Node), by address.
	byAddr      map[addrKey][]int
	byAddrAfter uint64 // Routes version the byAddr node actors came after
	backoff     []int
	backoffWait time.Duration
	timerSet    bool

	// parts are the per-node copies of fanned-out commands and the
	// per-slot parts of split ones: a batch position len(Commands)+k is
	// parts[k].
	parts []part
	// fans are the fanned-out and split commands, merged into their
	// Result when the Exec is done.
	fans []fan
	// tx are the MULTI ... EXEC blocks, in queue order.
	tx []txBlock

	// pre is the shard of each command, found by Preroute with the Routes
	// of preVersion (-1: keyless).
	pre        []int32
	preVersion uint64

	// reads says which commands may run on a replica (ReadFrom other
	// than ReadPrimary), made on the first routing.
	reads readPlan
}

// addrKey is where a command sent by address goes: the node, and whether
// ASKING precedes it.
type addrKey struct {
	addr   string
	asking bool
}

// command returns the command at batch position i.
func (e *Exec) command(i int) []string {
	if n := len(e.Commands); i >= n {
		if p := &e.parts[i-n]; p.args != nil {
			return p.args
		}
		return e.Commands[e.parts[i-n].cmd]
	}
	return e.Commands[i]
}

// result returns the result slot of batch position i.
func (e *Exec) result(i int) *Result {
	if n := len(e.Commands); i >= n {
		return &e.parts[i-n].result
	}
	return &e.Results[i]
}

// ctx returns the Exec's context, never nil.
func (e *Exec) ctx() context.Context {
	if e.Ctx == nil {
		return context.Background()
	}
	return e.Ctx
}

// nodeBatch is the commands of one Exec that go to one node, sent to its node
// actor in one write.
type nodeBatch struct {
	exec *Exec
	// node is the node actor to send the batch to, and addr its node's
	// address.
	node *actor.PID
	addr string
	// version is the Routes version the batch was routed by.
	version uint64
	// idx are positions in exec.Commands, in increasing order.
	idx []int
	// replied counts the replies read so far.
	replied int
	// bytes is the size of the batch's arguments (see laneOf).
	bytes int
	// bulk keeps on the bulk lane a part of a large batch cut by
	// cutBatch, whatever its own size, so that the parts keep their order.
	bulk bool
	// coordinator is told when the batch is done.
	coordinator *actor.PID
	// asking sends each command after ASKING (an ASK redirect).
	asking bool
	// replica marks reads sent to a node the layout lists as a replica:
	// they go on the node's READONLY lane, and what the node cannot
	// serve goes to the master (inspectReplica).
	replica bool
	// dedicated runs the batch, a single command that may block (BLPOP,
	// XREAD BLOCK), on a connection of its own instead of the shared one.
	dedicated bool
	// blockFor is how long the dedicated batch's command may block by its
	// own timeout argument; zero means forever.
	blockFor time.Duration
	// waitFor is how long the server may take beyond the usual before it
	// answers (WAIT's timeout).
	waitFor time.Duration
	// resent marks a batch handed back once already by a connection the
	// peer closed while idle.
	resent bool
	// next is sent when this batch is done: the rest of the same node's
	// commands, after a dedicated one (Parallel mode).
	next *nodeBatch
	// sentAt is when the batch was handed to its node, and retried how
	// many of its commands went before, with a BatchObserver.
	sentAt  time.Time
	retried int
	// done is the message that reports the batch done to the coordinator;
	// it lives in the batch to save an allocation per batch.
	done batchDone
	// queue is where the batch stands in a connection's pending list
	// (batchQueued ...), read and changed with sync/atomic only: it
	// lets a canceled Exec tell a batch never written from one that may
	// have been (see withdraw).
	queue int32
}

// nodeBatches are consecutive parts of one node batch (cutBatch), sent to
// the node actor together so that they are written in order.
type nodeBatches struct {
	batches []*nodeBatch
}

// batchDone tells the coordinator that a node batch has an outcome for each
// of its commands.
type batchDone struct {
	batch *nodeBatch
}

// connBroken tells a node actor that its connection ended: failed, or,
// when quiet, closed by the peer while idle.
type connBroken struct {
	conn  *pipeConn
	err   error
	quiet bool
}

// unsentBatches tells a node actor that a connection the peer closed while
// idle gave back batches it never wrote (in the actor's handback): they go
// on a new one.
type unsentBatches struct{}

// retryDue tells the coordinator that an Exec's backoff is over.
type retryDue struct {
	exec *Exec
}
