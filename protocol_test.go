package redactor_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor"
)

// nestedScript returns a Lua table nested as deep as its argument.
const nestedScript = `local t = {} local c = t for i = 2, tonumber(ARGV[1]) do c[1] = {} c = c[1] end return t`

// TestReplyBeyondMaxReplyDepth has a real node send a reply nested deeper
// than Config.MaxReplyDepth: that command and the one after it on the
// connection get ErrProtocol with ErrUnknownOutcome, the command before
// keeps its reply, and the next pipeline works on a new connection.
func TestReplyBeyondMaxReplyDepth(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{MaxReplyDepth: 10})
	key := "{" + t.Name() + "}"
	p := c.Pipeline()
	p.Do("SET", key+"a", "1")
	p.Do("EVAL", nestedScript, "1", key, "11")
	p.Do("INCR", key+"n")
	results, err := p.Exec(ctx)
	require.NoError(t, err)
	assert.Equal(t, "OK", results[0].Value)
	for _, r := range results[1:] {
		assert.ErrorIs(t, r.Err, redactor.ErrProtocol)
		assert.ErrorIs(t, r.Err, redactor.ErrUnknownOutcome)
	}

	require.Eventually(t, func() bool {
		return c.Do(ctx, "EVAL", nestedScript, "1", key, "10").Err == nil
	}, 10*time.Second, 20*time.Millisecond, "the node reconnects")
	got := c.Do(ctx, "GET", key+"n")
	require.NoError(t, got.Err)
	assert.Equal(t, "1", got.Value, "INCR ran once: it was not re-sent")
}
