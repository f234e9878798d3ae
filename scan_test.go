package redactor_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/topology"
)

// setKeys writes every key, its value its own name.
func setKeys(t *testing.T, ctx context.Context, c *redactor.Client, keys []string) {
	t.Helper()
	p := c.Pipeline()
	for _, k := range keys {
		p.Do("SET", k, k)
	}
	results, err := p.Exec(ctx)
	require.NoError(t, err)
	for i, r := range results {
		require.NoError(t, r.Err, keys[i])
	}
}

// scanSeen counts how many times a scan returned each key.
type scanSeen map[string]int

// drain takes every key the iterator has left.
func (s scanSeen) drain(ctx context.Context, it *redactor.ScanIterator) {
	for it.Next(ctx) {
		s[it.Key()]++
	}
}

// take takes n keys, or fewer when the scan ends first, and returns them.
func (s scanSeen) take(ctx context.Context, it *redactor.ScanIterator, n int) []string {
	var got []string
	for len(got) < n && it.Next(ctx) {
		s[it.Key()]++
		got = append(got, it.Key())
	}
	return got
}

// check asserts that the scan returned every key of want and no other, and
// returns how many keys it returned more than once.
func (s scanSeen) check(t *testing.T, want []string) (dups int) {
	t.Helper()
	missing := 0
	for _, k := range want {
		if s[k] == 0 {
			missing++
			if missing <= 5 {
				t.Errorf("key %q (slot %d) was never returned", k, topology.Slot(k))
			}
		}
	}
	assert.Zero(t, missing, "keys never returned, of %d", len(want))
	in := make(map[string]bool, len(want))
	for _, k := range want {
		in[k] = true
	}
	for k, n := range s {
		assert.True(t, in[k], "unexpected key %q", k)
		if n > 1 {
			dups++
		}
	}
	return dups
}

func TestScanReturnsEveryKey(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{})
	keys := keysFor(t, 5000)
	setKeys(t, ctx, c, keys)
	_, owners := readBack(t, keys[:300])
	require.Len(t, owners, 3, "the keys must be spread over all three masters")

	match := t.Name() + ":*"
	for _, count := range []int{0, 7, 1000} {
		t.Run("count "+strconv.Itoa(count), func(t *testing.T) {
			seen := scanSeen{}
			it := c.Scan(redactor.ScanOptions{Match: match, Count: count})
			seen.drain(ctx, it)
			require.NoError(t, it.Err())
			assert.Empty(t, it.Key(), "no key once Next returned false")
			assert.False(t, it.Next(ctx), "a finished scan stays finished")
			dups := seen.check(t, keys)
			// Nothing moved: every master's slots were confirmed by its
			// first pass, so no key came twice.
			assert.Zero(t, dups, "keys returned twice in a cluster that did not change")
			t.Logf("%d keys, %d returned twice", len(seen), dups)
		})
	}
}

func TestScanMatchAndType(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{})
	prefix := t.Name()
	byType := map[string][]string{}
	p := c.Pipeline()
	for i := range 50 {
		s, h, l := fmt.Sprintf("%s:s:%d", prefix, i), fmt.Sprintf("%s:h:%d", prefix, i), fmt.Sprintf("%s:l:%d", prefix, i)
		p.Do("SET", s, "v")
		p.Do("HSET", h, "f", "v")
		p.Do("RPUSH", l, "v")
		byType["string"] = append(byType["string"], s)
		byType["hash"] = append(byType["hash"], h)
		byType["list"] = append(byType["list"], l)
	}
	results, err := p.Exec(ctx)
	require.NoError(t, err)
	for _, r := range results {
		require.NoError(t, r.Err)
	}
	all := slices.Concat(byType["string"], byType["hash"], byType["list"])

	for _, tc := range []struct {
		name string
		opts redactor.ScanOptions
		want []string
	}{
		{name: "match all", opts: redactor.ScanOptions{Match: prefix + ":*"}, want: all},
		{name: "match strings", opts: redactor.ScanOptions{Match: prefix + ":s:*"}, want: byType["string"]},
		{name: "match one", opts: redactor.ScanOptions{Match: prefix + ":l:7"}, want: []string{prefix + ":l:7"}},
		{name: "type hash", opts: redactor.ScanOptions{Match: prefix + ":*", Type: "hash"}, want: byType["hash"]},
		{name: "type list", opts: redactor.ScanOptions{Match: prefix + ":*", Type: "list", Count: 3}, want: byType["list"]},
		{name: "type zset", opts: redactor.ScanOptions{Match: prefix + ":*", Type: "zset"}, want: nil},
		{name: "type and match disagree", opts: redactor.ScanOptions{Match: prefix + ":s:*", Type: "hash"}, want: nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seen := scanSeen{}
			it := c.Scan(tc.opts)
			seen.drain(ctx, it)
			require.NoError(t, it.Err())
			seen.check(t, tc.want)
		})
	}
}

func TestScanCommandOnlyThroughScanOrDoOn(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{})
	r := c.Do(ctx, "SCAN", "0")
	require.ErrorIs(t, r.Err, redactor.ErrNotPipelinable)
	assert.ErrorContains(t, r.Err, "Client.Scan")

	key := t.Name() + ":k"
	require.NoError(t, c.Do(ctx, "SET", key, "v").Err)
	owner := ownerOfKey(t, c, key)
	r = c.DoOn(ctx, owner, "SCAN", "0", "MATCH", key, "COUNT", "100000")
	require.NoError(t, r.Err)
	reply, ok := r.Value.([]any)
	require.True(t, ok, "SCAN reply is %T", r.Value)
	require.Len(t, reply, 2)
	assert.Equal(t, "0", reply[0], "COUNT 100000 covers the node in one call")
	assert.Equal(t, []any{key}, reply[1])
}

// ownerOfKey returns the master that serves key, as the key's owner says.
func ownerOfKey(t *testing.T, c *redactor.Client, key string) string {
	t.Helper()
	for _, n := range c.Nodes() {
		if !n.IsMaster() {
			continue
		}
		r := c.DoOn(testContext(t), n.Addr, "EXISTS", key)
		if r.Err == nil && r.Value == int64(1) {
			return n.Addr
		}
	}
	t.Fatalf("no master holds %q", key)
	return ""
}

func TestScanContextEnds(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{})
	keys := keysFor(t, 300)
	setKeys(t, ctx, c, keys)
	opts := redactor.ScanOptions{Match: t.Name() + ":*", Count: 10}

	canceled, cancel := context.WithCancel(ctx)
	cancel()
	it := c.Scan(opts)
	assert.False(t, it.Next(canceled))
	assert.ErrorIs(t, it.Err(), context.Canceled)

	// Canceled in the middle: Next stops at once, and stays stopped.
	seen := scanSeen{}
	scanCtx, cancel := context.WithCancel(ctx)
	it = c.Scan(opts)
	require.Len(t, seen.take(scanCtx, it, 50), 50)
	cancel()
	assert.False(t, it.Next(scanCtx))
	assert.ErrorIs(t, it.Err(), context.Canceled)
	assert.Empty(t, it.Key())
	assert.False(t, it.Next(ctx), "Next after the end stays false, whatever its ctx")

	// Its cursor carries on from there, in a new client.
	other := newClient(t, redactor.Config{})
	resumed := other.Scan(redactor.ScanOptions{Match: opts.Match, Cursor: it.Cursor()})
	seen.drain(ctx, resumed)
	require.NoError(t, resumed.Err())
	dups := seen.check(t, keys)
	assert.Less(t, dups, 50, "at most the keys of the page in progress come again")
	t.Logf("resumed after %d keys: %d keys, %d returned twice", 50, len(seen), dups)

	done := c.Scan(redactor.ScanOptions{Match: opts.Match, Cursor: resumed.Cursor()})
	assert.False(t, done.Next(ctx), "the cursor of a finished scan ends at once")
	assert.NoError(t, done.Err())

	for _, tc := range []struct {
		name string
		opts redactor.ScanOptions
	}{
		{name: "not a cursor", opts: redactor.ScanOptions{Match: opts.Match, Cursor: "%%%"}},
		{name: "other match", opts: redactor.ScanOptions{Match: "other:*", Cursor: it.Cursor()}},
		{name: "other type", opts: redactor.ScanOptions{Match: opts.Match, Type: "hash", Cursor: it.Cursor()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := c.Scan(tc.opts)
			assert.False(t, bad.Next(ctx))
			assert.ErrorIs(t, bad.Err(), redactor.ErrInvalidCursor)
		})
	}
}

func TestScanClosedClient(t *testing.T) {
	ctx := testContext(t)
	c := newClient(t, redactor.Config{})
	setKeys(t, ctx, c, keysFor(t, 100))
	it := c.Scan(redactor.ScanOptions{Match: t.Name() + ":*", Count: 10})
	require.True(t, it.Next(ctx))
	require.NoError(t, c.Close())
	assert.False(t, it.Next(ctx), "no key after Close, not even of the page in hand")
	assert.ErrorIs(t, it.Err(), redactor.ErrClosed)

	it = c.Scan(redactor.ScanOptions{})
	assert.False(t, it.Next(ctx))
	assert.ErrorIs(t, it.Err(), redactor.ErrClosed)
}
