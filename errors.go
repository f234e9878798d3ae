package redactor

import (
	"errors"

	"github.com/redactor-go/redactor/actors"
	"github.com/redactor-go/redactor/internal/wire"
	"github.com/redactor-go/redactor/resp"
	"github.com/redactor-go/redactor/topology"
)

// RedisError is an error reply of the server, such as "WRONGTYPE Operation
// against a key holding the wrong kind of value". Match it with errors.As.
type RedisError = resp.Error

// Errors of the client and of single commands. Match them with errors.Is.
var (
	// ErrClosed is returned by calls on a closed Client.
	ErrClosed = errors.New("redactor: client closed")
	// ErrNoAddrs is returned by New when Config.Addrs is empty.
	ErrNoAddrs = errors.New("redactor: no cluster address given")
	// ErrInvalidConfig is returned by New for a Config setting that cannot
	// work, such as a negative duration.
	ErrInvalidConfig = errors.New("redactor: invalid config")
	// ErrCrossSlot is the error of a command whose keys hash to different
	// slots and that the client does not split by slot: one without a
	// multi_shard tip, MSETNX, or any command in a transaction (MGET, MSET,
	// DEL, UNLINK, EXISTS and TOUCH are split elsewhere). Such a command is
	// never sent.
	ErrCrossSlot = actors.ErrCrossSlot
	// ErrEmptyCommand is the error of a command without a name.
	ErrEmptyCommand = actors.ErrEmptyCommand
	// ErrSlotNotServed is the error of a command whose slot no master serves.
	ErrSlotNotServed = actors.ErrSlotNotServed
	// ErrNodeUnreachable is the error of commands that could not be sent
	// because their node could not be connected to. New's error matches it
	// when an address it tried could not be reached or did not answer the
	// layout load in time (see Config.DialTimeout); its text names each
	// address tried and why it failed, on one line.
	ErrNodeUnreachable = actors.ErrNodeUnreachable
	// ErrNotCluster is the error of New when the node it loaded the layout
	// from runs without cluster support (a standalone Redis): the client
	// speaks only to Redis Cluster.
	ErrNotCluster = topology.ErrNotCluster
	// ErrTooManyRedirects is the error of a command that was redirected
	// (MOVED, ASK) more than Config.MaxRedirects times.
	ErrTooManyRedirects = actors.ErrTooManyRedirects
	// ErrUnknownOutcome is the error of a command that was sent to a node
	// and whose reply never came, because the connection broke or the call
	// gave up waiting (its context ended, Close): it may or may not have
	// run. Such a command is not re-sent unless it is read-only or
	// Config.RetryUnsafe is set.
	ErrUnknownOutcome = actors.ErrUnknownOutcome
	// ErrProtocol is the error of a reply that is not valid RESP, or that
	// goes beyond Config.MaxReplyDepth, MaxBulkLen or MaxReplyBytes: the
	// connection it came on is out of sync, so it is closed, and the next
	// commands go on a new one. The commands written on it and not
	// answered yet get it with ErrUnknownOutcome (both match errors.Is);
	// they are not re-sent, not even read-only ones, since the node may
	// answer them the same way again.
	ErrProtocol = resp.ErrProtocol
	// ErrNotPipelinable is the error of a command that cannot run on a
	// connection many callers share: it would change that connection's
	// state (WATCH, SUBSCRIBE, CLIENT REPLY, HELLO, SELECT, QUIT, ...), or
	// needs an API of its own (SCAN: Client.Scan), or acts on the node it
	// reaches (SHUTDOWN, CLUSTER FAILOVER: Client.DoOn). Its text names the
	// API to use instead. Such a command is never sent.
	ErrNotPipelinable = actors.ErrNotPipelinable
	// ErrUnknownNode is the error of DoOn for an address that is not a
	// node of the cluster's current layout.
	ErrUnknownNode = actors.ErrUnknownNode
	// ErrTxAborted is the error of a transaction whose EXEC returned nil:
	// a key it watched (Client.Watch) changed before EXEC, so nothing of
	// it ran. Retry the transaction.
	ErrTxAborted = errors.New("redactor: transaction aborted: a watched key changed")
	// ErrNoChannels is the error of a subscription call given no channel or
	// pattern. Nothing is sent.
	ErrNoChannels = errors.New("redactor: no channels to subscribe to")
	// ErrInvalidCursor is the error (from ScanIterator.Err) of a scan resumed
	// from a ScanOptions.Cursor that ScanIterator.Cursor did not make, or made
	// for other Match or Type options.
	ErrInvalidCursor = errors.New("redactor: invalid scan cursor")
	// ErrAuth is the error of a connection the server refused to
	// authenticate: a wrong password or user name (WRONGPASS), credentials
	// the server needs and was not given (NOAUTH), or a user without the
	// right to a command of the connection's setup (NOPERM). New fails
	// with it when the layout cannot be loaded for that reason; a NOPERM
	// of one command is that command's own *RedisError, not ErrAuth.
	ErrAuth = wire.ErrAuth
	// ErrTLS is the error of a connection whose TLS handshake failed: a
	// certificate that does not verify, or a node that does not speak TLS.
	ErrTLS = wire.ErrTLS
	// ErrCanceled marks a command that was not sent because its call's
	// context ended, or the client closed, first; it comes with
	// ErrNotSent. Exec returns it in the Results of a canceled pipeline.
	ErrCanceled = actors.ErrCanceled
	// ErrNotSent marks a command that provably never reached its node (the
	// connection could not be opened, or broke before any byte of it left).
	// The client retries those; the error reaches the caller only when the
	// retries ran out.
	ErrNotSent = actors.ErrNotSent
	// ErrNil is what Result's typed accessors (Text, Int64, Slice, ...)
	// return for a nil reply: GET of a missing key, HGET of a missing
	// field, a null array. Result.IsNil tells it without an accessor.
	ErrNil = actors.ErrNil
	// ErrUnexpectedType wraps the error of a typed accessor of Result
	// given a reply it cannot convert (Int64 of an array, Float64 of a
	// string that is not a number); its text names the reply's Go and
	// RESP types.
	ErrUnexpectedType = actors.ErrUnexpectedType
	// ErrInvalidArgument is the error of a DoArgs command with an argument
	// it cannot send: a type other than string, []byte, the integers, the
	// floats and bool, or a NaN float. Such a command is never sent.
	ErrInvalidArgument = errors.New("redactor: invalid argument")
)
