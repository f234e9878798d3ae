package redactortest

import (
	"context"

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/internal/localcluster"
)

var (
	// ErrNoRedisServer is returned (wrapped) by Start when the redis-server
	// binary cannot be found; its message says how to install it.
	ErrNoRedisServer = localcluster.ErrNoRedisServer
	// ErrUnknownNode is returned (wrapped) for an address that is not the
	// client address of a node of the cluster.
	ErrUnknownNode = localcluster.ErrUnknownNode
	// ErrNotReplica is returned (wrapped) by Failover for a node that is
	// not a replica.
	ErrNotReplica = localcluster.ErrNotReplica
)

// Cluster is a running local Redis Cluster started by Start or StartT. Its
// methods are safe for concurrent use. Nodes are named by their client
// address, "127.0.0.1:port", as Addrs and Nodes give them and as redactor
// sees them.
type Cluster struct {
	lc       *localcluster.Cluster
	password string
}

// Addrs returns the client addresses of the live masters, in slot order:
// seeds for redactor.Config.Addrs.
func (c *Cluster) Addrs() []string { return c.lc.Addrs() }

// Config returns a redactor.Config for the cluster: Addrs and Password set,
// every other field its default. Change what your test needs before
// passing it to redactor.New.
func (c *Cluster) Config() redactor.Config {
	return redactor.Config{Addrs: c.Addrs(), Password: c.password}
}

// Stop stops every node the cluster started (SIGTERM, then SIGKILL after
// 2s), waits until each process has exited and removes the cluster's
// temporary directory. Later calls return the first call's result. After
// Stop, the other methods that talk to nodes fail.
func (c *Cluster) Stop() error { return c.lc.Stop() }

// Kill sends SIGKILL to the node at addr and waits until its process has
// exited, as in a crash. The other nodes mark it failed after their node
// timeout (1s) and, when it was a master with a replica, the replica takes
// over a moment later: WaitHealthy waits for that. Killing a node twice is
// a no-op; a killed node stays down.
func (c *Cluster) Kill(addr string) error { return c.lc.Kill(addr) }

// Pause stops the node at addr with SIGSTOP, as a stalled process or a
// hung host would: its sockets stay open and the kernel keeps taking
// connections and bytes for it, but it answers nothing until Resume. It is
// how a test checks that a service's deadlines and the client's bounds
// (redactor.Config.MaxInFlight) hold while a master hangs. A master paused
// for longer than the node timeout (1s) is marked failed by the others;
// see the package doc for keeping the other masters serving then. Stop
// resumes a paused node before stopping it.
func (c *Cluster) Pause(addr string) error { return c.lc.Pause(addr) }

// Resume continues a node paused by Pause (SIGCONT).
func (c *Cluster) Resume(addr string) error { return c.lc.Resume(addr) }

// WaitHealthy waits until every live node reports the cluster healthy and
// all of them agree on which live master serves each slot, then updates
// Nodes and Addrs. After Kill of a master, that is once its replica has
// taken over: without a replica, never (until ctx is done).
func (c *Cluster) WaitHealthy(ctx context.Context) error { return c.lc.WaitHealthy(ctx) }

// Failover promotes the replica at replicaAddr to master with CLUSTER
// FAILOVER, which loses no acknowledged write: its master stops taking
// commands until the replica has caught up, then the two swap roles.
// Failover returns once every live node sees the swap and the cluster is
// healthy, with Nodes and Addrs updated. If ctx has no deadline, it gives
// up after 30s. A node that is no replica fails with ErrNotReplica.
func (c *Cluster) Failover(ctx context.Context, replicaAddr string) error {
	return c.lc.Failover(ctx, replicaAddr)
}

// MoveSlots moves slots, with their keys, from the master at from to the
// master at to, as redis-cli --cluster reshard does: each slot is marked
// importing on to and migrating on from, its keys are migrated, and it is
// assigned to to on every master. Clients may use the slots meanwhile: they
// get ASK, TRYAGAIN (multi-key commands over keys on both nodes) and then
// MOVED, and no write is lost. topology.Slot gives the slot of a key, and
// SlotsOf the slots of a master.
func (c *Cluster) MoveSlots(ctx context.Context, slots []int, from, to string) error {
	return c.lc.MoveSlots(ctx, slots, from, to)
}

// SlotOwner returns the client address of the master that serves slot,
// as the masters see it.
func (c *Cluster) SlotOwner(ctx context.Context, slot int) (string, error) {
	return c.lc.SlotOwner(ctx, slot)
}

// SlotsOf returns, in increasing order, the slots the master at addr
// serves; none for a replica.
func (c *Cluster) SlotsOf(ctx context.Context, addr string) ([]int, error) {
	return c.lc.SlotsOf(ctx, addr)
}
