package redactor

import (
	"context"

	"github.com/redactor-go/redactor/actors"
)

// Result is the outcome of one command: its decoded reply in Value, or its
// own error in Err. See actors.Result for the value types.
type Result = actors.Result

// Pipeline queues commands and runs them with Exec. Commands are grouped into
// one batch per master, and results come back in queue order. A Pipeline is
// not safe for concurrent use; after Exec it is empty and can be used again.
type Pipeline struct {
	client *Client
	mode   actors.Mode
	cmds   [][]string
	args   []string
}

// PipelineOption changes how one pipeline runs.
type PipelineOption func(*Pipeline)

// WithParallel overrides the client's Config.SerialPipelines for one
// pipeline: true sends its node batches at once, false one after another.
func WithParallel(parallel bool) PipelineOption {
	return func(p *Pipeline) {
		if parallel {
			p.mode = actors.Parallel
		} else {
			p.mode = actors.Serial
		}
	}
}

// Do queues one command: its name, then its arguments. The arguments are
// copied, so the caller may reuse its slice.
func (p *Pipeline) Do(cmd string, args ...string) {
	if p.cmds == nil {
		// Start with room for a pipeline as big as the client's last one,
		// so a steady workload never grows (and copies) its buffers.
		cmds, args := p.client.lastSize.Load()
		p.cmds = make([][]string, 0, max(cmds, 16))
		p.args = make([]string, 0, max(args, 64))
	}
	start := len(p.args)
	p.args = append(p.args, cmd)
	p.args = append(p.args, args...)
	p.cmds = append(p.cmds, p.args[start:len(p.args):len(p.args)])
}

// Len returns the number of queued commands.
func (p *Pipeline) Len() int { return len(p.cmds) }

// Parallel reports whether Exec sends node batches at once.
func (p *Pipeline) Parallel() bool { return p.mode == actors.Parallel }

// Exec runs the queued commands and returns one Result per command, in queue
// order. Its error is for the pipeline as a whole (ctx done, client closed);
// each command's own error is in its Result. An empty pipeline returns an
// empty slice without any I/O. Exec empties the pipeline.
func (p *Pipeline) Exec(ctx context.Context) ([]Result, error) {
	if len(p.cmds) == 0 {
		select {
		case <-p.client.closed:
			return nil, ErrClosed
		default:
			return []Result{}, nil
		}
	}
	p.client.lastSize.Store(len(p.cmds), len(p.args))
	e := &actors.Exec{Commands: p.cmds, Mode: p.mode}
	// The queued commands now belong to e: commands still in flight after a
	// canceled Exec keep reading them, so the pipeline starts afresh.
	p.cmds, p.args = nil, nil
	if err := p.client.exec(ctx, e, make(chan *actors.Exec, 1)); err != nil {
		return nil, err
	}
	return e.Results, nil
}
