package actors

import (
	"io"
	"sync"

	radixresp "github.com/mediocregopher/radix/v4/resp"

	"github.com/redactor-go/redactor/resp"
)

var (
	_ radixresp.Marshaler   = (*nodeBatch)(nil)
	_ radixresp.Unmarshaler = (*nodeBatch)(nil)
)

// writeBuffers recycles the buffers batches are encoded into.
var writeBuffers = sync.Pool{New: func() any { return new([]byte) }}

// MarshalRESP writes every command of the batch with a single Write.
func (b *nodeBatch) MarshalRESP(w io.Writer, _ *radixresp.Opts) error {
	bufp := writeBuffers.Get().(*[]byte)
	buf := (*bufp)[:0]
	for _, i := range b.idx {
		buf = resp.AppendCommand(buf, b.exec.Commands[i])
	}
	_, err := w.Write(buf)
	if cap(buf) <= 1<<20 {
		*bufp = buf
		writeBuffers.Put(bufp)
	}
	return err
}

// UnmarshalRESP reads one reply per command of the batch, each into its
// command's Result. An error reply lands on its own command; only a broken
// stream stops the loop, leaving the rest unanswered.
func (b *nodeBatch) UnmarshalRESP(br radixresp.BufferedReader, _ *radixresp.Opts) error {
	results := b.exec.Results
	for b.replied < len(b.idx) {
		v, err := resp.ReadReply(br)
		if err != nil {
			replyErr, ok := err.(*resp.Error)
			if !ok {
				return err
			}
			results[b.idx[b.replied]].Err = replyErr
		} else {
			results[b.idx[b.replied]].Value = v
		}
		b.replied++
	}
	return nil
}

// failUnanswered gives err to every command of the batch without a reply.
func (b *nodeBatch) failUnanswered(err error) {
	for _, i := range b.idx[b.replied:] {
		b.exec.Results[i] = Result{Err: err}
	}
	b.replied = len(b.idx)
}
