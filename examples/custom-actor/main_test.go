package main

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCustomActor runs the demo as `go run ./examples/custom-actor` does,
// with its own local cluster: every write reaches the cluster through the
// buffer's pipelines, far fewer pipelines than writes, and every value
// reads back.
func TestCustomActor(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	opts := options{writers: 8, writes: 250, flushEvery: 50, flushInterval: 2 * time.Millisecond, pause: 3 * time.Millisecond}
	rep, err := run(ctx, &out, nil, opts)
	require.NoError(t, err, out.String())
	t.Log(out.String())
	const writes = 8 * 250
	assert.Equal(t, writes, rep.writes)
	assert.Equal(t, writes, rep.ok)
	assert.Zero(t, rep.errors)
	assert.Equal(t, writes, rep.verified)
	assert.Equal(t, rep.pipelines, rep.full+rep.timed+rep.drained)
	assert.GreaterOrEqual(t, rep.pipelines, writes/opts.flushEvery, "no pipeline holds more than flushEvery")
	assert.Less(t, rep.pipelines, writes/4, "writes were gathered into pipelines")
	assert.Contains(t, out.String(), "8 goroutines sent 2000 writes")
	assert.Contains(t, out.String(), "2000 OK, 0 errors")
	assert.Contains(t, out.String(), "verified 2000 values with GET")
	assert.Contains(t, out.String(), "deleted 2000 keys")
}
