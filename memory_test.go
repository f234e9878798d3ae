package redactor_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor"
)

// allocatedBy returns the bytes the process allocated while f ran: f's own,
// and those of the actors and connections that worked for it.
func allocatedBy(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestSmallPipelineAfterHugeAllocatesLittle checks that a pipeline's
// buffers are sized by that pipeline: a 100-command pipeline right after a
// 200,000-command one allocates about what it does after another small one,
// not buffers grown or kept for the huge one. Not parallel: it measures the
// process's allocations.
func TestSmallPipelineAfterHugeAllocatesLittle(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{})
	keys := keysFor(t, 200_000)
	small := func(ctx context.Context) {
		p := c.Pipeline()
		for _, k := range keys[:50] {
			p.Do("SET", k, "a small value")
		}
		for _, k := range keys[:50] {
			p.Do("GET", k)
		}
		results, err := p.Exec(ctx)
		require.NoError(t, err)
		require.Len(t, results, 100)
		assert.Equal(t, "a small value", results[99].Value)
	}
	huge := func(ctx context.Context) {
		p := c.Pipeline()
		for _, k := range keys {
			p.Do("SET", k, "a value of the huge pipeline, 50 bytes or so....")
		}
		results, err := p.Exec(ctx)
		require.NoError(t, err)
		require.Len(t, results, len(keys))
		assert.Equal(t, "OK", results[len(keys)-1].Value)
	}

	for range 5 {
		small(ctx) // warm up: connections, pools, scratch of small size
	}
	var afterSmall uint64 = 1 << 62
	for range 5 {
		afterSmall = min(afterSmall, allocatedBy(func() { small(ctx) }))
	}
	huge(ctx)
	afterHuge := allocatedBy(func() { small(ctx) })
	t.Logf("a 100-command pipeline allocated %d bytes after small ones, %d right after a 200,000-command one",
		afterSmall, afterHuge)
	// The huge pipeline's wire bytes are 14 MB, its Results 6 MB: a
	// pipeline that grew anything to its size would allocate megabytes.
	assert.Less(t, afterHuge, max(4*afterSmall, 256<<10),
		"the small pipeline after the huge one allocated %d bytes, after small ones %d", afterHuge, afterSmall)
}
