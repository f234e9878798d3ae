package resp

import (
	"strconv"
	"time"
)

// Class says how a client can run a command on a pipelined connection that
// many callers share, where every command must leave the connection in its
// default state so that each reply reaches the command it belongs to.
type Class uint8

// The command classes.
const (
	// ClassPipelined commands answer with one reply and change nothing
	// about the connection: they share the pipelined connection.
	ClassPipelined Class = iota
	// ClassBlocking commands may wait for data (BLPOP, BLMOVE, BZPOPMIN):
	// they get a connection of their own, so they hold up nobody else.
	ClassBlocking
	// ClassBlockingOption commands block only when an argument says so
	// (XREAD and XREADGROUP with BLOCK); see CommandInfo.Blocks.
	ClassBlockingOption
	// ClassMulti opens a transaction block (MULTI).
	ClassMulti
	// ClassExec closes a transaction block (EXEC, DISCARD).
	ClassExec
	// ClassWait is WAIT, which counts the writes of the connection it runs
	// on.
	ClassWait
	// ClassRefused commands would change the shared connection's state or
	// need an API of their own; Refusal says which.
	ClassRefused
	// ClassNodeSpecific commands act on the node they reach (SHUTDOWN,
	// CLUSTER FAILOVER, CONFIG REWRITE): they run only where the caller
	// names the node.
	ClassNodeSpecific
)

// Refusal says why a ClassRefused command cannot run on a shared connection,
// and so which API to use instead.
type Refusal uint8

// The refusals.
const (
	// RefuseNone: the command is not refused.
	RefuseNone Refusal = iota
	// RefuseWatch: WATCH and UNWATCH hold state for later commands of the
	// connection (optimistic locking needs a connection of its own).
	RefuseWatch
	// RefuseSubscribe: the subscribe commands turn the connection into a
	// stream of messages.
	RefuseSubscribe
	// RefuseConnState: the command changes the connection's protocol,
	// credentials, database, reply mode or tracking, or ends it.
	RefuseConnState
	// RefuseMonitor: MONITOR and the replication commands turn the
	// connection into a stream.
	RefuseMonitor
	// RefuseScan: SCAN's cursor belongs to one node; a cluster-wide scan
	// needs an API of its own.
	RefuseScan
)

// connStateCommands are the commands, besides the flag-derived classes,
// that change the state of the connection they run on. Lower-case names,
// "container|sub" for subcommands.
var connStateCommands = map[string]Refusal{
	"watch":           RefuseWatch,
	"unwatch":         RefuseWatch,
	"subscribe":       RefuseSubscribe,
	"psubscribe":      RefuseSubscribe,
	"ssubscribe":      RefuseSubscribe,
	"unsubscribe":     RefuseSubscribe,
	"punsubscribe":    RefuseSubscribe,
	"sunsubscribe":    RefuseSubscribe,
	"hello":           RefuseConnState,
	"auth":            RefuseConnState,
	"select":          RefuseConnState,
	"reset":           RefuseConnState,
	"quit":            RefuseConnState,
	"readonly":        RefuseConnState,
	"readwrite":       RefuseConnState,
	"asking":          RefuseConnState,
	"client|reply":    RefuseConnState,
	"client|setname":  RefuseConnState,
	"client|setinfo":  RefuseConnState,
	"client|tracking": RefuseConnState,
	"client|caching":  RefuseConnState,
	"client|no-evict": RefuseConnState,
	"client|no-touch": RefuseConnState,
	"monitor":         RefuseMonitor,
	"sync":            RefuseMonitor,
	"psync":           RefuseMonitor,
	"replconf":        RefuseMonitor,
	"scan":            RefuseScan,
}

// anyNodeAdmin are admin commands that answer the same on any node, or
// about the cluster as a whole, so they may run on any one master.
var anyNodeAdmin = map[string]bool{
	"config|get":                    true,
	"cluster|replicas":              true,
	"cluster|slaves":                true,
	"cluster|count-failure-reports": true,
	"acl|getuser":                   true,
	"acl|list":                      true,
	"acl|users":                     true,
	"acl|dryrun":                    true,
	"pfselftest":                    true,
}

// classify sets the command's Class and Refusal from its name, flags and
// policy.
func (c *CommandInfo) classify() {
	if r, ok := connStateCommands[c.Name]; ok {
		c.Class, c.Refusal = ClassRefused, r
		return
	}
	switch c.Name {
	case "multi":
		c.Class = ClassMulti
		return
	case "exec", "discard":
		c.Class = ClassExec
		return
	case "wait":
		c.Class = ClassWait
		return
	case "xread", "xreadgroup":
		c.Class = ClassBlockingOption
		return
	}
	switch {
	case c.Flags.Has(FlagBlocking):
		c.Class = ClassBlocking
	case c.Flags.Has(FlagAdmin) && c.FirstKey == 0 && len(c.KeySpecs) == 0 &&
		c.Policy.Request == RequestDefault && !anyNodeAdmin[c.Name]:
		c.Class = ClassNodeSpecific
	default:
		c.Class = ClassPipelined
	}
}

// Blocks reports whether args, a call of this command, may block: always
// for ClassBlocking, with a BLOCK option for ClassBlockingOption (XREAD,
// XREADGROUP), never for the others.
func (c *CommandInfo) Blocks(args []string) bool {
	switch c.Class {
	case ClassBlocking:
		return true
	case ClassBlockingOption:
		// XREAD [COUNT n] [BLOCK ms] STREAMS ..., XREADGROUP GROUP g c
		// [COUNT n] [BLOCK ms] [NOACK] STREAMS ...: the options come
		// before STREAMS, and a value named BLOCK is data.
		for i := 1; i < len(args); i++ {
			switch a := args[i]; {
			case asciiEqualFold(a, "streams"):
				return false
			case asciiEqualFold(a, "block"):
				return true
			case asciiEqualFold(a, "count"):
				i++
			case asciiEqualFold(a, "group"):
				i += 2
			}
		}
	}
	return false
}

// BlockTimeout returns how long args, a call of a blocking command, may
// wait at most, by its own timeout argument (BLPOP's last, BLMPOP's first,
// XREAD's BLOCK); zero means forever, or a timeout the client cannot read.
func (c *CommandInfo) BlockTimeout(args []string) time.Duration {
	seconds := func(s string) time.Duration {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f <= 0 || f > 1e9 {
			return 0
		}
		return time.Duration(f * float64(time.Second))
	}
	switch c.Name {
	case "blpop", "brpop", "bzpopmin", "bzpopmax", "brpoplpush", "blmove":
		if len(args) > 2 {
			return seconds(args[len(args)-1])
		}
	case "blmpop", "bzmpop":
		if len(args) > 1 {
			return seconds(args[1])
		}
	case "xread", "xreadgroup":
		for i := 1; i+1 < len(args); i++ {
			if asciiEqualFold(args[i], "streams") {
				break
			}
			if asciiEqualFold(args[i], "block") {
				ms, err := strconv.ParseInt(args[i+1], 10, 64)
				if err != nil || ms <= 0 {
					return 0
				}
				return time.Duration(ms) * time.Millisecond
			}
		}
	}
	return 0
}
