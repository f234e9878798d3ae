// Package redactortest starts a real Redis Cluster on 127.0.0.1 for the
// tests of a service that uses redactor, and changes it under the service:
// slots move, masters die or fail over, as they do in production.
//
// # Starting a cluster
//
// StartT starts a cluster for one test and stops it when the test ends,
// passed or failed:
//
//	func TestCheckout(t *testing.T) {
//		rc := redactortest.StartT(t, redactortest.Options{Masters: 3, Replicas: 1})
//		c, err := redactor.New(t.Context(), rc.Config())
//		if err != nil {
//			t.Fatal(err)
//		}
//		defer c.Close()
//		// ... run your service against c ...
//	}
//
// Start does the same outside a test (a TestMain, a program) and leaves
// stopping to the caller. Every node is a redis-server process of its own,
// on free loopback ports picked for it, so tests that start clusters may run
// in parallel. Nodes persist nothing and detect failures within a second or
// two, so that failover tests are quick. So a master that stops answering
// for longer than that (Pause, a Kill without a replica) is marked
// failed, and Redis then answers CLUSTERDOWN for every slot of the cluster:
// pass "--cluster-require-full-coverage", "no" in Options.ServerArgs to keep
// the other masters serving, as a test of a stalled master wants.
//
// # Changing the cluster under a client
//
//   - MoveSlots moves slots from one master to another the way
//     redis-cli --cluster reshard does, keys included, while clients keep
//     using them: they see ASK, TRYAGAIN and MOVED and lose no write.
//     topology.Slot gives the slot of a key.
//   - Failover promotes a replica with CLUSTER FAILOVER, which loses no
//     acknowledged write.
//   - Kill sends SIGKILL to a node; WaitHealthy then waits for its replica
//     to take over, as it would after a crash.
//   - Pause stops a node with SIGSTOP, a stall that closes nothing, until
//     Resume.
//
// Nodes and Addrs tell which node plays which role, and SlotOwner and SlotsOf
// who serves which slot.
//
// # Processes
//
// A Cluster stops and reaps exactly the processes it started, and removes
// their temporary directory; it never touches another process or port. On
// Linux the nodes also die with the test binary, even when it panics or is
// killed.
//
// # Requirements
//
// redis-server (Redis 7 or later) must be installed, e.g. with
// "apt-get install -y redis-server". Without it, Start returns
// ErrNoRedisServer and StartT fails the test with the command to install
// it: a test that needs a cluster never passes by skipping.
package redactortest
