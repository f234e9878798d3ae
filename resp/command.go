package resp

import (
	"context"
	"fmt"
	"io"

	"github.com/mediocregopher/radix/v4"
	radixresp "github.com/mediocregopher/radix/v4/resp"
)

// Command is one command and its arguments, name first. It is a radix
// resp.Marshaler, so it can be passed to radix Conn.EncodeDecode.
type Command []string

var _ radixresp.Marshaler = Command(nil)

// MarshalRESP writes the command as a RESP array of bulk strings.
func (c Command) MarshalRESP(w io.Writer, _ *radixresp.Opts) error {
	_, err := w.Write(AppendCommand(nil, c))
	return err
}

// Reply receives one decoded reply. It is a radix resp.Unmarshaler that keeps
// a server error reply in Err instead of failing the connection.
type Reply struct {
	// Value is the decoded reply (see the package doc); nil for an error reply.
	Value any
	// Err is the server's error reply as a *Error, or nil.
	Err error
}

var _ radixresp.Unmarshaler = (*Reply)(nil)

// UnmarshalRESP reads one reply into r. It fails only when the stream broke.
func (r *Reply) UnmarshalRESP(br radixresp.BufferedReader, _ *radixresp.Opts) error {
	v, err := ReadReply(br)
	if e, ok := err.(*Error); ok {
		r.Value, r.Err = nil, e
		return nil
	}
	if err != nil {
		return err
	}
	r.Value, r.Err = v, nil
	return nil
}

// Do runs one command on conn and returns its decoded reply. A server error
// reply is returned as a *Error; other errors come from the connection.
func Do(ctx context.Context, conn radix.Conn, args ...string) (any, error) {
	var r Reply
	if err := conn.EncodeDecode(ctx, Command(args), &r); err != nil {
		return nil, fmt.Errorf("%s on %s: %w", args[0], conn.Addr(), err)
	}
	return r.Value, r.Err
}
