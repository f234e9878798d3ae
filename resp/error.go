package resp

import (
	"errors"
	"net"
	"strconv"
	"strings"
)

// Error is an error reply of the server, such as "WRONGTYPE Operation against a
// key holding the wrong kind of value". Match it with errors.As; Prefix gives
// its code.
type Error struct {
	// Msg is the server's text, without the leading '-' or '!'.
	Msg string
}

// Error returns the server's text unchanged.
func (e *Error) Error() string { return e.Msg }

// Prefix returns the error code: the first word of the message, such as
// "WRONGTYPE", "MOVED" or "ERR".
func (e *Error) Prefix() string {
	if i := strings.IndexByte(e.Msg, ' '); i >= 0 {
		return e.Msg[:i]
	}
	return e.Msg
}

// IsMoved reports whether the reply is a MOVED redirect, and returns the slot
// (0 to 16383) and the address of the node that owns it now: "host:port",
// "[ipv6]:port", or ":port" when the node named no host (use SameHost). A
// reply whose slot or address cannot be one is no redirect.
func (e *Error) IsMoved() (slot int, addr string, ok bool) {
	return e.redirect("MOVED ")
}

// IsAsk reports whether the reply is an ASK redirect, and returns the slot and
// the address of the node to ask (with ASKING) for this one command.
func (e *Error) IsAsk() (slot int, addr string, ok bool) {
	return e.redirect("ASK ")
}

// IsTryAgain reports whether the reply is TRYAGAIN: a multi-key command during
// a slot migration that the server asks to retry later.
func (e *Error) IsTryAgain() bool { return strings.HasPrefix(e.Msg, "TRYAGAIN") }

// IsClusterDown reports whether the reply is CLUSTERDOWN.
func (e *Error) IsClusterDown() bool { return strings.HasPrefix(e.Msg, "CLUSTERDOWN") }

// IsLoading reports whether the reply is LOADING: the node is loading its data
// set into memory.
func (e *Error) IsLoading() bool { return strings.HasPrefix(e.Msg, "LOADING") }

// IsMasterDown reports whether the reply is MASTERDOWN.
func (e *Error) IsMasterDown() bool { return strings.HasPrefix(e.Msg, "MASTERDOWN") }

// IsNoScript reports whether the reply is NOSCRIPT: EVALSHA (or
// EVALSHA_RO) named a script the node does not hold, so nothing ran.
func (e *Error) IsNoScript() bool { return strings.HasPrefix(e.Msg, "NOSCRIPT") }

// IsUnblockedByDemotion reports whether the reply is the UNBLOCKED error a
// master gives the commands blocked on it (BLPOP, XREAD BLOCK) when it turns
// into a replica, in a failover: "UNBLOCKED force unblock from blocking
// operation, instance state changed (master -> replica?)". The command did
// nothing: it may run again on the new master. Another UNBLOCKED (CLIENT
// UNBLOCK ... ERROR, an operator's) is not this one.
func (e *Error) IsUnblockedByDemotion() bool {
	return strings.HasPrefix(e.Msg, "UNBLOCKED") && strings.Contains(e.Msg, "instance state changed")
}

// IsUnavailable reports whether the reply says the node cannot serve the
// command now but may later: TRYAGAIN, LOADING, CLUSTERDOWN or MASTERDOWN.
func (e *Error) IsUnavailable() bool {
	return e.IsTryAgain() || e.IsLoading() || e.IsClusterDown() || e.IsMasterDown()
}

// IsRedirect reports whether the reply is a MOVED or ASK redirect.
func (e *Error) IsRedirect() bool {
	_, _, moved := e.IsMoved()
	_, _, ask := e.IsAsk()
	return moved || ask
}

// slotCount is the number of hash slots of a cluster.
const slotCount = 16384

// redirect parses "<prefix><slot> <host:port>"; words after the address,
// which no Redis sends, are ignored. The address comes back as the slot map
// spells addresses: an IPv6 host in brackets (Redis sends it bare, "MOVED 1
// 2001:db8::1:6379"), and an empty host (a node whose
// cluster-preferred-endpoint-type is unknown-endpoint: "the host you asked")
// as ":port", for the caller to complete with the host of the node that
// replied (SameHost). A port outside 1 to 65535 makes it no redirect.
func (e *Error) redirect(prefix string) (int, string, bool) {
	rest, ok := strings.CutPrefix(e.Msg, prefix)
	if !ok {
		return 0, "", false
	}
	slotText, addr, ok := strings.Cut(rest, " ")
	addr, _, _ = strings.Cut(addr, " ")
	colon := strings.LastIndexByte(addr, ':')
	if !ok || colon < 0 {
		return 0, "", false
	}
	slot, err := strconv.Atoi(slotText)
	if err != nil || slot < 0 || slot >= slotCount {
		return 0, "", false
	}
	host, portText := addr[:colon], addr[colon+1:]
	if port, err := strconv.Atoi(portText); err != nil || port < 1 || port > 65535 || portText[0] == '+' {
		return 0, "", false
	}
	if strings.ContainsAny(host, ":[]") {
		host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
		if strings.ContainsAny(host, "[]") {
			return 0, "", false
		}
		addr = net.JoinHostPort(host, portText)
	}
	return slot, addr, true
}

// SameHost completes a redirect's address without a host (":port", see
// IsMoved) with the host of from, the address of the node that sent it; any
// other address comes back as it is.
func SameHost(addr, from string) string {
	if !strings.HasPrefix(addr, ":") {
		return addr
	}
	host, _, err := net.SplitHostPort(from)
	if err != nil {
		return addr
	}
	return net.JoinHostPort(host, addr[1:])
}

// AsError returns err as a *Error when it is or wraps one.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
