package wire

import "errors"

// Outcomes of a command whose connection failed. Match them with errors.Is.
var (
	// ErrUnknownOutcome is the error of a command that was written to a node
	// and whose reply never came: the connection broke, or the caller gave
	// up waiting. It may or may not have run.
	ErrUnknownOutcome = errors.New("redactor: sent, but no reply came; it may or may not have run")
	// ErrNotSent wraps the error of a command that provably never reached
	// its node (the dial failed, or the write failed before any byte of it
	// left).
	ErrNotSent = errors.New("redactor: command not sent")
)
