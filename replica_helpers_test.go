package redactor_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/internal/localcluster"
)

// readCommands are the reads of the replica workload, as INFO commandstats
// names them.
var readCommands = []string{"get", "hget", "mget", "exists"}

// seedReads writes n keys of each kind the read workload reads, with a
// ReadPrimary client, and waits until both replicas of every master have
// them.
func seedReads(t *testing.T, lc *localcluster.Cluster, prefix string, n int) {
	t.Helper()
	ctx := testContext(t)
	c, err := redactor.New(ctx, redactor.Config{Addrs: lc.Addrs()})
	require.NoError(t, err)
	defer c.Close()
	p := c.Pipeline()
	for i := range n {
		p.Do("SET", fmt.Sprintf("%s:s:%d", prefix, i), fmt.Sprint("v", i))
		p.Do("HSET", fmt.Sprintf("%s:h:%d", prefix, i), "f", fmt.Sprint("h", i))
		p.Do("MSET", fmt.Sprintf("{%s:m:%d}a", prefix, i), fmt.Sprint("a", i), fmt.Sprintf("{%s:m:%d}b", prefix, i), fmt.Sprint("b", i))
	}
	p.Do("WAIT", "2", "5000")
	results, err := p.Exec(ctx)
	require.NoError(t, err)
	for i, r := range results {
		require.NoError(t, r.Err, "command %d", i)
	}
	require.Equal(t, int64(2), results[len(results)-1].Value, "both replicas of each master have the keys")
}

// readWorkload reads the n seeded keys of each kind with c.Do, then in
// pipelines of 100 commands, parallel and serial, and checks every value.
func readWorkload(t *testing.T, c *redactor.Client, prefix string, n int) {
	t.Helper()
	ctx := testContext(t)
	read := func(i, kind int) ([]string, any) {
		switch kind {
		case 0:
			return []string{"GET", fmt.Sprintf("%s:s:%d", prefix, i)}, fmt.Sprint("v", i)
		case 1:
			return []string{"HGET", fmt.Sprintf("%s:h:%d", prefix, i), "f"}, fmt.Sprint("h", i)
		case 2:
			return []string{"MGET", fmt.Sprintf("{%s:m:%d}a", prefix, i), fmt.Sprintf("{%s:m:%d}b", prefix, i)},
				[]any{fmt.Sprint("a", i), fmt.Sprint("b", i)}
		default:
			return []string{"EXISTS", fmt.Sprintf("%s:s:%d", prefix, i)}, int64(1)
		}
	}
	for i := range n {
		for kind := range 4 {
			cmd, want := read(i, kind)
			assert.Equal(t, redactor.Result{Value: want}, c.Do(ctx, cmd[0], cmd[1:]...), "%v", cmd)
		}
	}
	for _, parallel := range []bool{true, false} {
		for start := 0; start < n; start += 25 {
			p := c.Pipeline(redactor.WithParallel(parallel))
			var wants []any
			for i := start; i < min(start+25, n); i++ {
				for kind := range 4 {
					cmd, want := read(i, kind)
					p.Do(cmd[0], cmd[1:]...)
					wants = append(wants, want)
				}
			}
			results, err := p.Exec(ctx)
			require.NoError(t, err)
			for k, r := range results {
				assert.Equal(t, redactor.Result{Value: wants[k]}, r, "parallel=%v, command %d", parallel, k)
			}
		}
	}
}

// cmdStat is one command's line of INFO commandstats.
type cmdStat struct {
	calls, rejected int64
}

// commandStats returns the node's INFO commandstats, by lower-case command
// name.
func commandStats(t *testing.T, lc *localcluster.Cluster, addr string) map[string]cmdStat {
	t.Helper()
	var info string
	require.NoError(t, lc.Do(testContext(t), addr, &info, "INFO", "commandstats"))
	stats := map[string]cmdStat{}
	for _, line := range strings.Split(info, "\n") {
		name, fields, ok := strings.Cut(strings.TrimSpace(line), ":")
		name, isStat := strings.CutPrefix(name, "cmdstat_")
		if !ok || !isStat {
			continue
		}
		var s cmdStat
		for _, field := range strings.Split(fields, ",") {
			k, v, _ := strings.Cut(field, "=")
			n, _ := strconv.ParseInt(v, 10, 64)
			switch k {
			case "calls":
				s.calls = n
			case "rejected_calls":
				s.rejected = n
			}
		}
		stats[name] = s
	}
	return stats
}

// resetStats zeroes the commandstats of every live node.
func resetStats(t *testing.T, lc *localcluster.Cluster) {
	t.Helper()
	for _, n := range lc.Nodes() {
		if !n.Killed {
			require.NoError(t, lc.Do(testContext(t), n.Addr, nil, "CONFIG", "RESETSTAT"))
		}
	}
}

// roleStats sums, over the live masters and over the live replicas, the
// calls of the read commands and of SET. A replica counts the SETs it
// applied from its master's replication stream as calls too: a SET a
// client sent it would be a call beyond its master's count, or a rejected
// call (MOVED).
type roleStats struct {
	masterReads, replicaReads int64
	masterSets                int64
	// replicaOwnSets are the SET calls of replicas beyond their masters'
	// (which they replicate), and replicaSetsRejected those refused.
	replicaOwnSets, replicaSetsRejected int64
	// readsByNode are the read calls of each node, and shardOf each
	// node's master's address.
	readsByNode map[string]int64
	shardOf     map[string]string
}

func statsByRole(t *testing.T, lc *localcluster.Cluster) roleStats {
	t.Helper()
	require.NoError(t, lc.Refresh(testContext(t)))
	rs := roleStats{readsByNode: map[string]int64{}, shardOf: map[string]string{}}
	nodes := lc.Nodes()
	byID := map[string]localcluster.Node{}
	stats := map[string]map[string]cmdStat{}
	for _, n := range nodes {
		byID[n.ID] = n
		if !n.Killed {
			stats[n.Addr] = commandStats(t, lc, n.Addr)
		}
	}
	for _, n := range nodes {
		if n.Killed {
			continue
		}
		st := stats[n.Addr]
		var reads int64
		for _, name := range readCommands {
			reads += st[name].calls
		}
		rs.readsByNode[n.Addr] = reads
		role := "master"
		if n.Master {
			rs.shardOf[n.Addr] = n.Addr
			rs.masterReads += reads
			rs.masterSets += st["set"].calls
		} else {
			master := byID[n.MasterID].Addr
			role = "replica of " + master
			rs.shardOf[n.Addr] = master
			rs.replicaReads += reads
			rs.replicaOwnSets += st["set"].calls - stats[master]["set"].calls
			rs.replicaSetsRejected += st["set"].rejected
		}
		t.Logf("%s (%s): reads %d (get %d, hget %d, mget %d, exists %d), set %d (rejected %d)", n.Addr, role, reads,
			st["get"].calls, st["hget"].calls, st["mget"].calls, st["exists"].calls,
			st["set"].calls, st["set"].rejected)
	}
	return rs
}

// newReadClient returns a client of lc reading by readFrom.
func newReadClient(t *testing.T, lc *localcluster.Cluster, readFrom redactor.ReadFrom) *redactor.Client {
	t.Helper()
	c, err := redactor.New(testContext(t), redactor.Config{Addrs: lc.Addrs(), ReadFrom: readFrom})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// assertSpread checks that each replica ran at least a third of an even
// share of its shard's reads, and that the reads were at least want.
func assertSpread(t *testing.T, rs roleStats, want int) {
	t.Helper()
	byShard := map[string][]string{}
	total := int64(0)
	for addr, master := range rs.shardOf {
		if addr != master {
			byShard[master] = append(byShard[master], addr)
		}
		total += rs.readsByNode[addr]
	}
	assert.GreaterOrEqual(t, total, int64(want))
	for master, replicas := range byShard {
		var shard int64
		for _, r := range replicas {
			shard += rs.readsByNode[r]
		}
		for _, r := range replicas {
			assert.GreaterOrEqual(t, 3*int64(len(replicas))*rs.readsByNode[r], shard,
				"replica %s of %s: %d of the shard's %d reads", r, master, rs.readsByNode[r], shard)
		}
	}
}

// replicaOf returns a live replica of the master at addr.
func replicaOf(t *testing.T, lc *localcluster.Cluster, addr string) string {
	t.Helper()
	require.NoError(t, lc.Refresh(testContext(t)))
	id := masterID(t, lc, addr)
	for _, n := range lc.Nodes() {
		if !n.Master && !n.Killed && n.MasterID == id {
			return n.Addr
		}
	}
	t.Fatalf("no live replica of %s", addr)
	return ""
}
