package localcluster

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mediocregopher/radix/v4"
	"github.com/mediocregopher/radix/v4/resp"
	"github.com/mediocregopher/radix/v4/resp/resp3"
)

// pipelineCmdTimeout is the time a pipeline gets per command, on top of
// cmdTimeout.
const pipelineCmdTimeout = time.Millisecond

// call is one command of a pipeline with, once the pipeline has run, the
// error the node replied to it.
type call struct {
	args []string // command name and arguments
	rcv  any      // receives the reply, as with radix.Cmd; nil discards it
	err  error    // the node's error reply, wrapped with the node and command
}

// newCall returns a call of the command whose reply is decoded into rcv.
func newCall(rcv any, args ...string) *call { return &call{args: args, rcv: rcv} }

// String returns the command line.
func (c *call) String() string { return strings.Join(c.args, " ") }

// callReply decodes the reply of one call, keeping an error reply in the call
// instead of failing the whole pipeline as radix.Pipeline does.
type callReply struct{ c *call }

var _ resp.Unmarshaler = callReply{}

// UnmarshalRESP implements resp.Unmarshaler.
func (r callReply) UnmarshalRESP(br resp.BufferedReader, o *resp.Opts) error {
	err := resp3.Unmarshal(br, r.c.rcv, o)
	if errors.As(err, new(resp.ErrConnUsable)) {
		r.c.err = resp.ErrConnUnusable(err)
		return nil
	}
	return err
}

// pipeline sends the calls in one round trip and reads their replies, in
// order. It returns an error when the calls could not be sent or their
// replies not all read (some may have run); otherwise each call's err is the
// node's error reply to it, if any, wrapped with the node and command.
func (c *client) pipeline(ctx context.Context, calls []*call) error {
	if len(calls) == 0 {
		return nil
	}
	p := radix.NewPipeline()
	for _, cl := range calls {
		cl.err = nil
		p.Append(radix.Cmd(callReply{cl}, cl.args[0], cl.args[1:]...))
	}
	name := fmt.Sprintf("pipeline of %d commands (%s, ...)", len(calls), calls[0])
	timeout := cmdTimeout + time.Duration(len(calls))*pipelineCmdTimeout
	if err := c.perform(ctx, timeout, name, p); err != nil {
		return err
	}
	for _, cl := range calls {
		if cl.err != nil {
			cl.err = fmt.Errorf("localcluster: %s: %s: %w", c.addr, cl, cl.err)
		}
	}
	return nil
}
