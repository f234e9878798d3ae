// Package resp is redactor's RESP layer: it encodes commands, decodes replies
// into plain Go values while keeping every reply's error to itself, classifies
// the server's error replies (MOVED, ASK, TRYAGAIN, CROSSSLOT, ...), and reads
// the server's command table to find the keys of any command.
//
// # Values
//
// Replies decode to string (simple, bulk and verbatim strings), int64
// (integers), float64 (RESP3 doubles), bool (RESP3 booleans), nil (null
// replies), []any (arrays, sets and pushes), map[string]any (RESP3 maps) and
// *big.Int (RESP3 big numbers). An error reply becomes a *Error.
//
// # Reading and writing
//
// ReadReply reads one reply from a radix/v4 resp.BufferedReader, and
// AppendCommand encodes one command; together they let a radix
// resp.Marshaler/resp.Unmarshaler pair write a whole batch of commands at once
// and read every reply of it into its own place.
package resp
