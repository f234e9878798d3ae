package redactor_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/internal/localcluster"
	"github.com/redactor-go/redactor/internal/proxy"
)

// proxiedCluster is a cluster whose masters announce a proxy in front of
// each of them: clients reach the nodes only through the proxies.
type proxiedCluster struct {
	*localcluster.Cluster
	mu      sync.Mutex
	proxies map[string]*proxy.Proxy // by the node's real address
}

func startProxiedCluster(t *testing.T, cfg localcluster.Config) *proxiedCluster {
	t.Helper()
	pc := &proxiedCluster{proxies: map[string]*proxy.Proxy{}}
	t.Cleanup(func() {
		pc.mu.Lock()
		defer pc.mu.Unlock()
		for _, p := range pc.proxies {
			p.Close()
		}
	})
	cfg.AnnouncePort = func(port int) int {
		real := fmt.Sprintf("127.0.0.1:%d", port)
		p, err := proxy.Start(proxy.Config{Target: real})
		if err != nil {
			t.Errorf("starting a proxy for %s: %v", real, err)
			return port
		}
		pc.mu.Lock()
		defer pc.mu.Unlock()
		pc.proxies[real] = p
		return p.Port()
	}
	pc.Cluster = localcluster.StartT(t, cfg)
	return pc
}

// proxyOf returns the proxy in front of the node at its real address.
func (pc *proxiedCluster) proxyOf(t *testing.T, real string) *proxy.Proxy {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	p := pc.proxies[real]
	require.NotNil(t, p, "no proxy for %s", real)
	return p
}

// TestConnectionCutAfterWrite drops a master's connection right after the
// proxy forwarded a batch to it, before any reply: the answered commands of
// the pipeline keep their replies, the unanswered writes get
// ErrUnknownOutcome and are not re-sent (the server shows each INCR applied
// exactly once), and the unanswered read is retried.
func TestConnectionCutAfterWrite(t *testing.T) {
	pc := startProxiedCluster(t, localcluster.Config{Masters: 3})
	ctx := testContext(t)
	seed := pc.proxyOf(t, pc.Addrs()[0]).Addr()
	c, err := redactor.New(ctx, redactor.Config{Addrs: []string{seed}})
	require.NoError(t, err)
	defer c.Close()

	tagA, tagB := tagsOnTwoMastersOf(t, pc.Cluster)
	ownerA := ownerIn(t, pc.Cluster, tagA)
	require.NoError(t, c.Do(ctx, "SET", tagA+"read", "kept").Err)
	require.NoError(t, c.Do(ctx, "SET", tagB+"read", "other").Err) // connects to B too

	pc.proxyOf(t, ownerA).CutAfterRequest()
	p := c.Pipeline()
	for i := range 10 {
		p.Do("INCR", fmt.Sprintf("%scount:%d", tagA, i)) // 0-9: A, cut
	}
	p.Do("GET", tagA+"read")   // 10: A, cut, read-only: retried
	p.Do("INCR", tagB+"count") // 11: B, answered
	p.Do("GET", tagB+"read")   // 12: B, answered
	results, err := p.Exec(ctx)
	require.NoError(t, err)

	for i := range 10 {
		assert.True(t, errors.Is(results[i].Err, redactor.ErrUnknownOutcome), "INCR %d: %v", i, results[i].Err)
	}
	assert.Equal(t, redactor.Result{Value: "kept"}, results[10], "a read-only command is retried")
	assert.Equal(t, redactor.Result{Value: int64(1)}, results[11])
	assert.Equal(t, redactor.Result{Value: "other"}, results[12])

	// Read the truth from A itself, not through the proxy.
	var cmds [][]string
	for i := range 10 {
		cmds = append(cmds, []string{"GET", fmt.Sprintf("%scount:%d", tagA, i)})
	}
	for i, r := range dialDirect(t, ownerA).pipeline(t, cmds) {
		require.NoError(t, r.Err)
		assert.Equal(t, "1", r.Value, "INCR %d ran exactly once", i)
	}
	assert.Equal(t, uint64(1), pc.proxyOf(t, ownerA).Stats().Cuts)

	// The client reconnects and works on.
	assert.Equal(t, redactor.Result{Value: int64(2)}, c.Do(ctx, "INCR", tagA+"count:0"))
}

// TestConnectionCutRetryUnsafe opts into re-sending every unanswered
// command: the INCR runs twice, which is what the option accepts.
func TestConnectionCutRetryUnsafe(t *testing.T) {
	pc := startProxiedCluster(t, localcluster.Config{Masters: 3})
	ctx := testContext(t)
	seed := pc.proxyOf(t, pc.Addrs()[0]).Addr()
	c, err := redactor.New(ctx, redactor.Config{Addrs: []string{seed}, RetryUnsafe: true})
	require.NoError(t, err)
	defer c.Close()

	tagA, _ := tagsOnTwoMastersOf(t, pc.Cluster)
	ownerA := ownerIn(t, pc.Cluster, tagA)
	require.NoError(t, c.Do(ctx, "PING").Err)
	require.NoError(t, c.Do(ctx, "SET", tagA+"warm", "1").Err)

	pc.proxyOf(t, ownerA).CutAfterRequest()
	r := c.Do(ctx, "INCR", tagA+"count")
	require.NoError(t, r.Err)
	assert.Equal(t, int64(2), r.Value, "the cut INCR ran, and ran again")
}

// TestHungNode blackholes a master (its connection stays open, nothing comes
// back): after Config.ReadTimeout the client takes the node for dead, the
// unanswered write gets ErrUnknownOutcome instead of hanging, and once the
// node answers again the client reconnects.
func TestHungNode(t *testing.T) {
	pc := startProxiedCluster(t, localcluster.Config{Masters: 3})
	ctx := testContext(t)
	seed := pc.proxyOf(t, pc.Addrs()[0]).Addr()
	c, err := redactor.New(ctx, redactor.Config{Addrs: []string{seed}, ReadTimeout: 300 * time.Millisecond})
	require.NoError(t, err)
	defer c.Close()

	tagA, _ := tagsOnTwoMastersOf(t, pc.Cluster)
	hung := pc.proxyOf(t, ownerIn(t, pc.Cluster, tagA))
	require.NoError(t, c.Do(ctx, "SET", tagA+"k", "v").Err)

	hung.Blackhole(true)
	start := time.Now()
	r := c.Do(ctx, "INCR", tagA+"n")
	took := time.Since(start)
	assert.ErrorIs(t, r.Err, redactor.ErrUnknownOutcome)
	assert.GreaterOrEqual(t, took, 300*time.Millisecond)
	assert.Less(t, took, 3*time.Second, "a hung node fails the call after the read timeout")

	hung.Blackhole(false)
	require.Eventually(t, func() bool {
		return c.Do(ctx, "GET", tagA+"k").Value == "v"
	}, 10*time.Second, 50*time.Millisecond, "the client reconnects once the node answers")
}

// TestBlockingCommandOutlivesReadTimeout runs a BLPOP that blocks longer
// than the read timeout: blocking commands are exempt from it.
func TestBlockingCommandOutlivesReadTimeout(t *testing.T) {
	ctx := testContext(t)
	c, err := redactor.New(ctx, redactor.Config{Addrs: cluster.Addrs(), ReadTimeout: 300 * time.Millisecond})
	require.NoError(t, err)
	defer c.Close()
	// Three times the read timeout; the read timeout on top of it is the
	// margin a loaded host needs for the reply.
	r := c.Do(ctx, "BLPOP", t.Name(), "0.9")
	require.NoError(t, r.Err)
	assert.Nil(t, r.Value, "BLPOP timed out by itself, on the server")
}
