package redactor

import (
	"context"
	"errors"
	"strings"

	"github.com/redactor-go/redactor/actors"
	"github.com/redactor-go/redactor/internal/wire"
	"github.com/redactor-go/redactor/resp"
)

// otherValue is the semantic conventions' value for what fits no other
// (error.type's fallback); redactor uses it for db.operation.name too.
const otherValue = "_OTHER"

// opKind is what kind of operation a pipeline is, for db.operation.name.
type opKind uint8

const (
	opSingle   opKind = iota // one command: its name
	opPipeline               // several: "PIPELINE", or "PIPELINE GET"
	opMulti                  // MULTI ... EXEC: "MULTI", or "MULTI SET"
)

func (k opKind) String() string {
	switch k {
	case opPipeline:
		return "PIPELINE"
	case opMulti:
		return "MULTI"
	}
	return ""
}

// operationOf returns the kind of operation of a pipeline's commands, and
// the name they share, as the first of them spells it ("" when their names
// differ). As the Redis semantic conventions say, a transaction (MULTI
// first, EXEC last) is MULTI, any other pipeline of several commands
// PIPELINE, followed by the name its commands share when they do.
func operationOf(args [][]string) (opKind, string) {
	switch n := len(args); {
	case n == 1:
		return opSingle, nameOf(args[0])
	case n >= 2 && strings.EqualFold(nameOf(args[0]), "multi") && strings.EqualFold(nameOf(args[n-1]), "exec"):
		return opMulti, sharedName(args[1 : n-1])
	default:
		return opPipeline, sharedName(args)
	}
}

// sharedName returns the name of the commands when they all have the same
// (in any case), else "".
func sharedName(args [][]string) string {
	if len(args) == 0 {
		return ""
	}
	name := nameOf(args[0])
	for _, a := range args[1:] {
		if n := nameOf(a); n != name && !strings.EqualFold(n, name) {
			return ""
		}
	}
	return name
}

func nameOf(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return args[0]
}

// errorType returns error.type for err, and db.response.status_code when
// it is an error reply of the server: its prefix (WRONGTYPE, ERR,
// CLUSTERDOWN). An error of the client is one of a fixed set of names
// (docs/metrics.md), "_OTHER" when none fits.
func errorType(err error) (errType, status string) {
	var re *resp.Error
	switch {
	case errors.Is(err, ErrTooManyRedirects):
		// It wraps the last redirect, an error reply.
		return "too_many_redirects", ""
	case errors.As(err, &re):
		p := re.Prefix()
		if !plainPrefix(p) {
			p = otherValue
		}
		return p, p
	}
	for _, c := range clientErrors {
		if errors.Is(err, c.err) {
			return c.name, ""
		}
	}
	return otherValue, ""
}

// clientErrors name the client's errors for error.type, the first that
// matches winning.
var clientErrors = []struct {
	err  error
	name string
}{
	{context.DeadlineExceeded, "timeout"},
	{context.Canceled, "canceled"},
	{ErrClosed, "closed"},
	{ErrUnknownOutcome, "unknown_outcome"},
	{wire.ErrAuth, "auth"},
	{wire.ErrTLS, "tls"},
	{ErrNodeUnreachable, "node_unreachable"},
	{ErrNotSent, "not_sent"},
	{ErrCrossSlot, "cross_slot"},
	{ErrNotPipelinable, "not_pipelinable"},
	{ErrSlotNotServed, "slot_not_served"},
	{ErrUnknownNode, "unknown_node"},
	{ErrEmptyCommand, "empty_command"},
	{ErrInvalidArgument, "invalid_argument"},
	{actors.ErrNoRoutes, "no_routes"},
}

// plainPrefix reports whether an error reply's prefix looks like those of
// Redis (upper-case letters, digits, '_' and '-', at most 32 bytes): a
// script's error_reply may start with anything, which must not make a
// series per message.
func plainPrefix(p string) bool {
	if p == "" || len(p) > 32 {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
