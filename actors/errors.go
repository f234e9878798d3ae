package actors

import (
	"errors"
	"fmt"
	"strings"

	"github.com/redactor-go/redactor/resp"
)

// Errors a single command can get before any I/O. The root package re-exports
// them; match them with errors.Is.
var (
	// ErrCrossSlot is a command whose keys hash to different slots. It is
	// never sent: the cluster would refuse it.
	ErrCrossSlot = errors.New("CROSSSLOT Keys in request don't hash to the same slot")
	// ErrEmptyCommand is a command without a name.
	ErrEmptyCommand = errors.New("redactor: empty command name")
	// ErrSlotNotServed is a command whose slot no master serves in the
	// current slot map.
	ErrSlotNotServed = errors.New("redactor: no master serves the slot")
	// ErrNoRoutes is an Exec that reached a coordinator before it knew the
	// cluster's layout.
	ErrNoRoutes = errors.New("redactor: the coordinator has no slot map yet")
)

// ErrNotPipelinable is the error of a command that cannot run on a
// connection many callers share: it would change the connection's state
// (WATCH, SUBSCRIBE, CLIENT REPLY, HELLO, ...), or it needs an API of its
// own. Its text names the API to use instead. Such a command is never sent.
var ErrNotPipelinable = errors.New("redactor: command cannot run on a shared pipelined connection")

// refusalText says, for each resp.Refusal, why and what to use instead.
var refusalText = map[resp.Refusal]string{
	resp.RefuseWatch:     "holds state on its connection for later commands: use Client.Watch",
	resp.RefuseSubscribe: "turns its connection into a stream of messages: use Client.Subscribe, Client.PSubscribe or Client.SSubscribe",
	resp.RefuseConnState: "changes the state of the connection it runs on, which the client sets up itself",
	resp.RefuseMonitor:   "turns its connection into a stream: not supported",
	resp.RefuseScan:      "has a cursor that belongs to one node: use Client.Scan for the whole cluster, or Client.DoOn for one node",
}

// connStateHints say more, for some connection-state commands, about what
// to do instead.
var connStateHints = map[string]string{
	"select":    "a cluster has only database 0",
	"quit":      "use Client.Close to end the client's connections",
	"reset":     "use Client.Close to end the client's connections",
	"hello":     "the protocol and credentials belong in Config",
	"auth":      "the credentials belong in Config",
	"readonly":  "the client sets READONLY on the connections it reads replicas on",
	"readwrite": "the client sets READONLY on the connections it reads replicas on",
	"asking":    "the client sends ASKING itself when a node answers ASK",
	"client":    "every command gets its own reply, and connection options belong in Config",
}

// notPipelinable returns the error of a command the coordinator refuses.
func notPipelinable(args []string, why string) error {
	if hint, ok := connStateHints[strings.ToLower(args[0])]; ok && why == refusalText[resp.RefuseConnState] {
		why += ": " + hint
	}
	return fmt.Errorf("%w: %s %s", ErrNotPipelinable, strings.ToUpper(commandName(args)), why)
}

// commandName returns the command's name, with its subcommand for the
// container commands the refusals name (CLIENT REPLY, CLUSTER FAILOVER).
func commandName(args []string) string {
	if len(args) > 1 {
		switch strings.ToLower(args[0]) {
		case "client", "cluster", "config", "script", "function", "acl", "module", "memory", "latency", "slowlog", "debug":
			return args[0] + " " + args[1]
		}
	}
	return args[0]
}

// nodeSpecificText is why a command that acts on the node it reaches is
// refused when the caller did not name the node.
const nodeSpecificText = "acts on the node it reaches: name the node with Client.DoOn, or run it on each with Client.ForEachMaster"

// ErrUnknownNode is the error of commands sent to a node (Exec.Node) that
// is not in the cluster's layout.
var ErrUnknownNode = errors.New("redactor: no such node in the cluster's layout")

// Errors of the typed accessors of Result (Result.Int64, Result.Text, ...).
// The root package re-exports them; match them with errors.Is.
var (
	// ErrNil is what the accessors return for a nil reply (a null bulk
	// string or array, RESP3 null): GET of a missing key, for example.
	ErrNil = errors.New("redactor: nil reply")
	// ErrUnexpectedType wraps the error of an accessor given a reply it
	// cannot convert: an array to Int64, a string that is not a number to
	// Float64. Its text names the reply's Go type and RESP type.
	ErrUnexpectedType = errors.New("redactor: unexpected reply type")
)
