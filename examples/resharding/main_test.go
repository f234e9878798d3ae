package main

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor/redactortest"
)

// TestResharding runs the program as `go run ./examples/resharding
// -duration 1s` does, with its own local cluster.
func TestResharding(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	require.NoError(t, run(ctx, &out, options{duration: time.Second}), out.String())
	text := out.String()
	t.Log("\n" + text)
	for _, s := range []string{
		"event: node up: ",
		"step: moving ",
		"event: redirected: ASK to ",
		"event: redirected: MOVED to ",
		"step: failing ",
		"is master, after",
		"layout loaded: version ",
		", changed\n",
		"failed commands: 0, wrong values: 0\n",
		"final check: 200 of 200 keys hold the count their last INCR returned\n",
	} {
		assert.Contains(t, text, s)
	}
}

// TestReshardingAddrs runs the program on a cluster it did not start: with
// -addrs alone it leaves the layout as it is; with -reshard it changes it
// through the client.
func TestReshardingAddrs(t *testing.T) {
	rc := redactortest.StartT(t, redactortest.Options{Masters: 2, Replicas: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	layout := rc.Nodes()

	var out bytes.Buffer
	require.NoError(t, run(ctx, &out, options{addrs: rc.Addrs()[:1], duration: 500 * time.Millisecond}), out.String())
	text := out.String()
	t.Log("\n" + text)
	assert.Contains(t, text, "leaving the layout of ")
	assert.NotContains(t, text, "step:")
	assert.Contains(t, text, "failed commands: 0, wrong values: 0\n")
	require.NoError(t, rc.WaitHealthy(ctx))
	assert.Equal(t, layout, rc.Nodes(), "nothing changed")

	out.Reset()
	require.NoError(t, run(ctx, &out, options{addrs: rc.Addrs()[:1], reshard: true, duration: 500 * time.Millisecond}), out.String())
	text = out.String()
	t.Log("\n" + text)
	for _, s := range []string{
		"step: moving ",
		"event: redirected: MOVED to ",
		"is master, after",
		"failed commands: 0, wrong values: 0\n",
		"final check: 200 of 200 keys hold the count their last INCR returned\n",
	} {
		assert.Contains(t, text, s)
	}
	require.NoError(t, rc.WaitHealthy(ctx))
	assert.NotEqual(t, layout, rc.Nodes(), "a replica was promoted")
}
