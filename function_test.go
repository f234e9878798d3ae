package redactor_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor"
)

// TestFunctions loads a library of functions (FUNCTION LOAD runs on every
// master) and calls them with FCALL and FCALL_RO, routed by their keys, in
// pipelines and alone.
func TestFunctions(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{})
	const lib = "#!lua name=redactor_test\n" +
		"redis.register_function('setget', function(keys, args) redis.call('SET', keys[1], args[1]) return redis.call('GET', keys[1]) end)\n" +
		"redis.register_function{function_name='getit', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}}\n" +
		"redis.register_function('echo', function(keys, args) return args[1] end)\n"
	require.Equal(t, redactor.Result{Value: "redactor_test"}, c.Do(ctx, "FUNCTION", "LOAD", "REPLACE", lib))
	t.Cleanup(func() { c.Do(context.Background(), "FUNCTION", "DELETE", "redactor_test") })
	for addr, v := range perMaster(t, c, "FUNCTION", "LIST", "LIBRARYNAME", "redactor_test") {
		assert.Len(t, v, 1, "loaded on every master: %s", addr)
	}

	keys := keysFor(t, 9)
	require.GreaterOrEqual(t, len(mastersOf(t, keys)), 2, "keys on several masters")
	for _, parallel := range []bool{true, false} {
		p := c.Pipeline(redactor.WithParallel(parallel))
		for i, k := range keys {
			p.Do("FCALL", "setget", "1", k, fmt.Sprint(parallel, i))
			p.Do("FCALL_RO", "getit", "1", k)
			p.Do("GET", k)
		}
		p.Do("FCALL", "echo", "0", "keyless")
		results, err := p.Exec(ctx)
		require.NoError(t, err)
		for i := range keys {
			want := redactor.Result{Value: fmt.Sprint(parallel, i)}
			assert.Equal(t, []redactor.Result{want, want, want}, results[3*i:3*i+3], keys[i])
		}
		assert.Equal(t, redactor.Result{Value: "keyless"}, results[len(results)-1])
	}
	for i, k := range keys {
		assert.Equal(t, redactor.Result{Value: "alone"}, c.Do(ctx, "FCALL", "setget", "1", k, "alone"), k)
		assert.Equal(t, redactor.Result{Value: "alone"}, c.Do(ctx, "FCALL_RO", "getit", "1", k), k)
		assert.Equal(t, redactor.Result{Value: "alone"}, c.Do(ctx, "GET", keys[i]), k)
	}
	tagA, tagB := tagsOnTwoMasters(t)
	assert.ErrorIs(t, c.Do(ctx, "FCALL", "setget", "2", tagA, tagB, "x").Err, redactor.ErrCrossSlot)
	assert.ErrorIs(t, c.Do(ctx, "FCALL_RO", "getit", "2", tagA, tagB).Err, redactor.ErrCrossSlot)
}
