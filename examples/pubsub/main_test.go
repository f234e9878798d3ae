package main

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPubSub runs the demo as `go run ./examples/pubsub` does, with its own
// local cluster.
func TestPubSub(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	require.NoError(t, run(ctx, &out, nil), out.String())
	text := out.String()
	t.Log(text)
	for _, line := range []string{
		"smessage orders:{eu}: order 1\n",
		"smessage orders:{us}: order 1\n",
		"smessage orders:{asia}: order 1\n",
		"reconnected orders:{eu}: ",
		"smessage orders:{eu}: order 2, after the move\n",
		"dropped: 0\n",
	} {
		assert.Contains(t, text, line)
	}
}
