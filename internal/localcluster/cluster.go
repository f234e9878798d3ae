package localcluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"syscall"
)

// ErrUnknownNode is returned (wrapped) by Kill for an address that is not the
// client address of a node of the cluster.
var ErrUnknownNode = errors.New("localcluster: unknown node")

// errStopped is returned by WaitHealthy and Refresh once Stop has been called.
var errStopped = errors.New("localcluster: cluster stopped")

// Node describes one node of a Cluster. Master and MasterID are the roles
// at startup, updated by WaitHealthy and Refresh (e.g. after a failover).
type Node struct {
	// Addr is the client address, "127.0.0.1:port".
	Addr string
	// Port is the client port the node listens on.
	Port int
	// BusPort is the cluster-bus port the node listens on.
	BusPort int
	// AnnouncePort is the client port the node announces to clients: Port
	// unless Config.AnnouncePort is set.
	AnnouncePort int
	// ID is the cluster node ID.
	ID string
	// Master reports whether the node is a master.
	Master bool
	// MasterID is the ID of the node's master when it is a replica, else "".
	MasterID string
	// Pid is the process id of the node's redis-server.
	Pid int
	// Killed reports whether the node was stopped by Kill.
	Killed bool
}

// Cluster is a running local Redis Cluster started by Start or StartT. Its
// methods are safe for concurrent use.
type Cluster struct {
	cfg   Config
	dir   string
	nodes []*node // fixed once Start returns

	mu      sync.Mutex // guards the fields below and every node's info, firstSlot
	stopped bool

	stopOnce sync.Once
	stopErr  error
}

// node is a Node with the means to manage it.
type node struct {
	info      Node
	firstSlot int // first slot owned, -1 when none
	proc      *process
	client    *client
	paused    bool // by Pause, until Resume
}

// name identifies the node in messages.
func (n *node) name() string {
	return fmt.Sprintf("node %s (pid %d)", n.client.addr, n.proc.pid())
}

// view returns the node's CLUSTER NODES.
func (n *node) view(ctx context.Context) ([]nodeEntry, error) {
	s, err := n.client.str(ctx, "CLUSTER", "NODES")
	if err != nil {
		return nil, err
	}
	return parseClusterNodes(s)
}

// Dir returns the cluster's temporary directory, which holds one directory
// per node (named after its client port) with its redis.log. Stop removes it.
func (c *Cluster) Dir() string { return c.dir }

// Addrs returns the client addresses ("127.0.0.1:port") of the masters that
// own slots, in slot order, leaving out killed nodes.
func (c *Cluster) Addrs() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var masters []*node
	for _, n := range c.nodes {
		if n != nil && n.info.Master && !n.info.Killed && n.firstSlot >= 0 {
			masters = append(masters, n)
		}
	}
	slices.SortFunc(masters, func(a, b *node) int { return a.firstSlot - b.firstSlot })
	addrs := make([]string, len(masters))
	for i, n := range masters {
		addrs[i] = n.info.Addr
	}
	return addrs
}

// Nodes returns every node started, masters first (in slot order at startup)
// then replicas, killed ones included.
func (c *Cluster) Nodes() []Node {
	c.mu.Lock()
	defer c.mu.Unlock()
	nodes := make([]Node, 0, len(c.nodes))
	for _, n := range c.nodes {
		if n != nil {
			nodes = append(nodes, n.info)
		}
	}
	return nodes
}

// live returns the nodes neither killed nor stopped, or errStopped.
func (c *Cluster) live() ([]*node, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return nil, errStopped
	}
	var live []*node
	for _, n := range c.nodes {
		if n != nil && !n.info.Killed {
			live = append(live, n)
		}
	}
	return live, nil
}

// Refresh updates the roles reported by Nodes and Addrs from the CLUSTER
// NODES of the first live node that answers. WaitHealthy does so too.
func (c *Cluster) Refresh(ctx context.Context) error {
	live, err := c.live()
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range live {
		view, err := n.view(ctx)
		if err == nil {
			c.apply(view)
			return nil
		}
		errs = append(errs, err)
	}
	return fmt.Errorf("localcluster: refresh: no node answered: %w", errors.Join(errs...))
}

// apply records the roles and slots of a CLUSTER NODES view.
func (c *Cluster) apply(view []nodeEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	byID := make(map[string]*node, len(c.nodes))
	for _, n := range c.nodes {
		if n != nil {
			byID[n.info.ID] = n
		}
	}
	for _, e := range view {
		n := byID[e.ID]
		if n == nil {
			continue
		}
		n.info.Master = e.has("master")
		n.info.MasterID = e.MasterID
		n.firstSlot = -1
		if len(e.Slots) > 0 {
			n.firstSlot = e.Slots[0][0]
		}
	}
}

// Kill sends SIGKILL to the node whose client address is addr and reaps it,
// e.g. to test failover. Killing a node twice is a no-op.
func (c *Cluster) Kill(addr string) error {
	c.mu.Lock()
	var victim *node
	wasKilled := false
	for _, n := range c.nodes {
		if n != nil && n.info.Addr == addr {
			victim, wasKilled = n, n.info.Killed
			n.info.Killed = true
		}
	}
	c.mu.Unlock()
	if victim == nil {
		return fmt.Errorf("localcluster: kill %s: %w", addr, ErrUnknownNode)
	}
	if wasKilled {
		return nil
	}
	victim.client.close()
	if err := victim.proc.kill(); err != nil {
		return fmt.Errorf("localcluster: kill %s: %w", addr, err)
	}
	c.cfg.Logf("localcluster: killed %s", victim.name())
	return nil
}

// Stop stops the nodes the cluster started (SIGTERM, then SIGKILL after 2s),
// reaps them and removes the cluster's temporary directory. It is idempotent:
// later calls return the result of the first.
func (c *Cluster) Stop() error {
	c.stopOnce.Do(func() { c.stopErr = c.stop() })
	return c.stopErr
}

// stop does the work of Stop.
func (c *Cluster) stop() error {
	c.mu.Lock()
	c.stopped = true
	c.mu.Unlock()
	errs := make([]error, len(c.nodes)+1)
	var wg sync.WaitGroup
	for i, n := range c.nodes {
		if n == nil {
			continue
		}
		n.client.close()
		c.mu.Lock()
		paused := n.paused
		c.mu.Unlock()
		if paused {
			// A stopped process would leave SIGTERM pending until the
			// grace ran out.
			n.proc.signal(syscall.SIGCONT)
		}
		wg.Go(func() { errs[i] = n.proc.stop(stopGrace) })
	}
	wg.Wait()
	if err := os.RemoveAll(c.dir); err != nil {
		errs[len(c.nodes)] = fmt.Errorf("localcluster: remove %s: %w", c.dir, err)
	}
	c.cfg.Logf("localcluster: stopped %d nodes, removed %s", len(c.nodes), c.dir)
	return errors.Join(errs...)
}

// Do sends one command to the node at addr on the harness's own connection
// (authenticated and over TLS when the cluster is) and decodes its reply
// into rcv (see radix.Cmd): for setting a node up (ACL SETUSER) or looking
// at it (INFO commandstats) in a test.
func (c *Cluster) Do(ctx context.Context, addr string, rcv any, cmd string, args ...string) error {
	n, err := c.nodeByAddr(addr)
	if err != nil {
		return err
	}
	return n.client.do(ctx, rcv, cmd, args...)
}
