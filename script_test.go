package redactor_test

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/internal/localcluster"
)

// appendScript appends ARGV[1] to KEYS[1] and returns the new value: its
// result shows which commands ran before it.
const appendScript = "redis.call('APPEND', KEYS[1], ARGV[1]) return redis.call('GET', KEYS[1])"

// stats reads, on every master of c, the integer field of the line named
// line of INFO section (e.g. "commandstats", "cmdstat_evalsha", "calls"),
// zero when the line is missing.
type stats struct {
	t *testing.T
	c *redactor.Client
}

// perMaster returns the field on each master.
func (s stats) perMaster(section, line, field string) map[string]int64 {
	s.t.Helper()
	out := map[string]int64{}
	for addr, v := range perMaster(s.t, s.c, "INFO", section) {
		out[addr] = infoField(v.(string), line, field)
	}
	return out
}

// sum returns the field summed over the masters.
func (s stats) sum(section, line, field string) int64 {
	s.t.Helper()
	var n int64
	for _, v := range s.perMaster(section, line, field) {
		n += v
	}
	return n
}

// calls is how many times the masters ran cmd (lower case, "script|load"
// for a subcommand).
func (s stats) calls(cmd string) int64 {
	s.t.Helper()
	return s.sum("commandstats", "cmdstat_"+cmd, "calls")
}

// noScripts is how many NOSCRIPT replies the masters sent.
func (s stats) noScripts() int64 {
	s.t.Helper()
	return s.sum("errorstats", "errorstat_NOSCRIPT", "count")
}

// infoField returns field of the line "line:field=n,..." of an INFO reply.
func infoField(info, line, field string) int64 {
	for l := range strings.SplitSeq(info, "\r\n") {
		rest, ok := strings.CutPrefix(l, line+":")
		if !ok {
			continue
		}
		for kv := range strings.SplitSeq(rest, ",") {
			if v, ok := strings.CutPrefix(kv, field+"="); ok {
				n, _ := strconv.ParseInt(v, 10, 64)
				return n
			}
		}
	}
	return 0
}

// scriptEverywhere returns SCRIPT EXISTS of hash on each node, master or
// replica: true where the node holds it.
func scriptEverywhere(t *testing.T, c *redactor.Client, hash string) map[string]bool {
	t.Helper()
	ctx := testContext(t)
	out := map[string]bool{}
	for _, n := range c.Nodes() {
		r := c.DoOn(ctx, n.Addr, "SCRIPT", "EXISTS", hash)
		require.NoError(t, r.Err, n.Addr)
		out[n.Addr] = r.Value.([]any)[0] == int64(1)
	}
	return out
}

// flushScripts empties the script cache of every node.
func flushScripts(t *testing.T, c *redactor.Client) {
	t.Helper()
	require.Equal(t, redactor.Result{Value: "OK"}, c.Do(testContext(t), "SCRIPT", "FLUSH"))
}

// mastersOf returns the masters (by the test cluster) that serve keys.
func mastersOf(t *testing.T, keys []string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, k := range keys {
		out[ownerIn(t, cluster, k)] = true
	}
	return out
}

// queueAppends queues, per key: SET key a, the script appending b, GET,
// the script appending c.
func queueAppends(p *redactor.Pipeline, s *redactor.Script, keys []string) {
	for _, k := range keys {
		p.Do("SET", k, "a")
		p.Run(s, []string{k}, "b")
		p.Do("GET", k)
		p.Run(s, []string{k}, "c")
	}
}

// checkAppends checks the results of queueAppends: each in its place, each
// script call after the commands queued before it.
func checkAppends(t *testing.T, results []redactor.Result, keys []string) {
	t.Helper()
	require.Len(t, results, 4*len(keys))
	for i, k := range keys {
		assert.Equal(t, []redactor.Result{{Value: "OK"}, {Value: "ab"}, {Value: "ab"}, {Value: "abc"}}, results[4*i:4*i+4], k)
	}
}

// TestScriptLoadedOnFirstUseInPipeline runs a script nobody loaded in a
// pipeline: it goes as EVAL where it is new (no NOSCRIPT, in order), which
// loads it there, and as EVALSHA from then on.
func TestScriptLoadedOnFirstUseInPipeline(t *testing.T) {
	for _, parallel := range []bool{true, false} {
		t.Run(fmt.Sprintf("parallel=%v", parallel), func(t *testing.T) {
			ctx := testContext(t)
			c := newClient(t, redactor.Config{})
			st := stats{t, c}
			flushScripts(t, c)
			s := redactor.NewScript(appendScript)
			for addr, has := range scriptEverywhere(t, c, s.Hash()) {
				require.False(t, has, "flushed on %s", addr)
			}
			keys := keysFor(t, 6)
			owners := mastersOf(t, keys)
			require.GreaterOrEqual(t, len(owners), 2, "keys on several masters")

			noScripts, evals, evalShas := st.noScripts(), st.calls("eval"), st.calls("evalsha")
			p := c.Pipeline(redactor.WithParallel(parallel))
			queueAppends(p, s, keys)
			p.Do("PING")
			results, err := p.Exec(ctx)
			require.NoError(t, err)
			checkAppends(t, results[:len(results)-1], keys)
			assert.Equal(t, redactor.Result{Value: "PONG"}, results[len(results)-1])
			assert.Equal(t, noScripts, st.noScripts(), "no EVALSHA of a script not known loaded")
			assert.Equal(t, evals+int64(2*len(keys)), st.calls("eval"), "sent as EVAL")
			assert.Equal(t, evalShas, st.calls("evalsha"))
			for addr, has := range scriptEverywhere(t, c, s.Hash()) {
				assert.Equal(t, owners[addr], has, "loaded where it ran, only: %s", addr)
			}

			// Now known loaded: EVALSHA.
			p = c.Pipeline(redactor.WithParallel(parallel))
			queueAppends(p, s, keys)
			results, err = p.Exec(ctx)
			require.NoError(t, err)
			checkAppends(t, results, keys)
			assert.Equal(t, noScripts, st.noScripts())
			assert.Equal(t, evals+int64(2*len(keys)), st.calls("eval"))
			assert.Equal(t, evalShas+int64(2*len(keys)), st.calls("evalsha"), "sent as EVALSHA")

			// Alone too.
			assert.Equal(t, redactor.Result{Value: "abcd"}, s.Run(ctx, c, keys[:1], "d"))
			assert.Equal(t, evalShas+int64(2*len(keys)+1), st.calls("evalsha"))
		})
	}
}

// TestScriptNoScriptFallback flushes the scripts of every node behind the
// client's back: the next calls get NOSCRIPT, are re-sent as EVAL, and
// return the script's results; the pipeline after that keeps its order.
func TestScriptNoScriptFallback(t *testing.T) {
	for _, parallel := range []bool{true, false} {
		t.Run(fmt.Sprintf("parallel=%v", parallel), func(t *testing.T) {
			ctx := testContext(t)
			c := newClient(t, redactor.Config{})
			st := stats{t, c}
			s := redactor.NewScript(appendScript)
			require.NoError(t, s.Load(ctx, c))
			for addr, has := range scriptEverywhere(t, c, s.Hash()) {
				require.True(t, has, "Load loads it on every node: %s", addr)
			}
			tagA, tagB := tagsOnTwoMasters(t)
			keys := []string{tagA + ":k", tagB + ":k"}

			flushScripts(t, c)
			noScripts, evals, evalShas := st.noScripts(), st.calls("eval"), st.calls("evalsha")
			p := c.Pipeline(redactor.WithParallel(parallel))
			queueAppends(p, s, keys[:1])
			results, err := p.Exec(ctx)
			require.NoError(t, err)
			// The script's own results, not NOSCRIPT. The documented cost
			// of a lost script: the re-sent calls run after the
			// pipeline's other commands, so the GET queued after the
			// first call saw the value before it.
			assert.Equal(t, []redactor.Result{{Value: "OK"}, {Value: "ab"}, {Value: "a"}, {Value: "abc"}}, results)
			assert.Equal(t, noScripts+2, st.noScripts(), "both calls got NOSCRIPT once")
			assert.Equal(t, evals+2, st.calls("eval"), "and were re-sent as EVAL")

			// The NOSCRIPT made the Script forget every node but the one
			// the re-sent calls loaded it on again: on the other master,
			// the next pipeline sends EVAL, so no call hits NOSCRIPT and
			// the order holds.
			p = c.Pipeline(redactor.WithParallel(parallel))
			queueAppends(p, s, keys)
			results, err = p.Exec(ctx)
			require.NoError(t, err)
			checkAppends(t, results, keys)
			assert.Equal(t, noScripts+2, st.noScripts())
			assert.Equal(t, evals+4, st.calls("eval"), "EVAL on the other master")
			assert.Equal(t, evalShas+4, st.calls("evalsha"), "the two that got NOSCRIPT, and two where the re-sent calls loaded it")

			// Alone, after a flush: one NOSCRIPT, then the result.
			flushScripts(t, c)
			assert.Equal(t, redactor.Result{Value: "abcd"}, s.Run(ctx, c, keys[:1], "d"))
			assert.Equal(t, noScripts+3, st.noScripts())
		})
	}
}

// TestScriptCrossSlot checks that a call whose keys span slots gets
// ErrCrossSlot and is never sent, alone or in a pipeline.
func TestScriptCrossSlot(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{})
	st := stats{t, c}
	s := redactor.NewScript(appendScript)
	tagA, tagB := tagsOnTwoMasters(t)
	cross := []string{tagA + ":k", tagB + ":k"}
	evals, evalShas := st.calls("eval"), st.calls("evalsha")

	assert.ErrorIs(t, s.Run(ctx, c, cross, "x").Err, redactor.ErrCrossSlot)
	p := c.Pipeline()
	p.Do("SET", tagA+":k", "a")
	p.Run(s, cross, "x")
	p.Run(s, []string{tagA + ":k"}, "b")
	results, err := p.Exec(ctx)
	require.NoError(t, err)
	assert.Equal(t, redactor.Result{Value: "OK"}, results[0])
	assert.ErrorIs(t, results[1].Err, redactor.ErrCrossSlot)
	assert.Equal(t, redactor.Result{Value: "ab"}, results[2])
	assert.Equal(t, evals+1, st.calls("eval"), "only the call in one slot was sent")
	assert.Equal(t, evalShas, st.calls("evalsha"))
}

// TestScriptErrors checks that a script's error reply is that call's own
// *RedisError, as EVAL and as EVALSHA, and never hides the other commands.
func TestScriptErrors(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{})
	st := stats{t, c}
	s := redactor.NewScript("if ARGV[1] == 'fail' then return redis.error_reply('MYERR asked to fail') end " +
		"if ARGV[1] == 'incr' then return redis.call('INCR', KEYS[1]) end return ARGV[1]")
	broken := redactor.NewScript("return {")
	key := "{" + t.Name() + "}:k"
	require.NoError(t, c.Do(ctx, "SET", key, "not a number").Err)
	evalShas := st.calls("evalsha")
	for _, as := range []string{"EVAL", "EVALSHA"} {
		p := c.Pipeline()
		p.Run(s, []string{key}, "ok")
		p.Run(s, []string{key}, "fail")
		p.Run(s, []string{key}, "incr")
		p.Run(broken, []string{key})
		p.Do("GET", key)
		results, err := p.Exec(ctx)
		require.NoError(t, err)
		assert.Equal(t, redactor.Result{Value: "ok"}, results[0], as)
		var re *redactor.RedisError
		require.ErrorAs(t, results[1].Err, &re, as)
		assert.Equal(t, "MYERR", re.Prefix(), as)
		require.ErrorAs(t, results[2].Err, &re, "a failed redis.call: %s", as)
		assert.False(t, re.IsNoScript(), as)
		require.ErrorAs(t, results[3].Err, &re, "a script that does not compile: %s", as)
		assert.False(t, re.IsNoScript(), as)
		assert.Equal(t, redactor.Result{Value: "not a number"}, results[4], as)
	}
	assert.Equal(t, evalShas+3, st.calls("evalsha"), "the second round went by hash, but for the script that never compiled")

	var re *redactor.RedisError
	require.ErrorAs(t, s.Run(ctx, c, []string{key}, "fail").Err, &re)
	assert.Equal(t, "MYERR", re.Prefix())
}

// TestScriptWithoutKeys runs a keyless script from many goroutines at
// once: the first call loads it on every node, once, and the calls go by
// hash to any master.
func TestScriptWithoutKeys(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{})
	st := stats{t, c}
	flushScripts(t, c)
	s := redactor.NewScript("return 'hello ' .. ARGV[1]")
	loadsBefore := st.perMaster("commandstats", "cmdstat_script|load", "calls")
	evals := st.calls("eval")

	var wg sync.WaitGroup
	results := make([]redactor.Result, 20)
	for i := range results {
		wg.Go(func() { results[i] = s.Run(ctx, c, nil, strconv.Itoa(i)) })
	}
	wg.Wait()
	for i, r := range results {
		assert.Equal(t, redactor.Result{Value: "hello " + strconv.Itoa(i)}, r)
	}
	for addr, has := range scriptEverywhere(t, c, s.Hash()) {
		assert.True(t, has, "loaded on every node: %s", addr)
	}
	for addr, n := range st.perMaster("commandstats", "cmdstat_script|load", "calls") {
		assert.Equal(t, loadsBefore[addr]+1, n, "loaded once, however many calls waited: %s", addr)
	}
	assert.Equal(t, evals, st.calls("eval"))

	// In a pipeline, among keyed commands.
	key := t.Name() + ":k"
	p := c.Pipeline()
	p.Run(s, nil, "first")
	p.Do("SET", key, "v")
	p.Run(s, nil, "second")
	got, err := p.Exec(ctx)
	require.NoError(t, err)
	assert.Equal(t, []redactor.Result{{Value: "hello first"}, {Value: "OK"}, {Value: "hello second"}}, got)
	assert.Equal(t, evals, st.calls("eval"))
}

// TestScriptInTransaction checks that a script in a transaction always
// goes as EVAL, even when loaded everywhere: a NOSCRIPT inside EXEC could
// not be re-sent.
func TestScriptInTransaction(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{})
	st := stats{t, c}
	s := redactor.NewScript(appendScript)
	require.NoError(t, s.Load(ctx, c))
	key := "{" + t.Name() + "}:k"
	evals, evalShas, noScripts := st.calls("eval"), st.calls("evalsha"), st.noScripts()

	p := c.Pipeline(redactor.WithTx())
	p.Do("SET", key, "a")
	p.Run(s, []string{key}, "b")
	p.Do("GET", key)
	results, err := p.Exec(ctx)
	require.NoError(t, err)
	assert.Equal(t, []redactor.Result{{Value: "OK"}, {Value: "ab"}, {Value: "ab"}}, results)

	// A MULTI ... EXEC block queued by hand, after a flush.
	flushScripts(t, c)
	p = c.Pipeline()
	p.Do("MULTI")
	p.Run(s, []string{key}, "c")
	p.Do("EXEC")
	p.Run(s, []string{key}, "d") // outside the block: by hash, and the block's EVAL loaded it again
	results, err = p.Exec(ctx)
	require.NoError(t, err)
	assert.Equal(t, []redactor.Result{{Value: "OK"}, {Value: "QUEUED"}, {Value: []any{"abc"}}, {Value: "abcd"}}, results)
	assert.Equal(t, evals+2, st.calls("eval"), "the transactions' calls")
	assert.Equal(t, evalShas+1, st.calls("evalsha"))
	assert.Equal(t, noScripts, st.noScripts())
}

// TestReadOnlyScript runs a script with EVALSHA_RO and EVAL_RO.
func TestReadOnlyScript(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{})
	st := stats{t, c}
	get := redactor.NewReadOnlyScript("return redis.call('GET', KEYS[1])")
	set := redactor.NewReadOnlyScript("return redis.call('SET', KEYS[1], 'x')")
	key := "{" + t.Name() + "}:k"
	require.NoError(t, c.Do(ctx, "SET", key, "v").Err)
	evalRO, evalShaRO := st.calls("eval_ro"), st.calls("evalsha_ro")

	assert.Equal(t, redactor.Result{Value: "v"}, get.Run(ctx, c, []string{key}))
	assert.Equal(t, redactor.Result{Value: "v"}, get.Run(ctx, c, []string{key}))
	var re *redactor.RedisError
	assert.ErrorAs(t, set.Run(ctx, c, []string{key}).Err, &re, "a read-only script may not write")
	assert.Equal(t, evalRO+2, st.calls("eval_ro"))
	assert.Equal(t, evalShaRO+1, st.calls("evalsha_ro"))
	assert.Equal(t, get.Hash(), redactor.NewScript("return redis.call('GET', KEYS[1])").Hash(), "the hash is the body's")
}

// TestScriptAfterFailover promotes the replica of the master a script ran
// on: the replica never ran it, yet the calls after the failover return
// the script's results, and the pipeline after the first keeps its order.
func TestScriptAfterFailover(t *testing.T) {
	lc, c := clusterAndClient(t, localcluster.Config{Masters: 3, Replicas: 1}, redactor.Config{})
	ctx := testContext(t)
	s := redactor.NewScript(appendScript)
	key := "{" + t.Name() + "}:k"
	master := ownerIn(t, lc, key)
	p := c.Pipeline()
	queueAppends(p, s, []string{key})
	results, err := p.Exec(ctx)
	require.NoError(t, err)
	checkAppends(t, results, []string{key})

	var replica string
	for _, n := range c.Nodes() {
		if n.Master == master && !n.IsMaster() {
			replica = n.Addr
		}
	}
	require.NotEmpty(t, replica)
	require.False(t, scriptEverywhere(t, c, s.Hash())[replica], "EVAL does not load the script on replicas")
	require.NoError(t, lc.Failover(ctx, replica))
	st := stats{t, c}
	noScripts := st.noScripts()

	// The client may still route by the old layout (MOVED, then NOSCRIPT
	// on the new master): the results are the script's; the order of this
	// first pipeline is not promised.
	p = c.Pipeline()
	p.Do("SET", key, "a")
	p.Run(s, []string{key}, "b")
	results, err = p.Exec(ctx)
	require.NoError(t, err)
	assert.Equal(t, []redactor.Result{{Value: "OK"}, {Value: "ab"}}, results)
	t.Logf("NOSCRIPT replies after the failover: %d", st.noScripts()-noScripts)

	p = c.Pipeline()
	queueAppends(p, s, []string{key})
	results, err = p.Exec(ctx)
	require.NoError(t, err)
	checkAppends(t, results, []string{key})
}

// TestScriptAmongRefusedArguments checks that script calls keep their
// places, and their fallback, in a pipeline where DoArgs refused commands.
func TestScriptAmongRefusedArguments(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{})
	s := redactor.NewScript(appendScript)
	tagA, _ := tagsOnTwoMasters(t)
	key := tagA + ":refused"
	for range 2 { // EVAL on first use, then EVALSHA
		require.NoError(t, c.Do(ctx, "DEL", key).Err)
		p := c.Pipeline()
		p.DoArgs("SET", key+":x", struct{}{}) // refused: never sent
		p.Run(s, []string{key}, "a")
		p.DoArgs("SET", key+":y", nil) // refused
		p.Run(s, []string{key}, "b")
		results, err := p.Exec(ctx)
		require.NoError(t, err)
		require.Len(t, results, 4)
		assert.ErrorIs(t, results[0].Err, redactor.ErrInvalidArgument)
		assert.Equal(t, redactor.Result{Value: "a"}, results[1])
		assert.ErrorIs(t, results[2].Err, redactor.ErrInvalidArgument)
		assert.Equal(t, redactor.Result{Value: "ab"}, results[3])
	}
}
