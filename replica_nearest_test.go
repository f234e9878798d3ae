package redactor_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/internal/localcluster"
)

// TestReadNearestPrefersTheFasterNode puts a proxy in front of each node of
// a master with two replicas, and makes the master and one replica 4 ms
// away (2 ms each way): ReadNearest sends the reads to the other replica.
func TestReadNearestPrefersTheFasterNode(t *testing.T) {
	pc := startProxiedCluster(t, localcluster.Config{Masters: 1, Replicas: 2})
	const prefix, n = "near", 100
	seedReads(t, pc.Cluster, prefix, n)
	master := pc.Addrs()[0]
	fast := replicaOf(t, pc.Cluster, master)
	for _, node := range pc.Nodes() {
		if node.Addr != fast {
			pc.proxyOf(t, node.Addr).SetDelay(2 * time.Millisecond)
		}
	}

	c, err := redactor.New(testContext(t), redactor.Config{
		Addrs: []string{pc.proxyOf(t, master).Addr()}, ReadFrom: redactor.ReadNearest})
	require.NoError(t, err)
	defer c.Close()
	time.Sleep(1500 * time.Millisecond) // the first probes

	resetStats(t, pc.Cluster)
	readWorkload(t, c, prefix, n)
	rs := statsByRole(t, pc.Cluster)
	total := rs.masterReads + rs.replicaReads
	share := float64(rs.readsByNode[fast]) / float64(total)
	t.Logf("the near replica ran %d of %d reads (%.1f%%)", rs.readsByNode[fast], total, 100*share)
	assert.GreaterOrEqual(t, share, 0.9)
}
