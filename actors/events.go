package actors

import "github.com/redactor-go/redactor/topology"

// Redirected is published as an event (see redactor.Observe) when a batch
// came back with MOVED or ASK redirects.
type Redirected struct {
	// Moved are the slots MOVED named, with their new masters.
	Moved []topology.Move
	// Asked are the nodes ASK sent commands to.
	Asked []string
}

// UnknownOutcome is published when commands of a batch were left with
// ErrUnknownOutcome: written to a node whose connection broke before their
// replies came, and not re-sent (not read-only, no Config.RetryUnsafe).
// They may or may not have run.
type UnknownOutcome struct {
	// Addr is the node's address.
	Addr string
	// Commands is how many commands of the batch it concerns.
	Commands int
}

// PushSkipped is published as an event (see redactor.Observe) for each
// RESP3 push frame a command connection read and skipped (Config.Protocol
// 3): data the node sent on its own, which no command ever gets as its
// reply.
type PushSkipped struct {
	// Addr is the node's address.
	Addr string
	// Push is the push's decoded values, its kind first (such as
	// "invalidate").
	Push []any
}
