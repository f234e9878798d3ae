package redactor_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/internal/localcluster"
)

// TestUnknownCommandFollowsMoved runs a keyed command the client's command
// table does not know (GETDEL renamed MYGETDEL on the servers, as a module's
// or a newer server's command would be): the client cannot find its keys,
// so it sends it to any master, and then where the MOVED says, once, with
// no ping-pong.
func TestUnknownCommandFollowsMoved(t *testing.T) {
	_, c := clusterAndClient(t, localcluster.Config{Masters: 3,
		ServerArgs: []string{"--rename-command", "GETDEL", "MYGETDEL"}}, redactor.Config{})
	ctx := testContext(t)
	keys := keysFor(t, 60)
	p := c.Pipeline()
	for _, k := range keys {
		p.Do("SET", k, "v:"+k)
	}
	_, err := p.Exec(ctx)
	require.NoError(t, err)
	events := countEvents(c)
	defer events.stop()

	p = c.Pipeline()
	for _, k := range keys {
		p.Do("MYGETDEL", k)
	}
	results, err := p.Exec(ctx)
	require.NoError(t, err)
	for i, r := range results {
		assert.Equal(t, redactor.Result{Value: "v:" + keys[i]}, r, keys[i])
	}
	for _, k := range keys[:5] {
		assert.Equal(t, redactor.Result{Value: nil}, c.Do(ctx, "GET", k), "ran once, on its master")
		assert.Equal(t, redactor.Result{Value: nil}, c.Do(ctx, "MYGETDEL", k))
	}
	_, _, moved, _ := events.snapshot()
	t.Logf("%d MOVED for %d unknown commands", moved, len(keys)+5)
	assert.LessOrEqual(t, moved, len(keys)+5, "at most one MOVED per command")
}
