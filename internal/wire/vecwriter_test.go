package wire

import (
	"bytes"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor/resp"
)

// TestVecWriterEncodesLikeAppendCommand writes commands with small and
// large arguments through a vectored write and compares the bytes with the
// plain encoding.
func TestVecWriterEncodesLikeAppendCommand(t *testing.T) {
	large := strings.Repeat("x", largeArg)
	cmds := [][]string{
		{"GET", "k"},
		{"SET", "k", large},
		{"MSET", "a", large + "1", "b", "small", "c", large + "22"},
		{"PING"},
		{"SET", "", ""},
	}
	var want []byte
	for _, c := range cmds {
		want = resp.AppendCommand(want, c)
	}
	for round := range 2 { // the second round reuses the writer
		client, server := net.Pipe()
		got := make(chan []byte)
		go func() {
			var buf bytes.Buffer
			buf.ReadFrom(server)
			got <- buf.Bytes()
		}()
		w := VecWriter{Conn: client}
		if round == 1 {
			w.Reset()
		}
		for _, c := range cmds {
			w.AppendCommand(c)
		}
		assert.Equal(t, int64(len(want)), w.size)
		assert.Greater(t, len(w.vecs), 1, "large arguments are iovecs of their own")
		n, err := w.Finish()
		require.NoError(t, err)
		client.Close()
		assert.Equal(t, int64(len(want)), n)
		assert.Equal(t, want, <-got)
	}
}

// TestVecWriterWritesLargeBatchesInParts encodes a batch of 100,000
// commands and checks that the writer wrote them as it went, in parts of
// about flushScratch bytes, never holding a buffer of the batch's size,
// and that the bytes are the plain encoding's.
func TestVecWriterWritesLargeBatchesInParts(t *testing.T) {
	var cmds [][]string
	var want []byte
	for i := range 100_000 {
		c := []string{"SET", "key:" + strconv.Itoa(i), "a value of some 30 bytes......"}
		cmds = append(cmds, c)
		want = resp.AppendCommand(want, c)
	}
	client, server := net.Pipe()
	got := make(chan []byte)
	go func() {
		var buf bytes.Buffer
		buf.ReadFrom(server)
		got <- buf.Bytes()
	}()
	w := VecWriter{Conn: client}
	maxScratch := 0
	for _, c := range cmds {
		w.AppendCommand(c)
		maxScratch = max(maxScratch, cap(w.scratch))
	}
	n, err := w.Finish()
	require.NoError(t, err)
	client.Close()
	assert.Equal(t, int64(len(want)), n)
	assert.Equal(t, want, <-got)
	require.Greater(t, len(want), 10*flushScratch, "the batch is many buffers' worth")
	assert.LessOrEqual(t, maxScratch, maxKeptScratch, "the buffer stays one that is kept between writes")
}

// TestVecWriterStopsAfterAFailedWrite checks that after a write failed the
// writer writes nothing more, and reports what left before the failure.
func TestVecWriterStopsAfterAFailedWrite(t *testing.T) {
	client, server := net.Pipe()
	server.Close()
	w := VecWriter{Conn: client}
	for i := range 20_000 {
		w.AppendCommand([]string{"SET", "key:" + strconv.Itoa(i), "a value of some 30 bytes......"})
	}
	sizeAtFailure := w.size
	w.AppendCommand([]string{"PING"})
	assert.Equal(t, sizeAtFailure, w.size, "nothing is encoded after the failure")
	n, err := w.Finish()
	require.ErrorIs(t, err, io.ErrClosedPipe)
	assert.Equal(t, int64(0), n)
}
