package actors

import (
	"bufio"
	"bytes"
	"fmt"
	"testing"

	"github.com/redactor-go/redactor/resp"
)

// loopReader reads data over and over, like a node that keeps answering.
type loopReader struct {
	data []byte
	off  int
}

func (r *loopReader) Read(p []byte) (int, error) {
	n := copy(p, r.data[r.off:])
	r.off = (r.off + n) % len(r.data)
	return n, nil
}

// BenchmarkReadReplies is the reader's per-batch cost on the pipelined
// connection without I/O: the replies of a pipeline of 100 commands (half
// OK, half 32-byte values) decoded into their Results.
func BenchmarkReadReplies(b *testing.B) {
	cmds := benchCommands(100)
	var replies bytes.Buffer
	for i := range cmds {
		if i%2 == 0 {
			replies.WriteString("+OK\r\n")
		} else {
			fmt.Fprintf(&replies, "$32\r\n%032d\r\n", i)
		}
	}
	br := bufio.NewReaderSize(&loopReader{data: replies.Bytes()}, 32<<10)
	d := resp.NewDecoder(br)
	batch := batchOf(cmds...)
	b.SetBytes(int64(replies.Len()))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		batch.replied = 0
		if err := batch.readReplies(d); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(cmds)), "ns/reply")
}
