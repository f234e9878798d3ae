// Package wire holds what every connection of redactor shares: the outcome
// errors of a command whose connection failed (ErrNotSent,
// ErrUnknownOutcome), and Conn, a connection of its own to one node for the
// commands that must not share a pipelined connection (blocking commands,
// WATCH transactions, subscriptions), with a bounded Pool of them per node;
// and VecWriter, which both Conn and the pipelined connections of package
// actors write commands with.
package wire
