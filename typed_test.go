package redactor_test

import (
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor"
)

// TestTypedResults reads the replies of a real cluster with the typed
// accessors: what each command's reply converts to, and ErrNil for the
// missing key.
func TestTypedResults(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{})
	k := keysFor(t, 6)
	p := c.Pipeline()
	p.Do("SET", k[0], "ada")                          // 0
	p.Do("GET", k[0])                                 // 1
	p.Do("INCR", k[1])                                // 2
	p.Do("GET", k[1])                                 // 3
	p.Do("ZADD", k[2], "1.5", "ada", "-inf", "alan")  // 4
	p.Do("ZSCORE", k[2], "ada")                       // 5
	p.Do("ZSCORE", k[2], "alan")                      // 6
	p.Do("HSET", k[3], "name", "ada", "born", "1815") // 7
	p.Do("HGETALL", k[3])                             // 8
	p.Do("EXISTS", k[0])                              // 9
	p.Do("EXISTS", k[4])                              // 10
	p.Do("GET", k[4])                                 // 11
	p.Do("SET", k[5], "\x00\xff")                     // 12
	p.Do("GET", k[5])                                 // 13
	p.Do("ZRANGE", k[2], "0", "-1")                   // 14
	p.Do("INCR", k[0])                                // 15
	p.Do("HGETALL", k[4])                             // 16
	results, err := p.Exec(ctx)
	require.NoError(t, err)
	require.Len(t, results, 17)

	s, err := results[0].Text()
	assert.NoError(t, err)
	assert.Equal(t, "OK", s)
	s, err = results[1].Text()
	assert.NoError(t, err)
	assert.Equal(t, "ada", s)

	n, err := results[2].Int64()
	assert.NoError(t, err)
	assert.Equal(t, int64(1), n)
	n, err = results[3].Int64() // the counter, read back as text
	assert.NoError(t, err)
	assert.Equal(t, int64(1), n)

	n, err = results[4].Int64()
	assert.NoError(t, err)
	assert.Equal(t, int64(2), n)
	f, err := results[5].Float64() // "1.5" in RESP2
	assert.NoError(t, err)
	assert.Equal(t, 1.5, f)
	f, err = results[6].Float64()
	assert.NoError(t, err)
	assert.Equal(t, math.Inf(-1), f)

	m, err := results[8].StringMap()
	assert.NoError(t, err)
	assert.Equal(t, map[string]string{"name": "ada", "born": "1815"}, m)

	yes, err := results[9].Bool()
	assert.NoError(t, err)
	assert.True(t, yes)
	yes, err = results[10].Bool()
	assert.NoError(t, err)
	assert.False(t, yes)

	assert.True(t, results[11].IsNil())
	_, err = results[11].Text()
	assert.ErrorIs(t, err, redactor.ErrNil)
	_, err = results[11].Int64()
	assert.ErrorIs(t, err, redactor.ErrNil)

	b, err := results[13].Bytes()
	assert.NoError(t, err)
	assert.Equal(t, []byte{0, 0xff}, b)

	members, err := results[14].Slice()
	assert.NoError(t, err)
	assert.Equal(t, []any{"alan", "ada"}, members)
	_, err = results[14].Int64()
	assert.ErrorIs(t, err, redactor.ErrUnexpectedType)

	var redisErr *redactor.RedisError
	_, err = results[15].Int64() // INCR of "ada": the command's own error
	require.ErrorAs(t, err, &redisErr)
	assert.False(t, results[15].IsNil())

	m, err = results[16].StringMap() // HGETALL of a missing key: empty
	assert.NoError(t, err)
	assert.Empty(t, m)
}

// TestArgsPipeline sends typed arguments to a real cluster and reads them
// back; a refused command gets its own error in its place and is never
// sent, and the others run.
func TestArgsPipeline(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{})
	k := keysFor(t, 5)
	p := c.Pipeline()
	p.DoArgs("SET", k[0], 41)                               // 0
	p.DoArgs("INCRBY", k[0], int8(1))                       // 1
	p.DoArgs("SET", k[1], []byte{0, 1, 2})                  // 2
	p.DoArgs("SET", k[2], "never", "EX", time.Minute)       // 3: refused
	p.DoArgs("ZADD", k[3], 0.1, "a", math.Inf(1), "b")      // 4
	p.DoArgs("ZSCORE", k[3], "a")                           // 5
	p.DoArgs("ZSCORE", k[3], "b")                           // 6
	p.DoArgs("SET", k[4], uint64(math.MaxUint64), "EX", 60) // 7
	p.DoArgs("GET", k[4])                                   // 8
	p.DoArgs("TTL", k[4])                                   // 9
	p.DoArgs("SETBIT", k[1], 30, true)                      // 10
	p.DoArgs("GET", k[1])                                   // 11
	p.DoArgs("EXISTS", k[2])                                // 12
	p.DoArgs("ZADD", k[3], math.NaN(), "c")                 // 13: refused
	results, err := p.Exec(ctx)
	require.NoError(t, err)
	require.Len(t, results, 14)

	n, err := results[1].Int64()
	assert.NoError(t, err)
	assert.Equal(t, int64(42), n)
	assert.ErrorIs(t, results[3].Err, redactor.ErrInvalidArgument)
	assert.ErrorContains(t, results[3].Err, "time.Duration")
	f, err := results[5].Float64()
	assert.NoError(t, err)
	assert.Equal(t, 0.1, f)
	f, err = results[6].Float64()
	assert.NoError(t, err)
	assert.Equal(t, math.Inf(1), f)
	s, err := results[8].Text()
	assert.NoError(t, err)
	assert.Equal(t, "18446744073709551615", s)
	n, err = results[9].Int64()
	assert.NoError(t, err)
	assert.InDelta(t, 60, n, 5)
	b, err := results[11].Bytes()
	assert.NoError(t, err)
	assert.Equal(t, []byte{0, 1, 2, 2}, b) // bit 30 is the second-lowest of the fourth byte
	gone, err := results[12].Bool()
	assert.NoError(t, err)
	assert.False(t, gone, "the refused SET was never sent")
	assert.ErrorIs(t, results[13].Err, redactor.ErrInvalidArgument)
	n, err = c.Do(ctx, "ZCARD", k[3]).Int64()
	assert.NoError(t, err)
	assert.Equal(t, int64(2), n, "the refused ZADD was never sent")
}

// TestArgsOnlyRefused checks a pipeline of refused commands only: each
// gets its error, and nothing is sent.
func TestArgsOnlyRefused(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{})
	p := c.Pipeline()
	p.DoArgs("SET", "k", nil)
	p.DoArgs("SET", "k", struct{}{})
	results, err := p.Exec(ctx)
	require.NoError(t, err)
	require.Len(t, results, 2)
	for _, r := range results {
		assert.ErrorIs(t, r.Err, redactor.ErrInvalidArgument)
	}
	assert.Equal(t, 0, p.Len(), "Exec emptied the pipeline")
}

// TestArgsTxRefused checks that a WithTx pipeline with a refused argument
// is refused as a whole, before any I/O.
func TestArgsTxRefused(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{})
	k := "{" + t.Name() + "}"
	p := c.Pipeline(redactor.WithTx())
	p.DoArgs("SET", k+":a", 1)
	p.DoArgs("SET", k+":b", []int{1})
	results, err := p.Exec(ctx)
	assert.ErrorIs(t, err, redactor.ErrInvalidArgument)
	assert.Nil(t, results)
	assert.True(t, c.Do(ctx, "GET", k+":a").IsNil(), "nothing of the transaction was sent")
}

// TestArgsClientDo runs single commands with typed arguments.
func TestArgsClientDo(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{})
	k := keysFor(t, 1)[0]
	require.NoError(t, c.DoArgs(ctx, "SET", k, 1.25).Err)
	f, err := c.DoArgs(ctx, "INCRBYFLOAT", k, float32(0.25)).Float64()
	assert.NoError(t, err)
	assert.Equal(t, 1.5, f)
	r := c.DoArgs(ctx, "SET", k, "x", "PX", time.Millisecond)
	assert.ErrorIs(t, r.Err, redactor.ErrInvalidArgument)
	s, err := c.DoArgs(ctx, "GET", k).Text()
	assert.NoError(t, err)
	assert.Equal(t, "1.5", s, "the refused SET was never sent")
	_, err = c.DoArgs(ctx, "GET", k+":missing").Text()
	assert.ErrorIs(t, err, redactor.ErrNil)
}

// TestArgsRecycled runs DoArgs pipelines from several goroutines at once,
// so queues and the argument text in them are recycled while others run:
// every value must read back as it was set.
func TestArgsRecycled(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for round := range 30 {
				p := c.Pipeline()
				for i := range 20 {
					key := fmt.Sprintf("%s:%d:%d", t.Name(), g, i)
					p.DoArgs("SET", key, g*1_000_000+round*1000+i)
					p.DoArgs("GET", key)
				}
				results, err := p.Exec(ctx)
				if !assert.NoError(t, err) {
					return
				}
				for i := range 20 {
					n, err := results[2*i+1].Int64()
					assert.NoError(t, err)
					assert.Equal(t, int64(g*1_000_000+round*1000+i), n)
				}
			}
		})
	}
	wg.Wait()
}
