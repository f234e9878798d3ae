package redactor

import (
	"errors"

	"github.com/redactor-go/redactor/actors"
	"github.com/redactor-go/redactor/resp"
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
	// ErrCrossSlot is the error of a command whose keys hash to different
	// slots. Such a command is never sent.
	ErrCrossSlot = actors.ErrCrossSlot
	// ErrEmptyCommand is the error of a command without a name.
	ErrEmptyCommand = actors.ErrEmptyCommand
	// ErrSlotNotServed is the error of a command whose slot no master serves.
	ErrSlotNotServed = actors.ErrSlotNotServed
	// ErrNodeUnreachable is the error of commands that could not be sent
	// because their node could not be connected to.
	ErrNodeUnreachable = actors.ErrNodeUnreachable
)
