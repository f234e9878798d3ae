package redactor_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/internal/localcluster"
)

// dialCounter is a Config.Dialer that counts the connection attempts to
// each address.
type dialCounter struct {
	mu     sync.Mutex
	counts map[string]int
}

func (d *dialCounter) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	if d.counts == nil {
		d.counts = map[string]int{}
	}
	d.counts[addr]++
	d.mu.Unlock()
	var nd net.Dialer
	return nd.DialContext(ctx, network, addr)
}

// snapshot returns a copy of the counts so far.
func (d *dialCounter) snapshot() map[string]int {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[string]int, len(d.counts))
	for a, n := range d.counts {
		out[a] = n
	}
	return out
}

// isClusterDown reports whether err is the server's CLUSTERDOWN.
func isClusterDown(err error) bool {
	var e *redactor.RedisError
	return errors.As(err, &e) && e.IsClusterDown()
}

// TestMajorityOfMastersDown takes two of three masters (no replicas) down,
// killed (kill -9) or stopped (SIGSTOP: their ports still accept
// connections, nothing answers), and brings them back. Until
// cluster-node-timeout passes the live master serves its slots; then it
// answers CLUSTERDOWN, which the client retries until RetryTimeout and
// returns. The dead masters' commands fail within the caller's deadline:
// killed, unsent with ErrNodeUnreachable; stopped, after ReadTimeout with
// ErrUnknownOutcome. The client dials no more than its backoffs allow,
// and serves every slot again moments after the cluster is healthy.
func TestMajorityOfMastersDown(t *testing.T) {
	const (
		nodeTimeout  = 2 * time.Second
		readTimeout  = time.Second
		retryTimeout = 2 * time.Second
		window       = 3 * time.Second // over which connection attempts are counted
	)
	tests := []struct {
		name    string
		down    func(lc *localcluster.Cluster, addr string) error
		up      func(lc *localcluster.Cluster, addrs []string)
		deadErr error // of a SET to a down master's slot
		within  time.Duration
	}{
		{
			name:    "killed",
			down:    (*localcluster.Cluster).Kill,
			deadErr: redactor.ErrNodeUnreachable, within: retryTimeout + time.Second,
			up: func(lc *localcluster.Cluster, addrs []string) {
				// Each Restart waits for a healthy cluster, which needs both.
				var wg sync.WaitGroup
				for _, a := range addrs {
					wg.Go(func() { assert.NoError(t, lc.Restart(testContext(t), a)) })
				}
				wg.Wait()
			},
		},
		{
			name:    "stopped",
			down:    (*localcluster.Cluster).Pause,
			deadErr: redactor.ErrUnknownOutcome, within: 2*readTimeout - 100*time.Millisecond,
			up: func(lc *localcluster.Cluster, addrs []string) {
				for _, a := range addrs {
					assert.NoError(t, lc.Resume(a))
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lc := localcluster.StartT(t, localcluster.Config{Masters: 3, NodeTimeout: nodeTimeout})
			dials := &dialCounter{}
			c, err := redactor.New(testContext(t), redactor.Config{Addrs: lc.Addrs(), Dialer: dials.dial,
				DialTimeout: time.Second, ReadTimeout: readTimeout, RetryTimeout: retryTimeout})
			require.NoError(t, err)
			defer c.Close()
			tags := tagsOfMasters(t, lc)
			masters := lc.Addrs()
			live, victims := masters[0], masters[1:]
			for addr, tag := range tags {
				require.NoError(t, c.Do(testContext(t), "SET", tag+"k", addr).Err)
			}
			do := func(timeout time.Duration, args ...string) (redactor.Result, time.Duration) {
				ctx, cancel := context.WithTimeout(context.Background(), timeout)
				defer cancel()
				start := time.Now()
				r := c.Do(ctx, args[0], args[1:]...)
				return r, time.Since(start)
			}

			downAt := time.Now()
			for _, v := range victims {
				require.NoError(t, tt.down(lc, v))
			}
			r, _ := do(time.Second, "GET", tags[live]+"k")
			require.Less(t, time.Since(downAt), nodeTimeout, "asked before the node timeout")
			assert.Equal(t, redactor.Result{Value: live}, r, "the live master serves its slots until the node timeout")

			r, took := do(10*time.Second, "SET", tags[victims[0]]+"k", "x")
			assert.ErrorIs(t, r.Err, tt.deadErr)
			assert.Less(t, took, tt.within)
			assert.Equal(t, 1, strings.Count(r.Err.Error(), victims[0]), "names the node once: %v", r.Err)
			t.Logf("a down master's SET failed after %v: %v", took.Round(time.Millisecond), r.Err)

			// Commands to every master without pause, each with a short
			// deadline, as a busy application's.
			before := dials.snapshot()
			start := time.Now()
			var lastServed, firstFailed time.Duration // of the live master, since downAt
			var liveErr error                         // its first CLUSTERDOWN
			var otherErrs int                         // its other errors: deadlines of a loaded machine
			var wg sync.WaitGroup
			for addr, tag := range tags {
				wg.Go(func() {
					for time.Since(start) < window {
						r, _ := do(300*time.Millisecond, "GET", tag+"k")
						switch {
						case addr != live:
						case r.Err == nil:
							lastServed = time.Since(downAt)
						case !isClusterDown(r.Err):
							otherErrs++
						case firstFailed == 0:
							firstFailed, liveErr = time.Since(downAt), r.Err
						}
					}
				})
			}
			wg.Wait()
			t.Logf("the live master served its slots until %v after the others went down, failed from %v: %v (%d other errors)",
				lastServed.Round(time.Millisecond), firstFailed.Round(time.Millisecond), liveErr, otherErrs)
			after := dials.snapshot()
			for _, v := range victims {
				n := after[v] - before[v]
				t.Logf("connection attempts to down master %s in %v: %d", v, window, n)
				assert.LessOrEqual(t, n, 12, "the node actor's dial backoff (20ms doubling to 1s: 9 in 3s), or one per ReadTimeout")
			}
			n := after[live] - before[live]
			t.Logf("connection attempts to the live master in %v: %d (layout loads)", window, n)
			assert.LessOrEqual(t, n, 15, "layout loads that find nothing new space out to 500ms")

			// Asked after the window, when the window ended too soon.
			for liveErr == nil && time.Since(downAt) < nodeTimeout+10*time.Second {
				r, took := do(10*time.Second, "GET", tags[live]+"k")
				assert.Less(t, took, retryTimeout+time.Second, "CLUSTERDOWN is retried for RetryTimeout at most")
				if isClusterDown(r.Err) {
					firstFailed, liveErr = time.Since(downAt), r.Err
				}
			}
			assert.True(t, isClusterDown(liveErr), "the live master, in the minority, says CLUSTERDOWN: %v", liveErr)
			assert.GreaterOrEqual(t, firstFailed, nodeTimeout, "not before the node timeout")
			assert.Less(t, firstFailed, nodeTimeout+5*time.Second)

			upAt := time.Now()
			tt.up(lc, victims)
			require.NoError(t, lc.WaitHealthy(testContext(t)))
			healthyAt := time.Now()
			var served time.Duration
			for time.Since(healthyAt) < 10*time.Second {
				ok := true
				for _, tag := range tags {
					if r, _ := do(time.Second, "SET", tag+"k", "back"); r.Err != nil {
						ok = false
					}
				}
				if ok {
					served = time.Since(healthyAt)
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			t.Logf("cluster healthy %v after the masters came back; every slot served %v after that",
				healthyAt.Sub(upAt).Round(time.Millisecond), served.Round(time.Millisecond))
			require.NotZero(t, served, "every slot served again")
			assert.Less(t, served, 3*time.Second, "the node actors' dial backoff is at most 1s")
		})
	}
}

// TestStoppedMasterFailsOver stops (SIGSTOP) a master that has a replica:
// the cluster fails over to the replica after the node timeout, and the
// client, whose layout loads try the hung node last, moves the slots'
// commands to the new master.
func TestStoppedMasterFailsOver(t *testing.T) {
	const nodeTimeout = time.Second
	lc := localcluster.StartT(t, localcluster.Config{Masters: 3, Replicas: 1, NodeTimeout: nodeTimeout})
	c, err := redactor.New(testContext(t), redactor.Config{Addrs: lc.Addrs(), ReadTimeout: time.Second})
	require.NoError(t, err)
	defer c.Close()
	tags := tagsOfMasters(t, lc)
	victim := c.Nodes()[0].Addr // the first address a layout load tries
	require.NoError(t, c.Do(testContext(t), "SET", tags[victim]+"k", "v").Err)

	stoppedAt := time.Now()
	require.NoError(t, lc.Pause(victim))
	defer lc.Resume(victim)
	var served time.Duration
	for time.Since(stoppedAt) < 30*time.Second {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		r := c.Do(ctx, "SET", tags[victim]+"k", "w")
		cancel()
		if r.Err == nil {
			served = time.Since(stoppedAt)
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("the stopped master's slots served by its replica %v after the stop (node timeout %v)",
		served.Round(time.Millisecond), nodeTimeout)
	require.NotZero(t, served, "the client follows the failover")
	assert.Less(t, served, 10*time.Second)
}
