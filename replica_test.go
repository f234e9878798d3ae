package redactor_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/internal/localcluster"
	"github.com/redactor-go/redactor/topology"
)

// TestReplicaReads runs replica reads on one cluster of 3 masters with 2
// replicas each: where the reads and writes ran (by the nodes' own
// commandstats), read your writes in a pipeline, ReadNearest's spread, then
// a slot moved under a stale map, a manual failover and killed replicas.
func TestReplicaReads(t *testing.T) {
	lc := localcluster.StartT(t, localcluster.Config{Masters: 3, Replicas: 2})
	const prefix, n = "rr", 200
	seedReads(t, lc, prefix, n)

	t.Run("ReplicaPreferred", func(t *testing.T) {
		c := newReadClient(t, lc, redactor.ReadReplicaPreferred)
		resetStats(t, lc)
		readWorkload(t, c, prefix, n)
		// Writes, alone and among reads of other keys.
		ctx := testContext(t)
		for start := 0; start < n; start += 20 {
			p := c.Pipeline()
			for i := start; i < start+20; i++ {
				p.Do("SET", fmt.Sprintf("%s:w:%d", prefix, i), "x")
				p.Do("GET", fmt.Sprintf("%s:s:%d", prefix, i))
			}
			results, err := p.Exec(ctx)
			require.NoError(t, err)
			for k, r := range results {
				require.NoError(t, r.Err, "command %d", k)
			}
		}
		for i := range n {
			require.NoError(t, c.Do(ctx, "SET", fmt.Sprintf("%s:w1:%d", prefix, i), "y").Err)
		}

		rs := statsByRole(t, lc)
		share := float64(rs.replicaReads) / float64(rs.replicaReads+rs.masterReads)
		t.Logf("reads on replicas: %d of %d (%.1f%%); SET on masters %d, on replicas beyond replication %d, rejected %d",
			rs.replicaReads, rs.replicaReads+rs.masterReads, 100*share, rs.masterSets, rs.replicaOwnSets, rs.replicaSetsRejected)
		assert.GreaterOrEqual(t, share, 0.9, "reads on replicas")
		assert.Equal(t, int64(2*n), rs.masterSets, "every SET ran on a master")
		assert.Zero(t, rs.replicaOwnSets, "no SET ran on a replica but from its master")
		assert.Zero(t, rs.replicaSetsRejected, "no SET reached a replica")
		assertSpread(t, rs, 2*n)

		// The measure itself: a SET sent straight to a replica is counted
		// as rejected (MOVED).
		replica := replicaOf(t, lc, lc.Addrs()[0])
		err := lc.Do(ctx, replica, nil, "SET", prefix+":direct", "x")
		require.Error(t, err)
		assert.Equal(t, int64(1), commandStats(t, lc, replica)["set"].rejected)
	})

	t.Run("ReadYourWrites", func(t *testing.T) {
		// SET k then GET k in one pipeline: the GET goes to the master and
		// returns the new value every time, while the reads of keys the
		// pipeline does not write still go to replicas.
		c := newReadClient(t, lc, redactor.ReadReplicaPreferred)
		ctx := testContext(t)
		resetStats(t, lc)
		const keys = 1000
		for round := range 3 {
			for start := 0; start < keys; start += 50 {
				p := c.Pipeline()
				for i := start; i < start+50; i++ {
					k := fmt.Sprintf("%s:ryw:%d", prefix, i)
					p.Do("SET", k, fmt.Sprint(round))
					p.Do("GET", k)
					p.Do("GET", fmt.Sprintf("%s:s:%d", prefix, i%n))
				}
				results, err := p.Exec(ctx)
				require.NoError(t, err)
				for j := 0; j < len(results); j += 3 {
					i := start + j/3
					require.Equal(t, redactor.Result{Value: "OK"}, results[j], "SET %d", i)
					require.Equal(t, redactor.Result{Value: fmt.Sprint(round)}, results[j+1], "GET %d, round %d", i, round)
					require.Equal(t, redactor.Result{Value: fmt.Sprint("v", i%n)}, results[j+2], "GET of an unwritten key")
				}
			}
		}
		rs := statsByRole(t, lc)
		t.Logf("reads on masters %d, on replicas %d", rs.masterReads, rs.replicaReads)
		// Unless an unwritten key shares its slot with a written one, its
		// read runs on a replica.
		assert.GreaterOrEqual(t, rs.masterReads, int64(3*keys), "the reads of written keys")
		assert.Greater(t, rs.replicaReads, int64(3*keys*9/10), "the reads of unwritten keys")
	})

	t.Run("NearestSpreads", func(t *testing.T) {
		// On one host every node is about as near: the reads spread over
		// the master and its replicas.
		c := newReadClient(t, lc, redactor.ReadNearest)
		time.Sleep(2500 * time.Millisecond) // a few probes
		resetStats(t, lc)
		readWorkload(t, c, prefix, n)
		rs := statsByRole(t, lc)
		total := rs.masterReads + rs.replicaReads
		t.Logf("reads on masters %d, on replicas %d", rs.masterReads, rs.replicaReads)
		// Per shard, the reads spread: at least two of its three nodes
		// serve them and none takes more than two thirds. (Not an even
		// share each: on a loaded host one node can measure slower for a
		// while, and then rightly gets fewer.)
		shards := map[string][]string{} // master's ID -> its nodes
		for _, node := range lc.Nodes() {
			if node.Killed {
				continue
			}
			id := node.MasterID
			if node.Master {
				id = masterID(t, lc, node.Addr)
			}
			shards[id] = append(shards[id], node.Addr)
		}
		for _, nodes := range shards {
			var sum int64
			serving := 0
			for _, addr := range nodes {
				sum += rs.readsByNode[addr]
				if rs.readsByNode[addr] > 0 {
					serving++
				}
			}
			assert.GreaterOrEqual(t, serving, 2, "reads spread over the shard %v", nodes)
			for _, addr := range nodes {
				assert.LessOrEqual(t, 3*rs.readsByNode[addr], 2*sum, "node %s ran %d of its shard's %d reads", addr, rs.readsByNode[addr], sum)
			}
		}
		assert.Positive(t, total)
	})

	t.Run("SlotMoved", func(t *testing.T) {
		// A slot moves to another master while the client's map is stale:
		// the old master's replica answers MOVED, the reads go to the old
		// master, which redirects them, and none fails.
		ctx := testContext(t)
		c, err := redactor.New(ctx, redactor.Config{Addrs: lc.Addrs(), ReadFrom: redactor.ReadReplicaPreferred,
			RefreshInterval: time.Hour})
		require.NoError(t, err)
		defer c.Close()
		tag := "{" + prefix + ":moved}"
		p := c.Pipeline()
		for i := range 20 {
			p.Do("SET", fmt.Sprintf("%s%d", tag, i), fmt.Sprint(i))
		}
		p.Do("WAIT", "2", "5000")
		_, err = p.Exec(ctx)
		require.NoError(t, err)
		from := ownerIn(t, lc, tag)
		to := lc.Addrs()[0]
		if to == from {
			to = lc.Addrs()[1]
		}
		var replicas []string
		for _, n := range lc.Nodes() {
			if !n.Master && !n.Killed && n.MasterID == masterID(t, lc, from) {
				replicas = append(replicas, n.Addr)
			}
		}
		require.Len(t, replicas, 2)
		read := func() {
			t.Helper()
			p := c.Pipeline()
			for i := range 20 {
				p.Do("GET", fmt.Sprintf("%s%d", tag, i))
			}
			results, err := p.Exec(ctx)
			require.NoError(t, err)
			for i, r := range results {
				assert.Equal(t, redactor.Result{Value: fmt.Sprint(i)}, r, "key %d", i)
			}
		}
		read() // on the replicas of from

		slot := int(topology.Slot(tag))
		require.NoError(t, lc.MoveSlots(ctx, []int{slot}, from, to))
		for _, replica := range replicas {
			direct := dialDirect(t, replica)
			require.Eventually(t, func() bool {
				replies := direct.pipeline(t, [][]string{{"READONLY"}, {"GET", tag + "0"}})
				return replies[1].Err != nil && strings.HasPrefix(replies[1].Err.Error(), "MOVED")
			}, 10*time.Second, 20*time.Millisecond, "replica %s learns the slot moved", replica)
		}
		resetStats(t, lc)
		read()
		moved := 0
		for _, replica := range replicas {
			var errorstats string
			require.NoError(t, lc.Do(ctx, replica, &errorstats, "INFO", "errorstats"))
			var count int
			if _, stat, ok := strings.Cut(errorstats, "errorstat_MOVED:count="); ok {
				fmt.Sscan(stat, &count)
			}
			t.Logf("replica %s answered MOVED %d times", replica, count)
			moved += count
		}
		assert.Equal(t, 20, moved, "one of the replicas redirected the reads")
	})

	t.Run("Failover", func(t *testing.T) {
		// A manual failover while reads and writes run: none fails, and
		// afterwards the reads run on the new replicas.
		c := newReadClient(t, lc, redactor.ReadReplicaPreferred)
		ctx := testContext(t)
		readWorkload(t, c, prefix, 20) // connect
		master := lc.Addrs()[1]
		replica := replicaOf(t, lc, master)

		stop := make(chan struct{})
		errs := make(chan error, 1)
		go func() {
			defer close(errs)
			for round := 0; ; round++ {
				select {
				case <-stop:
					return
				default:
				}
				p := c.Pipeline()
				for i := range 50 {
					p.Do("SET", fmt.Sprintf("%s:fo:%d", prefix, i), fmt.Sprint(round))
					p.Do("GET", fmt.Sprintf("%s:s:%d", prefix, i))
				}
				results, err := p.Exec(ctx)
				if err == nil {
					for k, r := range results {
						if r.Err != nil {
							err = fmt.Errorf("round %d, command %d: %w", round, k, r.Err)
							break
						}
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
		require.NoError(t, lc.Failover(ctx, replica))
		time.Sleep(500 * time.Millisecond)
		close(stop)
		assert.NoError(t, <-errs, "reads and writes during the failover")

		// The client learns the new roles from a redirect, and the
		// replicas, which settle after that, from its periodic refresh.
		require.Eventually(t, func() bool {
			replicas := 0
			for _, node := range c.Nodes() {
				if node.Master == replica && !node.IsMaster() {
					replicas++
				}
			}
			return replicas == 2
		}, 15*time.Second, 100*time.Millisecond, "the client sees the new master's two replicas")
		resetStats(t, lc)
		readWorkload(t, c, prefix, n)
		rs := statsByRole(t, lc)
		share := float64(rs.replicaReads) / float64(rs.replicaReads+rs.masterReads)
		t.Logf("after the failover: reads on replicas %d of %d (%.1f%%)", rs.replicaReads, rs.replicaReads+rs.masterReads, 100*share)
		assert.GreaterOrEqual(t, share, 0.9)
		// The promoted replica is a master now: it serves only the reads a
		// replica of its own sent back (a replica still settling), rare.
		assert.LessOrEqual(t, 100*rs.readsByNode[replica], rs.replicaReads+rs.masterReads,
			"at most 1%% of the reads on the promoted replica, a master now")
	})

	t.Run("ReplicaKilled", func(t *testing.T) {
		// Both replicas of a master die: its reads run on the master, at
		// once and after the cluster noticed, and none fails.
		c := newReadClient(t, lc, redactor.ReadReplicaPreferred)
		readWorkload(t, c, prefix, 20) // connect
		master := lc.Addrs()[0]
		for range 2 {
			require.NoError(t, lc.Kill(replicaOf(t, lc, master)))
		}
		readWorkload(t, c, prefix, n)
		require.NoError(t, lc.WaitHealthy(testContext(t)))
		resetStats(t, lc)
		readWorkload(t, c, prefix, n)
		rs := statsByRole(t, lc)
		assert.Positive(t, rs.readsByNode[master], "the master runs the reads of its shard")
	})
}
