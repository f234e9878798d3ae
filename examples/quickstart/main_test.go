package main

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestQuickstart runs the demo as `go run ./examples/quickstart` does, with
// its own local cluster.
func TestQuickstart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	require.NoError(t, run(ctx, &out, nil, 3, time.Millisecond), out.String())
	text := out.String()
	assert.Contains(t, text, "parallel: 100 commands")
	assert.Contains(t, text, "serial: 100 commands")
	assert.Contains(t, text, "[1] user-0")
	assert.Contains(t, text, "100 results, 0 errors")
	assert.Contains(t, text, "parallel and serial results are identical")
}
