// Package localcluster starts a real Redis Cluster on 127.0.0.1 for tests,
// examples and benchmarks.
//
// Start (or StartT in tests) launches one redis-server process per node, each
// in its own directory under a fresh temporary directory, joins them with
// CLUSTER MEET, spreads the 16384 slots evenly over the masters with CLUSTER
// ADDSLOTSRANGE, attaches the replicas with CLUSTER REPLICATE and returns once
// every node agrees on a healthy cluster:
//
//	c := localcluster.StartT(t, localcluster.Config{Masters: 3, Replicas: 1})
//	seeds := c.Addrs() // "127.0.0.1:port" of each master, in slot order
//
// Client and cluster-bus ports are picked separately from free ports of the
// loopback interface (the bus port is set with cluster-port), and a package
// never hands out the same port twice, so clusters of parallel tests never
// collide. Nodes persist nothing (no RDB, no AOF), use a short
// cluster-node-timeout (1s by default) and cluster-replica-validity-factor 0
// so that failover tests are fast, and allow DEBUG from local connections.
//
// On Linux every node is started in its own process group with a parent-death
// signal of SIGKILL, so nodes die with the test binary even when it panics or
// is killed. Stop terminates and reaps exactly the processes the Cluster
// started and removes its temporary directory; Kill does the same for a single
// node to test failover, after which WaitHealthy waits for the replica to take
// over and Addrs, Nodes reflect the new roles. Restart starts a killed node
// again on its ports, as a crashed server that comes back: a master whose
// replica took over rejoins as that replica's replica.
//
// To test a client while the cluster changes under it, MoveSlots moves slots
// between masters the way redis-cli --cluster reshard does (BeginMigration,
// MigrateKeys and FinishMigration are its three steps, for one slot), so that
// clients see ASK, TRYAGAIN and then MOVED; Failover promotes a replica with
// a manual CLUSTER FAILOVER; SlotOwner and SlotsOf tell who serves what.
//
// redis-server (Redis 7 or later) must be installed; without it Start returns
// ErrNoRedisServer and StartT fails the test with the command to install it.
package localcluster
