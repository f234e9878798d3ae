package main

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMetrics runs the demo as `go run ./examples/metrics` does, with its
// own local cluster, for a second: the stdout exporter wrote JSON, and the
// summary shows pipelines, single commands, the failed INCRs, batches on
// every master and the redirects of the moved slot.
func TestMetrics(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	s, err := run(ctx, &out, nil, options{duration: 2 * time.Second, workers: 4, exportInterval: 500 * time.Millisecond})
	require.NoError(t, err, out.String())
	text := out.String()
	t.Log(text)

	assert.Contains(t, text, `"Name":"db.client.operation.duration"`, "the stdout exporter's JSON")
	assert.Contains(t, text, `"Name":"redactor.batch.duration"`)
	names := map[string]uint64{}
	for _, op := range s.ops {
		names[op.name] = op.count
	}
	assert.Positive(t, names["PIPELINE"])
	assert.Positive(t, names["GET"])
	assert.Positive(t, names["SET"], "the setup")
	assert.Contains(t, names, "INCR (error.type=ERR)")
	assert.Len(t, s.nodes, 3, "batches on every master")
	for _, n := range s.nodes {
		assert.Equal(t, int64(1), s.conns[n.addr], n.addr)
	}
	assert.Positive(t, s.redirects["moved"], "the hot key's slot moved")
	assert.Positive(t, s.retries)
	assert.Zero(t, s.unknown)
	assert.Contains(t, text, "db.client.operation.duration, by db.operation.name:")
	assert.Contains(t, text, "node batches")
}
