package actors

import (
	"bytes"
	"net"
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
		var w vecWriter
		if round == 1 {
			w.reset()
		}
		for _, c := range cmds {
			w.appendCommand(c)
		}
		assert.Equal(t, int64(len(want)), w.size)
		client, server := net.Pipe()
		got := make(chan []byte)
		go func() {
			var buf bytes.Buffer
			buf.ReadFrom(server)
			got <- buf.Bytes()
		}()
		n, err := w.writeTo(client)
		require.NoError(t, err)
		client.Close()
		assert.Equal(t, int64(len(want)), n)
		assert.Equal(t, want, <-got)
		assert.Greater(t, len(w.vecs), 1, "large arguments are iovecs of their own")
	}
}
