package redactortest

// Node is one node of a Cluster, as of the last Start, WaitHealthy or
// Failover.
type Node struct {
	// Addr is the node's client address, "127.0.0.1:port".
	Addr string
	// Master is the client address of the master the node replicates:
	// its own for a master, as in redactor.Node.
	Master string
	// Killed reports whether Kill stopped the node.
	Killed bool
}

// IsMaster reports whether the node is a master.
func (n Node) IsMaster() bool { return n.Addr == n.Master }

// Nodes returns every node the cluster started, killed ones included:
// masters first, in the slot order they started with, then replicas.
func (c *Cluster) Nodes() []Node {
	all := c.lc.Nodes()
	addrOf := make(map[string]string, len(all))
	for _, n := range all {
		addrOf[n.ID] = n.Addr
	}
	nodes := make([]Node, len(all))
	for i, n := range all {
		master := n.Addr
		if !n.Master {
			master = addrOf[n.MasterID]
		}
		nodes[i] = Node{Addr: n.Addr, Master: master, Killed: n.Killed}
	}
	return nodes
}

// ReplicasOf returns the client addresses of the replicas of the master
// at addr, killed ones left out: a node to Failover to.
func (c *Cluster) ReplicasOf(addr string) []string {
	var replicas []string
	for _, n := range c.Nodes() {
		if !n.IsMaster() && n.Master == addr && !n.Killed {
			replicas = append(replicas, n.Addr)
		}
	}
	return replicas
}
