package actors

import (
	"github.com/redactor-go/redactor/internal/wire"
	"github.com/redactor-go/redactor/resp"
)

// asking is the command that lets the next command in on a slot being
// imported (the ASK redirect).
var asking = []string{"ASKING"}

// encode encodes every command of the batch into w. In an ASK batch
// ASKING precedes each command, except inside a MULTI block: there it
// precedes the MULTI only, whose ASKING lasts until EXEC.
func (b *nodeBatch) encode(w *wire.VecWriter) {
	e := b.exec
	for _, i := range b.idx {
		if b.asking && !e.insideTx(i) {
			w.AppendCommand(asking)
		}
		w.AppendCommand(e.command(i))
	}
}

// readReplies reads one reply per command of the batch, each into its
// command's Result. An error reply lands on its own command; only a broken
// stream stops the loop, leaving the rest unanswered.
func (b *nodeBatch) readReplies(d *resp.Decoder) error {
	e := b.exec
	for b.replied < len(b.idx) {
		i := b.idx[b.replied]
		if b.asking && !e.insideTx(i) {
			// ASKING answers OK; should it fail, the command's own reply
			// (MOVED, say) tells what happened.
			if _, err := d.Decode(); err != nil {
				if _, isReply := err.(*resp.Error); !isReply {
					return err
				}
			}
		}
		v, err := d.Decode()
		r := e.result(i)
		if err != nil {
			replyErr, isReply := err.(*resp.Error)
			if !isReply {
				return err
			}
			*r = Result{Err: replyErr}
		} else {
			*r = Result{Value: v}
		}
		b.replied++
	}
	return nil
}

// failUnanswered gives err to every command of the batch without a reply.
func (b *nodeBatch) failUnanswered(err error) {
	for _, i := range b.idx[b.replied:] {
		*b.exec.result(i) = Result{Err: err}
	}
	b.replied = len(b.idx)
}

// doneMsg returns the message that reports the batch done.
func (b *nodeBatch) doneMsg() *batchDone {
	b.observe()
	b.done.batch = b
	return &b.done
}

// argBytes returns the size of a command's arguments.
func argBytes(args []string) int {
	n := 0
	for _, a := range args {
		n += len(a)
	}
	return n
}
